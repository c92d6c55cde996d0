"""The outbox: replies are queued here in the transaction that writes them.

`enqueue` is all that writers need. Delivery (claiming due rows, sending through the channel
adapter, retries, reconciliation after a crash) lives in `danvan.inbox.worker`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from danvan.inbox.models import Message, OutboxItem, OutboxStatus
from danvan.kernel.models import utcnow


def enqueue(
    session: Session,
    *,
    message: Message,
    recipient: str,
    buttons: list[dict[str, Any]] | None = None,
    template: dict[str, Any] | None = None,
    channel: str | None = None,
    not_before: datetime | None = None,
) -> OutboxItem:
    """Queue `message` for `recipient`; `buttons` (see channels.base.Button) go with it.
    `template`: a platform template sent in place of the text (see OutboxItem.template).
    `channel`: the sender, when not the message's own (a notice carried by a template message
    by phone); `not_before`: not sent before then (ZNS's night window)."""
    now = utcnow()
    item = OutboxItem(
        message_id=message.id,
        channel=channel or message.channel,
        recipient=recipient,
        idempotency_key=uuid.uuid4().hex,
        status=OutboxStatus.PENDING,
        next_attempt_at=max(now, not_before) if not_before else now,
        buttons=buttons or None,
        template=template or None,
    )
    session.add(item)
    session.flush()
    return item
