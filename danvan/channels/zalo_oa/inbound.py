"""Zalo OA webhooks: verify `X-ZEvent-Signature`, then turn the call into one `InboundEvent`.

Order of checks (each failure is a `WebhookRejected` and nothing is stored): configured (503),
signature present (401), size (413), UTF-8 and a JSON object (400), the signed timestamp (422),
signature (401), freshness of the signed time (too old: 200, dropped; too far ahead: 503),
payload types (422). The signature covers a timestamp that lives inside the body,
which is why the body is parsed before the signature can be checked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from danvan.channels.base import (
    Attachment,
    EventKind,
    InboundEvent,
    ParsedWebhook,
    SharedInfo,
    WebhookRejected,
)
from danvan.channels.zalo_oa import signature
from danvan.channels.zalo_oa.payloads import (
    OAAttachment,
    OAEvent,
    OAMessage,
    digest,
    load_object,
    parse_epoch,
    rejection,
    safe_url,
    short_text,
)
from danvan.channels.zalo_zns import inbound as zns_inbound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import clean

CHANNEL = "zalo_oa"
logger = logging.getLogger("danvan.channels.zalo_oa")

# The documented form (zalo.md §2); other candidates are variants some sources describe.
DOCUMENTED = "app_id+oa_secret"
# user_send_<kind> events that are citizen messages (group and anonymous events are not).
MESSAGE_KINDS = frozenset(
    {"text", "image", "file", "location", "sticker", "link", "audio", "video", "gif"}
    | {"business_card"}
)
_RECEIPTS = {"user_received_message": EventKind.DELIVERED, "user_seen_message": EventKind.SEEN}
_FOLLOWS = {"follow": EventKind.FOLLOW, "unfollow": EventKind.UNFOLLOW}
# A ZNS receipt names the citizen by phone (84xxxxxxxxx or 0xxxxxxxxx), not by OA user id.
_PHONE = re.compile(r"(?:84|\+84|0)\d{9,10}")
_MAX_KEY = 200  # inbound_events.dedupe_key
_T = TypeVar("_T")


def parse(headers: Mapping[str, str], body: bytes, *, settings: Settings) -> ParsedWebhook:
    """Verify and parse one OA webhook call. `headers` must be case-insensitive (Starlette's) or
    lower-case. Raises `WebhookRejected`."""
    if not settings.zalo_oa_secret_key or not settings.zalo_oa_app_id:
        raise WebhookRejected(
            503,
            "Zalo OA webhook is not configured "
            "(set DANVAN_ZALO_OA_APP_ID and DANVAN_ZALO_OA_SECRET_KEY)",
        )
    given = headers.get("x-zevent-signature")
    if not given:
        raise WebhookRejected(401, "Missing X-ZEvent-Signature")
    raw, data = load_object(body)
    timestamp = _signed_timestamp(data, headers)
    matched = signature.verify(
        given, body=body, timestamp=timestamp, candidates=_candidates(settings, data)
    )
    if matched is None:
        logger.warning("Rejected an OA webhook: wrong X-ZEvent-Signature")
        raise WebhookRejected(401, "Wrong X-ZEvent-Signature")
    if matched == DOCUMENTED:
        logger.debug("OA webhook signature matched %s", matched)
    else:
        logger.info("OA webhook signature matched the variant %s", matched)
    _check_fresh(timestamp, settings)
    event = to_event(data, raw=raw, timestamp=timestamp, headers=headers)
    return ParsedWebhook(events=[event], matched=matched)


def _signed_timestamp(data: dict[str, Any], headers: Mapping[str, str]) -> str:
    value = data.get("timestamp")
    if value is None:
        # Some integrations read it from a header; only a fallback (zalo.md §2).
        header = headers.get("x-zevent-timestamp")
        if header is None:
            raise WebhookRejected(401, "No timestamp to check X-ZEvent-Signature against")
        return header
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise WebhookRejected(422, "Invalid payload: timestamp must be epoch milliseconds")
    return str(value)


def _check_fresh(timestamp: str, settings: Settings) -> None:
    """A correctly signed event is still refused when its signed time is too old (a replay of
    a captured call) or too far ahead. Too old: answered 200 with nothing stored, because Zalo
    retries anything else for hours and the event will never get younger. Too far ahead: 503,
    so that Zalo tries again (the event comes into the window as time passes, or our clock is
    wrong and someone must look)."""
    at = parse_epoch(timestamp)
    if at is None:
        raise WebhookRejected(422, "Invalid payload: timestamp must be epoch milliseconds")
    age = (utcnow() - at).total_seconds()
    if age > settings.zalo_oa_webhook_max_age_seconds:
        logger.warning(
            "Dropped a signed OA webhook event dated %s (%d s old, the limit is %d s)",
            at.isoformat(),
            age,
            settings.zalo_oa_webhook_max_age_seconds,
        )
        raise WebhookRejected(200, "Event too old: acknowledged and not stored")
    if -age > settings.zalo_oa_webhook_max_skew_seconds:
        logger.warning(
            "Refused a signed OA webhook event dated %s, %d s ahead of this server's clock "
            "(the limit is %d s): is the clock right?",
            at.isoformat(),
            -age,
            settings.zalo_oa_webhook_max_skew_seconds,
        )
        raise WebhookRejected(503, "Event dated in the future: try again later")


def _candidates(settings: Settings, data: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(variant name, first id, key) in the order they are tried, the documented one first."""
    keys = [("oa_secret", settings.zalo_oa_secret_key)]
    if settings.zalo_app_secret_key and settings.zalo_app_secret_key != keys[0][1]:
        keys.append(("app_secret", settings.zalo_app_secret_key))
    for key_name, key in keys:
        yield f"app_id+{key_name}", settings.zalo_oa_app_id, key
    oa_id = _oa_id(data)
    if oa_id and oa_id != settings.zalo_oa_app_id:
        for key_name, key in keys:
            yield f"oa_id+{key_name}", oa_id, key


def _oa_id(data: dict[str, Any]) -> str | None:
    """The OA's id as the unverified body gives it (only a candidate for the signature)."""
    value = data.get("oa_id")
    if value is None:
        name = data.get("event_name")
        party = data.get(
            "sender" if isinstance(name, str) and name.startswith("oa_") else "recipient"
        )
        value = party.get("id") if isinstance(party, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


# --- Payload -> event ----------------------------------------------------------------------------


def classify(name: str, data: dict[str, Any], headers: Mapping[str, str]) -> EventKind:
    """What the event is, from its name (and, for ZNS receipts, its shape)."""
    if zns_inbound.is_zns(headers):
        return EventKind.UNKNOWN  # ZNS events are parsed by danvan.channels.zalo_zns
    if name.startswith("user_send_") and name[10:] in MESSAGE_KINDS:
        return EventKind.MESSAGE
    if name.startswith("oa_send_") and not name.startswith("oa_send_group_"):
        return EventKind.ECHO
    if name in _FOLLOWS:
        return _FOLLOWS[name]
    if name == "user_submit_info":
        return EventKind.USER_INFO
    if name in _RECEIPTS:
        return EventKind.UNKNOWN if _is_zns_receipt(data) else _RECEIPTS[name]
    return EventKind.UNKNOWN


def _is_zns_receipt(data: dict[str, Any]) -> bool:
    recipient = data.get("recipient")
    recipient_id = recipient.get("id") if isinstance(recipient, dict) else None
    if isinstance(recipient_id, str | int) and _PHONE.fullmatch(str(recipient_id)):
        return True
    message = data.get("message")
    return isinstance(message, dict) and ("tracking_id" in message or "delivery_time" in message)


def to_event(
    data: dict[str, Any], *, raw: str, timestamp: str, headers: Mapping[str, str]
) -> InboundEvent:
    """The verified body as an event. Raises `WebhookRejected` (422) on missing or mistyped
    fields; events of unknown kinds are kept raw whatever their other fields hold."""
    name = data.get("event_name")
    if not isinstance(name, str) or not name or not name.isprintable():
        raise WebhookRejected(422, "Invalid payload: event_name is missing or not a string")
    if zns_inbound.is_zns(headers) or (name in _RECEIPTS and _is_zns_receipt(data)):
        # A template message's receipt (the header says so; its shape too, if a proxy dropped
        # the header): matched by our tracking id, not by OA message ids.
        return zns_inbound.to_event(data, raw=raw, timestamp=timestamp)
    kind = classify(name, data, headers)
    if kind == EventKind.UNKNOWN:
        logger.info("Stored an OA event of unknown kind %r raw", name[:64])
        return InboundEvent(
            channel=CHANNEL,
            kind=kind,
            event_name=name,
            dedupe_key=digest(raw),
            occurred_at=utcnow(),
            raw=raw,
        )
    try:
        event = OAEvent.model_validate(data)
    except ValidationError as exc:
        raise rejection(exc) from None
    occurred_at = event.timestamp or parse_epoch(timestamp) or utcnow()
    base: dict[str, Any] = {
        "channel": CHANNEL,
        "kind": kind,
        "event_name": name,
        "occurred_at": occurred_at,
        "raw": raw,
    }
    if kind in (EventKind.FOLLOW, EventKind.UNFOLLOW):
        follower = _required(event.follower, "follower")
        return InboundEvent(
            **base,
            dedupe_key=_key(name, follower.id, timestamp),
            user_id=follower.id,
            app_user_id=event.user_id_by_app,
        )
    if kind == EventKind.ECHO:
        # The OA wrote from Zalo's own inbox: sender is the OA, the citizen is the recipient.
        user = _required(event.recipient, "recipient")
        message = _required(event.message, "message")
        return InboundEvent(
            **base,
            dedupe_key=message.msg_id or digest(raw),
            user_id=user.id,
            message_id=message.msg_id,
            message_kind=name[8:][:20],
            text=message.text or "",
            attachments=_attachments(message, name[8:]),
        )
    sender = _required(event.sender, "sender")
    if kind == EventKind.MESSAGE:
        message = _required(event.message, "message")
        return InboundEvent(
            **base,
            dedupe_key=message.msg_id or digest(raw),
            user_id=sender.id,
            app_user_id=event.user_id_by_app,
            message_id=message.msg_id,
            message_kind=name[10:],
            text=message.text or "",
            attachments=_attachments(message, name[10:]),
        )
    if kind == EventKind.USER_INFO:
        info = event.info
        shared = None
        if info is not None:
            parts = (info.address, info.ward, info.district, info.city)
            address = ", ".join(p.strip() for p in parts if p and p.strip())
            shared = SharedInfo(name=info.name, phone=info.phone, address=address or None)
        msg_id = event.message.msg_id if event.message else None
        return InboundEvent(
            **base,
            dedupe_key=msg_id or _key(name, sender.id, timestamp),
            user_id=sender.id,
            app_user_id=event.user_id_by_app,
            shared_info=shared,
        )
    # Receipts: one may repeat ids of another, so the key holds the kind and the time too.
    message = _required(event.message, "message")
    ids = tuple(message.msg_ids or ([message.msg_id] if message.msg_id else []))
    if not ids:
        raise WebhookRejected(422, "Invalid payload: message.msg_ids is required")
    return InboundEvent(
        **base,
        dedupe_key=_key(kind.value, ",".join(ids), timestamp),
        user_id=sender.id,
        message_ids=ids,
    )


def _required(value: _T | None, field: str) -> _T:
    if value is None:
        raise WebhookRejected(422, f"Invalid payload: {field} is required for this event")
    return value


def _key(*parts: str) -> str:
    key = ":".join(parts)
    if len(key) <= _MAX_KEY:
        return key
    # Stored keys are cut at 200 characters: a long one is hashed so that it stays unique.
    return f"{parts[0]}:{digest(key)}"


def _attachments(message: OAMessage, kind: str) -> tuple[Attachment, ...]:
    found = [_attachment(item, kind) for item in message.attachments or ()]
    if kind == "location" and not any(a.latitude is not None for a in found) and message.location:
        point = message.location.point()
        if point is not None:
            found.append(Attachment(type="location", latitude=point[0], longitude=point[1]))
    return tuple(found)


def _attachment(item: OAAttachment, kind: str) -> Attachment:
    payload = item.payload
    kind = clean(item.type or kind)[:32] or kind
    if payload is None:
        return Attachment(type=kind)
    point = payload.point()
    return Attachment(
        type=kind,
        url=safe_url(payload.url),
        thumbnail=safe_url(payload.thumbnail),
        # A sticker has an id and no name: the id is what names it.
        name=short_text(payload.name) or payload.id,
        size=payload.size,
        title=short_text(payload.title),
        latitude=point[0] if point else None,
        longitude=point[1] if point else None,
    )
