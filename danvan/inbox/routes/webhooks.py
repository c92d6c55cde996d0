"""Inbound webhooks from Zalo OA and the Zalo Bot API.

Thin: read the body (bounded), let the channel verify and parse it, and store its events in one
transaction that commits *before* the 200, so that an acknowledged event is never lost. A
rejected call gets its 4xx and stores nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from fastapi import APIRouter
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from danvan.channels.base import ParsedWebhook, WebhookRejected
from danvan.channels.zalo_bot import inbound as bot_inbound
from danvan.channels.zalo_oa import inbound as oa_inbound
from danvan.channels.zalo_oa.payloads import MAX_BODY
from danvan.inbox.ingest import ingest_events, ingest_many
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.web.security_headers import CSP, STATIC_HEADERS

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

logger = logging.getLogger("danvan.web.webhooks")


class Parser(Protocol):
    def __call__(
        self, headers: Mapping[str, str], body: bytes, *, settings: Settings
    ) -> ParsedWebhook: ...


def _ingest(session: Session, parsed: ParsedWebhook, settings: Settings) -> None:
    ingest_events(
        session,
        events=parsed.events,
        province_code=settings.province,
        ask_commune=settings.ask_commune_automatically,
    )


def _store(database: Database, parsed: ParsedWebhook, settings: Settings) -> None:
    # One transaction for the call, committed when the block exits: before the 200 is sent.
    with database.session() as session:
        _ingest(session, parsed, settings)


def _store_many(database: Database, batch: list[ParsedWebhook], settings: Settings) -> list[Any]:
    """Group commit: the calls waiting together share one transaction (one BEGIN, one COMMIT,
    one threadpool hop) and their citizens' messages are written by a few statements for the
    whole batch (`ingest_many`), not a few per message. Should it fail, each call is stored
    again in its own transaction, so one bad call never takes the others down: the outcome per
    call (None or its exception) is what `_store` alone would have given."""
    if len(batch) > 1:
        try:
            with database.session() as session:
                ingest_many(
                    session,
                    calls=[parsed.events for parsed in batch],
                    province_code=settings.province,
                    ask_commune=settings.ask_commune_automatically,
                )
            return [None] * len(batch)
        except Exception:  # retried one by one below
            logger.info("a batch of %d webhook calls failed; storing them one by one", len(batch))
    outcomes: list[Any] = []
    for parsed in batch:
        try:
            _store(database, parsed, settings)
            outcomes.append(None)
        except Exception as exc:  # handed back to its own request
            outcomes.append(exc)
    return outcomes


class _Writer:
    """Queues parsed calls and stores them in batches, one batch at a time per process.

    Each request still waits for the commit of the transaction that holds its events before
    its 200. A batch holds whatever arrived while the previous one was being written."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self.pending: list[tuple[ParsedWebhook, asyncio.Future[None]]] = []
        self.task: asyncio.Task[None] | None = None

    async def store(self, parsed: ParsedWebhook) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((parsed, future))
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.task = loop.create_task(self._drain())
        await future

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
            try:
                outcomes = await run_in_threadpool(
                    _store_many, self.database, [parsed for parsed, _ in batch], self.settings
                )
            except BaseException as exc:  # cancelled: nobody may wait forever
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                raise
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if outcome is None:
                    future.set_result(None)
                else:
                    future.set_exception(outcome)


MAX_BATCH = 64


class WebhookEndpoint:
    """The one way a webhook POST is answered, as a pure ASGI app: read the body (bounded), let
    the channel verify and parse it, store its events with the calls waiting with it (`_Writer`)
    and answer once the transaction that holds them has committed.

    It is reached two ways, both this object: the app (`danvan.web.app.DanvanApp`) hands it the
    two webhook POSTs at its front door (`lane_endpoint`), before FastAPI's own outer layers, the
    session middleware, route matching, dependency solving and exception-handler layers (they
    cost a web process more CPU per webhook than storing it: bench/README.md, "ingest"); and the
    router below serves it at the same URLs for an app built without the lane, and describes it
    in the API document."""

    def __init__(self, parse: Parser) -> None:
        self.parse = parse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["app"]
        settings: Settings = app.state.settings
        # ASGI servers give header names in lower case, as the parsers want them; the first of
        # repeated names wins (as Starlette's Headers.get).
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in reversed(scope["headers"])
        }
        try:
            body = await _bounded_body(headers, receive)
            if body is None:
                return  # the client went away: nothing to answer
            parsed = self.parse(headers, body, settings=settings)
        except WebhookRejected as exc:
            logger.info("%s refused with %s: %s", scope["path"], exc.status, exc.reason)
            await _answer(send, exc.status, {"ok": False, "detail": exc.reason})
            return
        await _writer(app).store(parsed)
        await _answer(send, 200, OK)


