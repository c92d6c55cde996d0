"""Helpers for the worker tests (a module of its own: test modules cannot import conftest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from danvan.inbox.models import Message, OutboxAttempt, OutboxItem
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow

CITIZEN = "8421000000001"
ACCESS = "AT-stored-0001"
REFRESH = "RT-stored-0001"


@dataclass
class Delivered:
    """A reply as the worker left it."""

    message: Message
    item: OutboxItem
    attempts: list[OutboxAttempt]


def delivered(database: Database, message_id: int) -> Delivered:
    with database.session() as session:
        message = session.get(Message, message_id)
        item = session.scalars(select(OutboxItem).where(OutboxItem.message_id == message_id)).one()
        attempts = list(
            session.scalars(
                select(OutboxAttempt)
                .where(OutboxAttempt.outbox_id == item.id)
                .order_by(OutboxAttempt.id)
            )
        )
        assert message is not None
        return Delivered(message, item, attempts)


def make_due(database: Database, message_id: int) -> None:
    """Let time pass: the row's next attempt falls due now."""
    with database.session() as session:
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.message_id == message_id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
