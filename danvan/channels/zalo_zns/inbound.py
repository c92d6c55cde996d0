"""ZNS delivery receipts. They arrive on the OA's webhook (same app, same signature) with the
header `X-ZEvent-Server: ZNS`: `user_received_message` whose `sender` is the OA, `recipient.id`
the phone (or its hash) and `message{delivery_time, msg_id, tracking_id}` (zalo.md §1, [MED]).
`tracking_id` is ours (the outbox row's idempotency key), so a receipt finds its notice even
when the send's answer was lost."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from danvan.channels.base import EventKind, InboundEvent
from danvan.kernel.models import utcnow

CHANNEL = "zalo_zns"
RECEIPT = "user_received_message"
log = logging.getLogger("danvan.channels.zalo_zns")


def is_zns(headers: Mapping[str, str]) -> bool:
    return headers.get("x-zevent-server", "").strip().upper() == "ZNS"


def _text(value: Any, limit: int = 128) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip()[:limit]


def _epoch_ms(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def to_event(data: dict[str, Any], *, raw: str, timestamp: str) -> InboundEvent:
    """A verified ZNS webhook body as an event: a receipt (DELIVERED, with the template
    message's id and our tracking id), or any other ZNS event kept raw (UNKNOWN)."""
    name = _text(data.get("event_name"), 64)
    message: dict[str, Any] = data["message"] if isinstance(data.get("message"), dict) else {}
    recipient: dict[str, Any] = data["recipient"] if isinstance(data.get("recipient"), dict) else {}
    msg_id = _text(message.get("msg_id"))
    tracking_id = _text(message.get("tracking_id"), 64)
    if name != RECEIPT or not (msg_id or tracking_id):
        log.info("Stored a ZNS event %r raw", name)
        return InboundEvent(
            channel=CHANNEL,
            kind=EventKind.UNKNOWN,
            event_name=name or "unknown",
            dedupe_key=hashlib.sha256(raw.encode()).hexdigest(),
            occurred_at=utcnow(),
            raw=raw,
        )
    at = _epoch_ms(message.get("delivery_time")) or _epoch_ms(timestamp) or utcnow()
    return InboundEvent(
        channel=CHANNEL,
        kind=EventKind.DELIVERED,
        event_name=name,
        dedupe_key=f"received:{msg_id or tracking_id}",
        occurred_at=at,
        # The phone, as Zalo names it; only used to find nothing else (receipts match by ids).
        user_id=_text(recipient.get("id"), 64) or "zns",
        message_ids=(msg_id,) if msg_id else (),
        tracking_ids=(tracking_id,) if tracking_id else (),
        raw=raw,
    )
