"""The public web form as a channel: a submission becomes an `InboundEvent` like any webhook's.

There is no platform to verify here (the form's own protections live in `danvan.inbox.webform`);
this module only gives web messages the same shape as Zalo ones, so that `ingest_events` stores
them, deduplicates them and makes their conversation unread in one place.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from danvan.channels.base import Attachment, EventKind, InboundEvent

CHANNEL = "web"
# Stored photos are served to staff at MEDIA_PREFIX + name (see `danvan.inbox.routes.public`).
MEDIA_PREFIX = "/media/"


def photo_attachment(*, name: str, size: int) -> Attachment:
    """A stored photo as a message attachment; its url is the staff-only media path."""
    return Attachment(type="image", url=MEDIA_PREFIX + name, name=name, size=size)


def message_event(
    *,
    tracking_code: str,
    text: str,
    received_at: datetime,
    photo: Attachment | None = None,
    event_name: str = "web_form",
) -> InboundEvent:
    """One citizen message from the form or from their thread page.

    The dedupe key is also the message's external id, so the raw event can be found (and erased)
    from the message; the raw record names the tracking code but holds no name or phone.
    """
    message_id = f"web-{uuid.uuid4().hex}"
    raw = json.dumps(
        {
            "event_name": event_name,
            "user_id": tracking_code,
            "message_id": message_id,
            "text": text,
            "photo": photo.name if photo else None,
            "received_at": received_at.isoformat(),
        },
        ensure_ascii=False,
    )
    return InboundEvent(
        channel=CHANNEL,
        kind=EventKind.MESSAGE,
        event_name=event_name,
        dedupe_key=message_id,
        occurred_at=received_at,
        user_id=tracking_code,
        message_id=message_id,
        message_kind="image" if photo else "text",
        text=text,
        attachments=(photo,) if photo else (),
        raw=raw,
    )
