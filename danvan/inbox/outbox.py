"""The outbox: replies are queued here in the transaction that writes them.

`enqueue` is all that writers need. Delivery (claiming due rows, sending through the channel
adapter, retries, reconciliation after a crash) lives in `danvan.inbox.worker`.
"""

from __future__ import annotations

import uuid
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
) -> OutboxItem:
    """Queue `message` for `recipient`; `buttons` (see channels.base.Button) go with it.
    `template`: a platform template sent in place of the text (see OutboxItem.template)."""
    item = OutboxItem(
        message_id=message.id,
        channel=message.channel,
        recipient=recipient,
        idempotency_key=uuid.uuid4().hex,
        status=OutboxStatus.PENDING,
        next_attempt_at=utcnow(),
        buttons=buttons or None,
        template=template or None,
    )
    session.add(item)
    session.flush()
    return item
