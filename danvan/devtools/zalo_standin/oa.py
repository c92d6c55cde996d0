"""The OA Open API routes (zalo.md §3): the customer-service message (text, buttons,
request_user_info, image), the v2 article broadcast, the image upload and the conversation
history, each checking what Zalo checks. The customer-service message keeps Zalo's windows:
free within 48 h of the citizen's last interaction, charged up to 7 days, then -230."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from danvan.devtools.zalo_standin.playback import json_body, new_id, play
from danvan.devtools.zalo_standin.protocol import (
    CONVERSATION,
    MAX_IMAGE_BYTES,
    MESSAGE_CS,
    MESSAGE_V2,
    OA_ID,
    OA_MAX_TEXT,
    UPLOAD_IMAGE,
)
from danvan.devtools.zalo_standin.state import Received, StandinState

INVALID_TOKEN = {"error": -216, "message": "Access token is invalid"}
WINDOW_CLOSED = {"error": -230, "message": "User has not interacted with the OA in the past 7 days"}


def _user_info_problem(payload: dict[str, Any]) -> str | None:
    """Why a `request_user_info` template is refused (zalo.md §3: exactly one element with a
    title, a subtitle and an image url); None when it is accepted."""
    elements = payload.get("elements")
    if not isinstance(elements, list) or len(elements) != 1 or not isinstance(elements[0], dict):
        return "request_user_info needs exactly 1 element"
    element = elements[0]
    for key in ("title", "subtitle", "image_url"):
        if not isinstance(element.get(key), str) or not element[key]:
            return f"element {key} is missing"
    if not element["image_url"].startswith("http"):
        return "element image_url is invalid"
    return None


BUTTON_TYPES = {"oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.phone", "oa.open.sms"}


def _button_problem(buttons: Any) -> str | None:
    """Why a text message's `attachment.payload.buttons` is refused (zalo.md §3: title at most
    100 characters; `oa.query.*` payload a string of at most 1,000; `oa.open.url` an object with
    a url); None when it is accepted."""
    if not isinstance(buttons, list) or not buttons:
        return "buttons must be a non-empty list"
    for button in buttons:
        if not isinstance(button, dict) or button.get("type") not in BUTTON_TYPES:
            return "button type is invalid"
        title, payload = button.get("title"), button.get("payload")
        if not isinstance(title, str) or not 0 < len(title) <= 100:
            return "button title is invalid (max 100)"
        if button["type"].startswith("oa.query"):
            if not isinstance(payload, str) or not 0 < len(payload) <= 1000:
                return "button payload is invalid (max 1000)"
        elif button["type"] == "oa.open.url" and (
            not isinstance(payload, dict) or not str(payload.get("url", "")).startswith("http")
        ):
            return "button url is invalid"
    return None


def add_oa_routes(*, app: FastAPI, state: StandinState) -> None:
    """The OA Open API's routes on `app`, answering from `state`."""

    @app.post(MESSAGE_CS)
    async def message_cs(request: Request) -> Response:
        body = await json_body(request)

        def handle() -> Response:
            if not state.token_ok(request.headers.get("access_token")):
                return JSONResponse(INVALID_TOKEN)
            recipient = body.get("recipient") if isinstance(body, dict) else None
            message = body.get("message") if isinstance(body, dict) else None
            user_id = recipient.get("user_id") if isinstance(recipient, dict) else None
            if not user_id or not isinstance(message, dict):
                return JSONResponse({"error": -201, "message": "user_id is invalid"})
            text = message.get("text") or ""
            attachment = message.get("attachment")
            if not text and not attachment:
                return JSONResponse({"error": -201, "message": "message is invalid"})
            if len(text) > OA_MAX_TEXT:
                return JSONResponse({"error": -201, "message": "text is too long (max 2000)"})
            if str(user_id) in state.blocked:
                return JSONResponse({"error": -213, "message": "User has not followed OA"})
            window = state.window(str(user_id))
            if window == "closed":
                return JSONResponse(WINDOW_CLOSED)
            attachment_id = None
            buttons: list[dict[str, Any]] = []
            template = None
            if isinstance(attachment, dict):
                payload = attachment.get("payload")
                if attachment.get("type") != "template" or not isinstance(payload, dict):
                    return JSONResponse({"error": -201, "message": "attachment is invalid"})
                if payload.get("template_type") == "request_user_info":
                    problem = _user_info_problem(payload)
                    if problem:
                        return JSONResponse({"error": -201, "message": problem})
                    template = payload
                elif "buttons" in payload:
                    buttons = payload["buttons"]
                    problem = _button_problem(buttons)
                    if problem:
                        return JSONResponse({"error": -201, "message": problem})
                else:
                    elements = payload.get("elements") or [{}]
                    attachment_id = elements[0].get("attachment_id")
            message_id = new_id()
            state.receive(
                Received(
                    message_id=message_id,
                    api="oa",
                    recipient=str(user_id),
                    text=text,
                    time_ms=state.now_ms(),
                    idempotency_key=request.headers.get("x-idempotency-key"),
                    attachment_id=attachment_id,
                    buttons=buttons,
                    template=template,
                    charged=window == "charged",
                )
            )
            return JSONResponse(
                {
                    "error": 0,
                    "message": "Success",
                    "data": {
                        "message_id": message_id,
                        "user_id": str(user_id),
                        "quota": {"quota_type": "reply", "remain": 7, "total": 8},
                    },
                }
            )

        return await play(state, request, body, handle)

    @app.post(MESSAGE_V2)
    async def message_v2(request: Request) -> Response:
        body = await json_body(request)

        def handle() -> Response:
            if not state.token_ok(request.headers.get("access_token")):
                return JSONResponse(INVALID_TOKEN)
            recipient = body.get("recipient") if isinstance(body, dict) else None
            target = recipient.get("target") if isinstance(recipient, dict) else None
            if not isinstance(target, dict):
                return JSONResponse(
                    {
                        "error": -240,
                        "message": "MessageV2 API has been shut down, please switch to MessageV3",
                    }
                )
            try:
                elements = body["message"]["attachment"]["payload"]["elements"]
                article_id = str(elements[0]["attachment_id"])
                assert elements[0]["media_type"] == "article"
            except (KeyError, IndexError, TypeError, AssertionError):
                return JSONResponse({"error": -201, "message": "Parameters are invalid"})
            shape = "arrays" if all(isinstance(v, list) for v in target.values()) else "scalars"
            if state.article_shape not in ("any", shape):
                return JSONResponse({"error": -201, "message": "Parameters are invalid"})
            message_id = new_id()
            with state.lock:
                state.articles.append(
                    {"article_id": article_id, "target": target, "shape": shape, "id": message_id}
                )
            return JSONResponse(
                {"error": 0, "message": "Success", "data": {"message_id": message_id}}
            )

        return await play(state, request, body, handle)

    @app.post(UPLOAD_IMAGE)
    async def upload_image(request: Request) -> Response:
        form = await request.form()
        upload = form.get("file")
        content = await upload.read() if upload is not None and not isinstance(upload, str) else b""
        filename = getattr(upload, "filename", None)
        recorded = {"file": {"filename": filename, "size": len(content)}}

        def handle() -> Response:
            if not state.token_ok(request.headers.get("access_token")):
                return JSONResponse(INVALID_TOKEN)
            if not content:
                return JSONResponse({"error": -201, "message": "file is invalid"})
            if len(content) > MAX_IMAGE_BYTES:
                return JSONResponse({"error": -210, "message": "Image exceeds 1MB"})
            attachment_id = new_id()
            with state.lock:
                state.uploads[attachment_id] = len(content)
            return JSONResponse(
                {"error": 0, "message": "Success", "data": {"attachment_id": attachment_id}}
            )

        return await play(state, request, recorded, handle)

    @app.get(CONVERSATION)
    async def conversation(request: Request) -> Response:
        def handle() -> Response:
            if not state.token_ok(request.headers.get("access_token")):
                return JSONResponse(INVALID_TOKEN)
            try:
                query = json.loads(request.query_params.get("data") or "")
                user_id = str(query["user_id"])
                offset = int(query.get("offset", 0))
                count = min(int(query.get("count", 10)), 10)
            except (ValueError, KeyError, TypeError):
                return JSONResponse({"error": -201, "message": "data is invalid"})
            with state.lock:
                entries: list[dict[str, Any]] = [
                    {
                        "src": 0,
                        "time": m.time_ms,
                        "type": "text",
                        "message": m.text,
                        "message_id": m.message_id,
                        "from_id": OA_ID,
                        "to_id": m.recipient,
                    }
                    for m in state.received
                    if m.api == "oa" and m.recipient == user_id
                ]
                entries += [e for e in state.citizen_history if e["from_id"] == user_id]
            entries.sort(key=lambda e: int(e["time"]), reverse=True)
            return JSONResponse(
                {"error": 0, "message": "Success", "data": entries[offset : offset + count]}
            )

        return await play(state, request, dict(request.query_params), handle)
