"""Who sees which case, and reading cases: scope, lists and a case's timeline.

Scope: `Actor.sees_case` — a commune's staff see its cases, a unit's members every case that
passed through their unit (the path is kept in `case_unit_path`), admins everything. Out of
scope is 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.cases import rules as rules
from danvan.cases.models import Case, CaseEvent, CaseMessage, CaseUnit, UnitMember
from danvan.inbox.models import Conversation, Message
from danvan.kernel.errors import NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.text import fold

# --- Scope ------------------------------------------------------------------------------------


def my_unit_ids(session: Session, actor: Actor) -> frozenset[int]:
    return frozenset(
        session.scalars(select(UnitMember.unit_id).where(UnitMember.user_id == actor.user.id))
    )


def case_unit_ids(session: Session, case: Case) -> frozenset[int]:
    return frozenset(session.scalars(select(CaseUnit.unit_id).where(CaseUnit.case_id == case.id)))


def visible(session: Session, actor: Actor) -> Select[Case]:
    """Cases the actor may see (the SQL form of `Actor.sees_case`)."""
    units = my_unit_ids(session, actor)
    condition = actor.commune_filter(Case.commune_code)
    if units and not actor.is_admin:
        path = select(CaseUnit.case_id).where(CaseUnit.unit_id.in_(sorted(units)))
        condition = or_(condition, Case.id.in_(path))
    return select(Case).where(condition)


def sees(session: Session, actor: Actor, case: Case) -> bool:
    return actor.sees_case(
        commune_code=case.commune_code,
        case_units=case_unit_ids(session, case),
        my_units=my_unit_ids(session, actor),
    )


def access_case(session: Session, *, actor: Actor, case_id: int, write: bool = False) -> Case:
    """The case if the actor sees it (and, with `write`, may act on it); else NotFound."""
    case = session.get(Case, case_id)
    if case is None or not sees(session, actor, case):
        raise NotFound("Không tìm thấy phản ánh")
    if write:
        actor.require_write()
    return case


# --- Listing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    commune_code: int | None = None
    unit_id: int | None = None
    category: str | None = None
    assignee_id: int | None = None
    overdue: bool = False
    open_only: bool = False
    q: str | None = None  # code, title or description, with or without diacritics
    limit: int = 50
    offset: int = 0


def _filtered(session: Session, actor: Actor, filters: CaseFilter, now: datetime) -> Select[Case]:
    stmt = visible(session, actor)
    if filters.status:
        stmt = stmt.where(Case.status == filters.status)
    if filters.commune_code is not None:
        stmt = stmt.where(Case.commune_code == filters.commune_code)
    if filters.unit_id is not None:
        stmt = stmt.where(Case.unit_id == filters.unit_id)
    if filters.category:
        stmt = stmt.where(Case.category == filters.category)
    if filters.assignee_id is not None:
        stmt = stmt.where(Case.assignee_id == filters.assignee_id)
    if filters.open_only:
        stmt = stmt.where(Case.status_kind == rules.OPEN)
    if filters.overdue:
        stmt = stmt.where(Case.status_kind == rules.OPEN, Case.due_at < now)
    if filters.q:
        for word in fold(filters.q).split()[:8]:
            stmt = stmt.where(Case.search_text.contains(word, autoescape=True))
    return stmt


def list_cases(
    session: Session, *, actor: Actor, filters: CaseFilter, now: datetime | None = None
) -> list[Case]:
    stmt = _filtered(session, actor, filters, now or utcnow())
    stmt = stmt.order_by(Case.received_at.desc(), Case.id.desc())
    limit = max(1, min(filters.limit, 500))
    return list(session.scalars(stmt.offset(max(0, filters.offset)).limit(limit)))


def count_cases(
    session: Session, *, actor: Actor, filters: CaseFilter, now: datetime | None = None
) -> int:
    stmt = _filtered(session, actor, filters, now or utcnow())
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def is_overdue(case: Case, now: datetime | None = None) -> bool:
    return case.status_kind == rules.OPEN and case.due_at < (now or utcnow())


# --- Timeline ---------------------------------------------------------------------------------


def timeline(session: Session, *, case: Case, public_only: bool = False) -> list[CaseEvent]:
    stmt = select(CaseEvent).where(CaseEvent.case_id == case.id)
    if public_only:
        stmt = stmt.where(CaseEvent.public.is_(True))
    return list(session.scalars(stmt.order_by(CaseEvent.at, CaseEvent.id)))


def case_messages(session: Session, *, case: Case) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .join(CaseMessage, CaseMessage.message_id == Message.id)
            .where(CaseMessage.case_id == case.id)
            .order_by(Message.created_at, Message.id)
        )
    )


def cases_of_conversation(
    session: Session, *, actor: Actor, conversation: Conversation
) -> list[Case]:
    return list(
        session.scalars(
            visible(session, actor)
            .where(Case.conversation_id == conversation.id)
            .order_by(Case.received_at.desc())
        )
    )
