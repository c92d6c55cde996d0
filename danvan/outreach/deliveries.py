"""A broadcast's deliveries in bulk, a few statements per batch rather than per citizen: the
conversations opened for citizens who never wrote, the messages and their outbox rows queued for
the ordinary worker, the queued ones taken back when staff pause or cancel, and those held back
during quiet hours."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.orm import Session

from danvan.inbox.models import (
    Conversation,
    Delivery,
    Direction,
    Message,
    OutboxItem,
    OutboxStatus,
)
from danvan.kernel.models import utcnow
from danvan.outreach.models import Broadcast, BroadcastRecipient, RecipientStatus

REASON_CANCELLED = "Thông báo đã bị huỷ trước khi gửi"
OUTREACH_STATUS = "outreach"  # a conversation that only carries broadcasts so far

# A waiting recipient as `broadcasts.queue_some` selects it: recipient id, contact id, channel,
# external id, commune, follower, opted out at, last interaction, conversation id (None: none).
Waiting: TypeAlias = "Row[int, int, str, str, int | None, bool, datetime | None, datetime, int]"


def message_text(broadcast: Broadcast) -> str:
    """The text each citizen receives: the broadcast's text, then its link if any."""
    return f"{broadcast.text}\n{broadcast.link_url}" if broadcast.link_url else broadcast.text


def conversations_of(session: Session, rows: Sequence[Waiting], *, now: datetime) -> dict[int, int]:
    """The conversation of each recipient row, by contact id: the citizen's own, or one opened
    now for those who never had one."""
    # Conversations for citizens who never had one: status "outreach" keeps them out of the
    # staff inbox (and they are dated by the citizen's own last interaction); when the citizen
    # writes, ingest sets "open" and it is an ordinary conversation from then on.
    missing = [row for row in rows if row[8] is None]
    conversations = {row[1]: row[8] for row in rows if row[8] is not None}
    if missing:
        created = session.execute(
            insert(Conversation).returning(
                Conversation.id, Conversation.contact_id, sort_by_parameter_order=True
            ),
            [
                {
                    "contact_id": row[1],
                    "channel": row[2],
                    "commune_code": row[4],
                    "status": OUTREACH_STATUS,
                    "last_message_at": row[7],
                    "last_message_preview": "",
                    "unread_count": 0,
                    "created_at": now,
                }
                for row in missing
            ],
        ).all()
        conversations.update({contact_id: conv_id for conv_id, contact_id in created})
    return conversations


def queue_messages(
    session: Session,
    broadcast: Broadcast,
    rows: Sequence[Waiting],
    conversations: dict[int, int],
    *,
    source: str,
    now: datetime,
) -> None:
    """One message per recipient row in their conversation, its outbox row for the worker, and
    the recipient marked queued with it."""
    text = message_text(broadcast)
    message_ids = session.scalars(
        insert(Message).returning(Message.id, sort_by_parameter_order=True),
        [
            {
                "conversation_id": conversations[row[1]],
                "channel": row[2],
                "direction": Direction.OUT,
                "kind": "text",
                "text": text,
                "attachments": [],
                "source": source,
                "author_id": broadcast.created_by,
                "delivery_status": Delivery.QUEUED,
                "created_at": now,
            }
            for row in rows
        ],
    ).all()
    session.execute(
        insert(OutboxItem),
        [
            {
                "message_id": message_id,
                "channel": row[2],
                "recipient": row[3],
                "idempotency_key": uuid.uuid4().hex,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "parts_sent": 0,
                "platform_message_ids": [],
                "buttons": broadcast.buttons,
                "created_at": now,
                "updated_at": now,
            }
            for row, message_id in zip(rows, message_ids, strict=True)
        ],
    )
    session.execute(
        update(BroadcastRecipient),
        [
            {"id": row[0], "status": RecipientStatus.QUEUED, "message_id": message_id}
            for row, message_id in zip(rows, message_ids, strict=True)
        ],
    )


def unqueue(session: Session, broadcast: Broadcast, *, to: RecipientStatus) -> int:
    """Take back the queued deliveries no worker has tried yet; their recipients go to `to`.

    Only rows still `pending` with no attempt are removed (the DELETE re-checks that under the
    row lock), so a message a worker holds or has tried is never removed: no loss, no resend.
    """
    queued_messages = select(BroadcastRecipient.message_id).where(
        BroadcastRecipient.broadcast_id == broadcast.id,
        BroadcastRecipient.status == RecipientStatus.QUEUED,
        BroadcastRecipient.message_id.is_not(None),
    )
    removed = list(
        session.scalars(
            delete(OutboxItem)
            .where(
                OutboxItem.message_id.in_(queued_messages),
                OutboxItem.status == OutboxStatus.PENDING,
                OutboxItem.attempts == 0,
            )
            .returning(OutboxItem.message_id)
            .execution_options(synchronize_session=False)
        )
    )
    if not removed:
        return 0
    values: dict[str, Any] = {"status": to, "message_id": None, "updated_at": utcnow()}
    if to == RecipientStatus.CANCELLED:
        values["reason"] = REASON_CANCELLED
    session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast.id,
            BroadcastRecipient.message_id.in_(removed),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Message).where(Message.id.in_(removed)).execution_options(synchronize_session=False)
    )
    return len(removed)


def defer_quiet(session: Session, *, resume: datetime) -> int:
    """Queued deliveries of non-urgent broadcasts wait for the end of quiet hours (`resume`)."""
    non_urgent = (
        select(BroadcastRecipient.message_id)
        .join(Broadcast, Broadcast.id == BroadcastRecipient.broadcast_id)
        .where(
            Broadcast.urgent.is_(False),
            BroadcastRecipient.status == RecipientStatus.QUEUED,
        )
    )
    result = session.execute(
        update(OutboxItem)
        .where(
            OutboxItem.message_id.in_(non_urgent),
            OutboxItem.status == OutboxStatus.PENDING,
            OutboxItem.next_attempt_at < resume,
        )
        .values(next_attempt_at=resume)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
