"""A local stand-in for Zalo: the OA Open API, OA OAuth v4 and the Bot API, as documented
(zalo.md §3–5, §7). Used by tests, the demo and the benchmark; never in production.

It records every request, keeps the messages "received by citizens' phones", issues rotating
single-use refresh tokens, and plays scripted answers per path (FIFO) so a test can make Zalo
answer -216, HTTP 500 or nothing in time. State lives in `app.state.standin`
(`StandinState`); out-of-process users (demo, benchmark) drive it through `/_standin/*` or
`StandinControl`. `GET /` shows the received messages, newest first.
"""

from __future__ import annotations

import asyncio
import html
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from danvan.kernel import clock

OA_ID = "579745863508352884"
OA_MAX_TEXT = 2000
BOT_MAX_TEXT = 2000
MAX_IMAGE_BYTES = 1024 * 1024
ACCESS_TOKEN_SECONDS = 90000
# The Bot API's path carries the token; scripts and lookups may name it by this template.
BOT_SEND = "/bot{token}/sendMessage"

MESSAGE_CS = "/v3.0/oa/message/cs"
UPLOAD_IMAGE = "/v2.0/oa/upload/image"
CONVERSATION = "/v2.0/oa/conversation"
MESSAGE_V2 = "/v2.0/oa/message"  # only the article broadcast to followers still works there
ACCESS_TOKEN = "/v4/oa/access_token"  # noqa: S105 (a path)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    query: dict[str, str]
    body: Any  # parsed JSON, form fields, or {"file": {...}} for uploads
    time: float

    @property
    def route(self) -> str:
        return BOT_SEND if _is_bot(self.path) else self.path


@dataclass
class Scripted:
    """An answer to play instead of the normal behaviour. With neither `body` nor `status`, the
    request is processed normally and its answer delayed by `delay` (a lost answer: the message
    was accepted, the client timed out)."""

    body: Any = None
    status: int | None = None
    delay: float = 0.0


@dataclass
class Received:
    message_id: str
    api: str  # "oa" | "bot"
    recipient: str
    text: str
    time_ms: int
    idempotency_key: str | None = None
    attachment_id: str | None = None
    # Buttons under the text, as sent: [{"title", "type", "payload"}].
    buttons: list[dict[str, Any]] = field(default_factory=list)
    # The template of a template message other than media/buttons, as sent (its payload),
    # e.g. {"template_type": "request_user_info", "elements": [{title, subtitle, image_url}]}.
    template: dict[str, Any] | None = None


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


def _is_bot(path: str) -> bool:
    return path.startswith("/bot") and path.endswith("/sendMessage")


