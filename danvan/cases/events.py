"""What every change of a case leaves behind: its timeline event, and the notices to its
citizens.

Each public status change queues a Vietnamese notice (an outbound `Message` with source
"system" plus its outbox row) in the conversation of every citizen of the case, merged
duplicates included; the worker delivers it on the citizen's own channel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.cases.models import Case, CaseEvent
from danvan.inbox.models import Conversation, Delivery, Direction, Message
from danvan.inbox.outbox import enqueue
from danvan.kernel.models import utcnow
from danvan.kernel.text import preview

# --- Timeline events --------------------------------------------------------------------------


def add_event(
    session: Session,
    case: Case,
    *,
    kind: str,
    actor: Actor | None,
    public: bool = False,
    text: str = "",
    from_status: str | None = None,
    to_status: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """A new timeline event of the case (added to the session, not flushed)."""
    event = CaseEvent(
        case_id=case.id,
        at=at or utcnow(),
        actor_id=actor.user.id if actor else None,
        kind=kind,
        public=public,
        text=text,
        from_status=from_status,
        to_status=to_status,
        detail=detail or {},
    )
    session.add(event)
    return event


def record_event(
    session: Session,
    case: Case,
    *,
    kind: str,
    public: bool = False,
    detail: dict[str, Any] | None = None,
) -> CaseEvent:
    """A timeline event written by the system (the worker's jobs)."""
    return add_event(session, case, kind=kind, actor=None, public=public, detail=detail)


# --- Notices ----------------------------------------------------------------------------------


def citizen_conversations(session: Session, case: Case) -> list[Conversation]:
    """Conversations of the case's citizens: its own and those of duplicates merged into it."""
    ids = {case.conversation_id} if case.conversation_id else set()
    ids.update(
        cid
        for cid in session.scalars(
            select(Case.conversation_id).where(
                Case.merged_into_id == case.id, Case.conversation_id.is_not(None)
            )
        )
        if cid is not None
    )
    if not ids:
        return []
    return list(session.scalars(select(Conversation).where(Conversation.id.in_(sorted(ids)))))


def _send(session: Session, conversation: Conversation, text: str) -> Message:
    message = Message(
        conversation_id=conversation.id,
        channel=conversation.channel,
        direction=Direction.OUT,
        kind="text",
        text=text,
        source="system",
        delivery_status=Delivery.QUEUED,
    )
    session.add(message)
    session.flush()
    enqueue(session, message=message, recipient=conversation.contact.external_id)
    conversation.last_message_at = message.created_at
    conversation.last_message_preview = preview(text, 200)
    return message


def notify_citizens(session: Session, case: Case, text: str) -> list[int]:
    """Queue `text` to every citizen of the case; the ids of the queued messages."""
    return [
        _send(session, conversation, text).id
        for conversation in citizen_conversations(session, case)
    ]