async def _bounded_body(headers: Mapping[str, str], receive: Receive) -> bytes | None:
    """The raw body, refused (413) past `MAX_BODY` without reading the rest; None when the
    client disconnected."""
    declared = headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise WebhookRejected(400, "Invalid Content-Length")
        if int(declared) > MAX_BODY:
            raise WebhookRejected(413, f"Body larger than {MAX_BODY} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise WebhookRejected(413, f"Body larger than {MAX_BODY} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


OK = {"ok": True}
# The answers' headers: JSON, and the security headers every response of the app carries
# (the lane runs in front of SecurityHeadersMiddleware).
_HEADERS = [
    (b"content-type", b"application/json"),
    *((name.lower().encode(), value.encode()) for name, value in STATIC_HEADERS.items()),
    (b"content-security-policy", CSP.encode()),
]
_OK_BODY = json.dumps(OK, separators=(",", ":")).encode()


async def _answer(send: Send, status: int, content: dict[str, Any]) -> None:
    body = (
        _OK_BODY
        if content is OK
        else json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    )
    headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _writer(app: Any) -> _Writer:
    state = app.state
    writer: _Writer | None = getattr(state, "webhook_writer", None)
    database: Database = state.database
    settings: Settings = state.settings
    if writer is None or writer.database is not database or writer.settings is not settings:
        writer = state.webhook_writer = _Writer(database, settings)
    return writer


ENDPOINTS: dict[str, WebhookEndpoint] = {
    "/webhooks/zalo-oa": WebhookEndpoint(oa_inbound.parse),
    "/webhooks/zalo-bot": WebhookEndpoint(bot_inbound.parse),
}


def lane_endpoint(scope: Scope) -> WebhookEndpoint | None:
    """The endpoint of a webhook POST, None for anything else (GET included). The app answers
    these first, in front of every framework layer (`danvan.web.app.DanvanApp`)."""
    if scope["type"] == "http" and scope["method"] == "POST":
        return ENDPOINTS.get(scope["path"])
    return None


class _EndpointRoute(APIRoute):
    """An API route served by a `WebhookEndpoint`: FastAPI describes it from the documenting
    function (path, summary, answers) and never calls that function."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.served_by = ENDPOINTS[self.path]

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.served_by(scope, receive, send)


@router.get("/zalo-oa")
def zalo_oa_check() -> dict[str, bool]:
    """Zalo's check when the webhook URL is saved. Only GET: an unsigned POST is refused."""
    return {"ok": True}


async def zalo_oa_webhook() -> dict[str, bool]:
    """An event from a Zalo Official Account, signed with `X-ZEvent-Signature`.

    200 `{"ok": true}` once stored (unknown events are stored raw); 200 `{"ok": false}` and
    nothing stored for a signed event older than the freshness window (so Zalo stops retrying
    it); 401 unsigned or wrongly signed; 400/413/422 for a body that is not a valid event; 503
    when not configured, or for an event dated ahead of the allowed skew (Zalo retries it).
    """
    raise NotImplementedError  # served by WebhookEndpoint


async def zalo_bot_webhook() -> dict[str, bool]:
    """An update from the Zalo Bot API, authenticated by `X-Bot-Api-Secret-Token`.

    200 `{"ok": true}` once stored (unknown events are stored raw); 401 without the right token;
    400/413/422 for a body that is not a valid update; 503 when not configured.
    """
    raise NotImplementedError  # served by WebhookEndpoint


for _path, _describe in (("/zalo-oa", zalo_oa_webhook), ("/zalo-bot", zalo_bot_webhook)):
    router.add_api_route(_path, _describe, methods=["POST"], route_class_override=_EndpointRoute)
