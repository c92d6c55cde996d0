"""Zalo Bot webhooks: check `X-Bot-Api-Secret-Token`, then turn the call into one `InboundEvent`.

The Bot API signs nothing: the secret token set with `setWebhook` comes back in a header and is
compared in constant time. Bodies come flat (`{"event_name", "message"}`) or wrapped like API
answers (`{"ok": true, "result": {...}}`); both are accepted.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from danvan.channels.base import Attachment, EventKind, InboundEvent, ParsedWebhook, WebhookRejected
from danvan.channels.zalo_bot.payloads import BotEvent, BotMessage, BotSticker
from danvan.channels.zalo_oa.payloads import digest, load_object, rejection, safe_url
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings

CHANNEL = "zalo_bot"
logger = logging.getLogger("danvan.channels.zalo_bot")

# event name -> message kind (as stored on `messages.kind`)
EVENTS = {
    "message.text.received": "text",
    "message.image.received": "image",
    "message.sticker.received": "sticker",
    "message.voice.received": "audio",
    # Protected content: a valid event that carries nothing we may read.
    "message.unsupported.received": "unsupported",
}


def parse(headers: Mapping[str, str], body: bytes, *, settings: Settings) -> ParsedWebhook:
    """Check and parse one Bot webhook call. `headers` must be case-insensitive (Starlette's) or
    lower-case. Raises `WebhookRejected`."""
    if not settings.zalo_bot_secret:
        raise WebhookRejected(
            503, "Zalo Bot webhook is not configured (set DANVAN_ZALO_BOT_SECRET)"
        )
    given = headers.get("x-bot-api-secret-token")
    if not given:
        raise WebhookRejected(401, "Missing X-Bot-Api-Secret-Token")
    # Bytes: compare_digest refuses non-ASCII str, and the header is the caller's choice.
    if not hmac.compare_digest(given.encode(), settings.zalo_bot_secret.encode()):
        logger.warning("Rejected a Bot webhook: wrong X-Bot-Api-Secret-Token")
        raise WebhookRejected(401, "Wrong X-Bot-Api-Secret-Token")
    raw, data = load_object(body)
    return ParsedWebhook(events=[to_event(data, raw=raw)], matched="secret_token")


def to_event(data: dict[str, Any], *, raw: str) -> InboundEvent:
    """The checked body as an event. Raises `WebhookRejected` (422) on missing or mistyped
    fields; unknown event names are kept raw whatever their other fields hold."""
    if "event_name" not in data and "result" in data:
        data = data["result"]
        if not isinstance(data, dict):
            raise WebhookRejected(422, "Invalid payload: result must be an object")
    name = data.get("event_name")
    if not isinstance(name, str) or not name or not name.isprintable():
        raise WebhookRejected(422, "Invalid payload: event_name is missing or not a string")
    message_kind = EVENTS.get(name)
    if message_kind is None:
        logger.info("Stored a Bot event of unknown kind %r raw", name[:64])
        return InboundEvent(
            channel=CHANNEL,
            kind=EventKind.UNKNOWN,
            event_name=name,
            dedupe_key=digest(raw),
            occurred_at=utcnow(),
            raw=raw,
        )
    try:
        message = BotEvent.model_validate(data).message
    except ValidationError as exc:
        raise rejection(exc) from None
    sender = message.from_
    return InboundEvent(
        channel=CHANNEL,
        kind=EventKind.MESSAGE,
        event_name=name,
        dedupe_key=f"{name}:{message.message_id}" if message.message_id else digest(raw),
        occurred_at=message.date or utcnow(),
        user_id=message.chat.id,
        display_name=(sender.display_name or sender.name) if sender else None,
        message_id=message.message_id,
        message_kind=message_kind,
        text=(message.text or message.caption or "") if message_kind != "unsupported" else "",
        attachments=_attachments(message, message_kind),
        raw=raw,
    )


def _attachments(message: BotMessage, kind: str) -> tuple[Attachment, ...]:
    if kind == "image":
        return (Attachment(type="image", url=safe_url(message.photo_url or message.photo)),)
    if kind == "sticker":
        sticker = message.sticker
        if isinstance(sticker, BotSticker):
            return (Attachment(type="sticker", name=sticker.id, url=safe_url(sticker.url)),)
        return (Attachment(type="sticker", name=sticker, url=safe_url(message.url)),)
    if kind == "audio":
        return (Attachment(type="audio", url=safe_url(message.voice_url or message.url)),)
    return ()