class StandinState:
    """Everything the stand-in remembers. Thread-safe: tests read it while the server runs."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests: list[Recorded] = []
            self.received: list[Received] = []
            self.scripts: dict[str, deque[Scripted]] = {}
            # With accept_any_token, any access token (and any never-used refresh token) works,
            # so a demo can start from whatever tokens were stored; tests may turn it off.
            self.accept_any_token = True
            self.access_tokens: set[str] = set()
            self.refresh_tokens: set[str] = set()  # issued or allowed, not yet used
            self.used_refresh_tokens: set[str] = set()
            self.bot_tokens: set[str] = set()  # checked only when accept_any_token is off
            # When set, the token endpoint requires this `secret_key` header.
            self.app_secret_key: str | None = None
            self.blocked: set[str] = set()  # recipients who blocked the OA / the bot
            self.citizen_history: list[dict[str, Any]] = []
            self.uploads: dict[str, int] = {}  # attachment_id -> bytes
            # Article broadcasts received: {"article_id", "target", "shape"}. `article_shape`
            # is the target shape accepted ("any", "arrays" or "scalars"; the sources differ).
            self.articles: list[dict[str, Any]] = []
            self.article_shape = "any"
            self._last_ms = 0

    def now_ms(self) -> int:
        """Epoch milliseconds, strictly increasing, so that the history has a total order."""
        with self.lock:
            self._last_ms = max(self._last_ms + 1, int(clock.timestamp() * 1000))
            return self._last_ms

    # --- set-up from tests ----------------------------------------------------------------

    def script(
        self, path: str, body: Any = None, *, status: int | None = None, delay: float = 0.0
    ) -> None:
        """Queue one answer for `path` (e.g. "/v3.0/oa/message/cs" or "/bot{token}/sendMessage")."""
        with self.lock:
            self.scripts.setdefault(path, deque()).append(Scripted(body, status, delay))

    def strict(
        self, *, access_tokens: tuple[str, ...] = (), refresh_tokens: tuple[str, ...] = ()
    ) -> None:
        """Accept only tokens issued here or named now."""
        with self.lock:
            self.accept_any_token = False
            self.access_tokens.update(access_tokens)
            self.refresh_tokens.update(refresh_tokens)

    def add_citizen_message(self, user_id: str, text: str, time_ms: int | None = None) -> None:
        """A message from the citizen, shown in the conversation history (src 1)."""
        at = time_ms or self.now_ms()
        with self.lock:
            self.citizen_history.append(
                {
                    "src": 1,
                    "time": at,
                    "type": "text",
                    "message": text,
                    "message_id": uuid.uuid4().hex,
                    "from_id": user_id,
                    "to_id": OA_ID,
                }
            )

    # --- reading from tests ---------------------------------------------------------------

    def requests_to(self, path: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if path in (r.path, r.route)]

    def messages(self, recipient: str | None = None) -> list[Received]:
        with self.lock:
            return [m for m in self.received if recipient is None or m.recipient == recipient]

    def per_second(self, api: str = "oa") -> dict[int, int]:
        """Messages received per wall-clock second (epoch seconds), to measure send rates."""
        counts: dict[int, int] = {}
        with self.lock:
            for item in self.received:
                if item.api == api:
                    second = item.time_ms // 1000
                    counts[second] = counts.get(second, 0) + 1
        return counts

    # --- used by the routes ---------------------------------------------------------------

    def _record(self, request: Request, body: Any) -> None:
        with self.lock:
            self.requests.append(
                Recorded(
                    method=request.method,
                    path=request.url.path,
                    headers={k.lower(): v for k, v in request.headers.items()},
                    query=dict(request.query_params),
                    body=body,
                    time=clock.timestamp(),
                )
            )

    def _next_script(self, path: str) -> Scripted | None:
        with self.lock:
            for key in (path, BOT_SEND if _is_bot(path) else None):
                queue = self.scripts.get(key) if key else None
                if queue:
                    return queue.popleft()
        return None

    def _token_ok(self, token: str | None) -> bool:
        with self.lock:
            return bool(token) and (self.accept_any_token or token in self.access_tokens)

    def _receive(self, item: Received) -> None:
        with self.lock:
            self.received.append(item)


def _new_id() -> str:
    # Zalo ids are long opaque strings.
    return uuid.uuid4().hex


def _scripted_response(scripted: Scripted) -> Response:
    if scripted.body is None:
        return Response(
            content=f"stand-in: HTTP {scripted.status}", status_code=scripted.status or 200
        )
    return JSONResponse(scripted.body, status_code=scripted.status or 200)


INVALID_TOKEN = {"error": -216, "message": "Access token is invalid"}


def create_standin_app() -> FastAPI:
    app = FastAPI(title="Zalo stand-in", docs_url=None, redoc_url=None, openapi_url=None)
    state = StandinState()
    app.state.standin = state

    async def play(request: Request, body: Any, handle: Any) -> Response:
        """Record, then answer from the script or with `handle()`."""
        state._record(request, body)
        scripted = state._next_script(request.url.path)
        if scripted is not None and (scripted.body is not None or scripted.status is not None):
            if scripted.delay:
                await asyncio.sleep(scripted.delay)
            return _scripted_response(scripted)
        response: Response = handle()
        if scripted is not None and scripted.delay:
            await asyncio.sleep(scripted.delay)  # processed, but the answer comes late
        return response

    async def json_body(request: Request) -> Any:
        try:
            return json.loads(await request.body() or b"null")
        except ValueError:
            return None

    # --- OA Open API ----------------------------------------------------------------------

    @app.post(MESSAGE_CS)
    async def message_cs(request: Request) -> Response:
        body = await json_body(request)

        def handle() -> Response:
            if not state._token_ok(request.headers.get("access_token")):
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
            message_id = _new_id()
            state._receive(
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

        return await play(request, body, handle)

    @app.post(MESSAGE_V2)
    async def message_v2(request: Request) -> Response:
        body = await json_body(request)

        def handle() -> Response:
            if not state._token_ok(request.headers.get("access_token")):
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
            message_id = _new_id()
            with state.lock:
                state.articles.append(
                    {"article_id": article_id, "target": target, "shape": shape, "id": message_id}
                )
            return JSONResponse(
                {"error": 0, "message": "Success", "data": {"message_id": message_id}}
            )

        return await play(request, body, handle)

    @app.post(UPLOAD_IMAGE)
    async def upload_image(request: Request) -> Response:
        form = await request.form()
        upload = form.get("file")
        content = await upload.read() if upload is not None and not isinstance(upload, str) else b""
        filename = getattr(upload, "filename", None)
        recorded = {"file": {"filename": filename, "size": len(content)}}

        def handle() -> Response:
            if not state._token_ok(request.headers.get("access_token")):
                return JSONResponse(INVALID_TOKEN)
            if not content:
                return JSONResponse({"error": -201, "message": "file is invalid"})
            if len(content) > MAX_IMAGE_BYTES:
                return JSONResponse({"error": -210, "message": "Image exceeds 1MB"})
            attachment_id = _new_id()
            with state.lock:
                state.uploads[attachment_id] = len(content)
            return JSONResponse(
                {"error": 0, "message": "Success", "data": {"attachment_id": attachment_id}}
            )

        return await play(request, recorded, handle)

    @app.get(CONVERSATION)
    async def conversation(request: Request) -> Response:
        def handle() -> Response:
            if not state._token_ok(request.headers.get("access_token")):
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

        return await play(request, dict(request.query_params), handle)

    # --- OAuth v4 -------------------------------------------------------------------------

    @app.post(ACCESS_TOKEN)
    async def access_token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}

        def handle() -> Response:
            with state.lock:
                expected = state.app_secret_key
            if not request.headers.get("secret_key") or (
                expected is not None and request.headers.get("secret_key") != expected
            ):
                return JSONResponse(
                    {"error": -14019, "error_name": "Invalid secret key", "error_reason": ""}
                )
            grant = form.get("grant_type")
            if grant == "refresh_token":
                token = form.get("refresh_token", "")
                with state.lock:
                    usable = token not in state.used_refresh_tokens and (
                        token in state.refresh_tokens or state.accept_any_token
                    )
                    if token:
                        state.used_refresh_tokens.add(token)
                        state.refresh_tokens.discard(token)
                if not token or not usable:
                    return JSONResponse(
                        {
                            "error": -14014,
                            "error_name": "Invalid refresh token",
                            "error_reason": "refresh token is invalid or already used",
                        }
                    )
            elif grant == "authorization_code":
                if not form.get("code"):
                    return JSONResponse({"error": -14005, "error_name": "Invalid code"})
            else:
                return JSONResponse({"error": -14001, "error_name": "Invalid grant_type"})
            access, refresh = f"oa-at-{_new_id()}", f"oa-rt-{_new_id()}"
            with state.lock:
                state.access_tokens.add(access)
                state.refresh_tokens.add(refresh)
            return JSONResponse(
                {
                    "access_token": access,
                    "refresh_token": refresh,
                    "expires_in": str(ACCESS_TOKEN_SECONDS),
                }
            )

        return await play(request, form, handle)

    # --- Bot API --------------------------------------------------------------------------

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
            message_id = _new_id()
            now_ms = state.now_ms()
            state._receive(
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

        return await play(request, body, handle)

    # --- control, for out-of-process users ------------------------------------------------

    @app.post("/_standin/reset")
    def control_reset() -> dict[str, bool]:
        state.reset()
        return {"ok": True}

    @app.post("/_standin/script")
    async def control_script(request: Request) -> Response:
        spec = await json_body(request)
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            return JSONResponse({"detail": "expected {path, body?, status?, delay?}"}, 422)
        state.script(
            spec["path"],
            spec.get("body"),
            status=spec.get("status"),
            delay=float(spec.get("delay") or 0),
        )
        return JSONResponse({"ok": True})

    @app.post("/_standin/config")
    async def control_config(request: Request) -> Response:
        spec = await json_body(request)
        if not isinstance(spec, dict):
            return JSONResponse({"detail": "expected an object"}, 422)
        with state.lock:
            if "accept_any_token" in spec:
                state.accept_any_token = bool(spec["accept_any_token"])
            state.access_tokens.update(spec.get("access_tokens") or [])
            state.refresh_tokens.update(spec.get("refresh_tokens") or [])
            state.bot_tokens.update(spec.get("bot_tokens") or [])
            state.blocked.update(str(r) for r in spec.get("blocked") or [])
        return JSONResponse({"ok": True})

    @app.get("/_standin/requests")
    def control_requests(path: str | None = None) -> list[dict[str, Any]]:
        with state.lock:
            found = [r for r in state.requests if path is None or path in (r.path, r.route)]
            return [asdict(r) for r in found]

    @app.get("/_standin/messages")
    def control_messages() -> list[dict[str, Any]]:
        with state.lock:
            return [asdict(m) for m in state.received]

    @app.get("/", response_class=HTMLResponse)
    def phone() -> HTMLResponse:
        return HTMLResponse(_render_phone(state.messages()))

    return app


def _render_phone(received: list[Received]) -> str:
    rows = []
    for item in sorted(received, key=lambda m: m.time_ms, reverse=True):
        when = time.strftime("%H:%M:%S %d/%m/%Y", time.localtime(item.time_ms / 1000))
        channel = "Zalo OA" if item.api == "oa" else "Zalo Bot"
        rows.append(
            "<li class='msg'>"
            f"<div class='meta'>{html.escape(channel)} · Người nhận: "
            f"<b>{html.escape(item.recipient)}</b> · {html.escape(when)}</div>"
            f"<div class='text'>{html.escape(item.text)}</div>"
            + (
                f"<div class='meta'>Ảnh đính kèm: {html.escape(item.attachment_id)}</div>"
                if item.attachment_id
                else ""
            )
            + "".join(
                f"<div class='meta'>[{html.escape(str(b.get('title')))}]</div>"
                for b in item.buttons
            )
            + "</li>"
        )
    items = "\n".join(rows) or "<li class='empty'>Chưa có tin nhắn nào.</li>"
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="2">
<title>Điện thoại người dân (Zalo giả lập)</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; color: #1e293b; }}
ul {{ list-style: none; padding: 0; }}
.msg {{ background: #e0f2fe; border-radius: .75rem; padding: .75rem 1rem; margin: .5rem 0; }}
.meta {{ font-size: .8rem; color: #475569; }}
.text {{ white-space: pre-wrap; margin-top: .25rem; }}
</style></head>
<body>
<h1>Tin nhắn người dân nhận được</h1>
<p class="meta">Máy chủ Zalo giả lập (chỉ dùng để thử nghiệm) · Messages received by citizens'
phones, newest first · tự làm mới mỗi 2 giây</p>
<ul>
{items}
</ul>
</body></html>"""


