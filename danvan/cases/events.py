"""What every change of a case leaves behind: its timeline event, and the notices to its
citizens.

Each public status change queues a Vietnamese notice (an outbound `Message` with source
"system") in the conversation of every citizen of the case, merged duplicates included, on the
one channel the inbox's notice plan picks (Zalo within its window, a template message by phone,
or a call task for staff).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.cases import rules
from danvan.cases.models import Case, CaseEvent
from danvan.inbox.models import Conversation, Message
from danvan.inbox.notices import carriers, send_notice
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings

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


def case_fields(settings: Settings, case: Case, **extra: str) -> dict[str, str]:
    """What a case's notice offers a template's parameters (danvan.inbox.notices.FIELDS)."""
    zone = ZoneInfo(settings.timezone)
    return {
        "case_code": case.code,
        "title": case.title,
        "status": rules.status_name(settings, case.status),
        "answer": case.public_answer or "",
        "due_date": f"{case.due_at.astimezone(zone):%d/%m/%Y}" if case.due_at else "",
        "lookup_url": rules.lookup_url(settings, case.code),
        "date": f"{utcnow().astimezone(zone):%d/%m/%Y}",
        **extra,
    }


def notify_citizens(
    session: Session,
    case: Case,
    text: str,
    *,
    settings: Settings,
    kind: str | None = None,
    fields: dict[str, str] | None = None,
) -> list[int]:
    """Queue `text` to every citizen of the case, each on the one channel the inbox's notice
    plan picks (`danvan.inbox.notices`): Zalo within its window, a template message by phone,
    or a staff call task. `kind` names the notice for its template (None: no template); the ids
    of the notices' messages."""
    values = fields if fields is not None else case_fields(settings, case)
    return [
        send_notice(
            session,
            settings=settings,
            conversation=conversation,
            text=text,
            kind=kind,
            fields=values,
            ref=f"case:{case.code}",
        ).id
        for conversation in citizen_conversations(session, case)
    ]


def notice_channels(session: Session, events: list[CaseEvent]) -> dict[int, list[Message]]:
    """For each event that sent notices, the notices' messages (which channel carried each)."""
    ids = {
        i: [int(m) for m in (e.detail or {}).get("message_ids") or []] for i, e in enumerate(events)
    }
    found = carriers(session, [m for ms in ids.values() for m in ms])
    return {events[i].id: [found[m] for m in ms if m in found] for i, ms in ids.items() if ms}
