"""The Bot API route (zalo.md §5): sendMessage, with the bot's token in the path."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from danvan.devtools.zalo_standin.playback import json_body, new_id, play
from danvan.devtools.zalo_standin.protocol import BOT_MAX_TEXT
from danvan.devtools.zalo_standin.state import Received, StandinState


def add_bot_routes(*, app: FastAPI, state: StandinState) -> None:
    """The Bot API's route on `app`, answering from `state`."""

    @app.post("/bot{token}/sendMessage")
    async def bot_send(token: str, request: Request) -> Response:
        body = await json_body(request)

        def refuse(code: int, description: str) -> Response:
            return JSONResponse(
                {"ok": False, "error_code": code, "description": description}, status_code=code
            )

        def handle() -> Response:
            with state.lock:
                token_ok = state.accept_any_token or token in state.bot_tokens
            if not token_ok:
                return refuse(401, "Unauthorized")
            chat_id = body.get("chat_id") if isinstance(body, dict) else None
            text = body.get("text") if isinstance(body, dict) else None
            if not chat_id:
                return refuse(400, "Bad Request: chat_id is empty")
            if not text:
                return refuse(400, "Bad Request: text is empty")
            if len(text) > BOT_MAX_TEXT:
                return refuse(400, "Bad Request: text is too long")
            if str(chat_id) in state.blocked:
                return refuse(403, "Forbidden: bot was blocked by the user")
            message_id = new_id()
            now_ms = state.now_ms()
            state.receive(
                Received(
                    message_id=message_id,
                    api="bot",
                    recipient=str(chat_id),
                    text=text,
                    time_ms=now_ms,
                    idempotency_key=request.headers.get("x-idempotency-key"),
                )
            )
            return JSONResponse({"ok": True, "result": {"message_id": message_id, "date": now_ms}})

        return await play(state, request, body, handle)