def state_of(server: Any) -> StandinState:
    """The state of a stand-in app, or of a `ThreadedServer` running one."""
    app = getattr(getattr(getattr(server, "server", None), "config", None), "app", server)
    state: StandinState = app.state.standin
    return state


class StandinControl:
    """Drives a stand-in in another process (demo, benchmark) through `/_standin/*`."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def reset(self) -> None:
        self.client.post("/_standin/reset").raise_for_status()

    def script(
        self, path: str, body: Any = None, *, status: int | None = None, delay: float = 0.0
    ) -> None:
        spec = {"path": path, "body": body, "status": status, "delay": delay}
        self.client.post("/_standin/script", json=spec).raise_for_status()

    def configure(self, **options: Any) -> None:
        self.client.post("/_standin/config", json=options).raise_for_status()

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        params = {"path": path} if path else None
        response = self.client.get("/_standin/requests", params=params)
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result

    def messages(self) -> list[dict[str, Any]]:
        response = self.client.get("/_standin/messages")
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result

    def close(self) -> None:
        self.client.close()


__all__ = [
    "ACCESS_TOKEN",
    "BOT_SEND",
    "CONVERSATION",
    "MESSAGE_CS",
    "UPLOAD_IMAGE",
    "Received",
    "Recorded",
    "Scripted",
    "StandinControl",
    "StandinState",
    "create_standin_app",
    "state_of",
]
