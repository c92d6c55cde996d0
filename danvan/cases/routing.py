"""Where a case goes and who handles it: routing rules at intake, assignment, transfer to
another unit, and merging a duplicate into the case it repeats."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.cases import rules as rules
from danvan.cases.access import sees
from danvan.cases.events import add_event, case_fields, notify_citizens
from danvan.cases.lifecycle import MAX_REASON, apply_status, mark_responded
from danvan.cases.models import Case, CaseMessage, CaseUnit, RoutingRule, Unit
from danvan.inbox.conversations import check_text
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings

# --- Routing ----------------------------------------------------------------------------------


def route(
    session: Session, *, category: str, commune_code: int | None
) -> tuple[int | None, int | None]:
    """(unit_id, assignee_id) of the most specific matching rule; (None, None) is the
    commune's triage."""
    rules_found = session.scalars(
        select(RoutingRule).where(
            or_(RoutingRule.category == category, RoutingRule.category.is_(None)),
            or_(RoutingRule.commune_code == commune_code, RoutingRule.commune_code.is_(None)),
        )
    ).all()
    if not rules_found:
        return None, None
    best = max(
        rules_found,
        key=lambda r: (r.commune_code is not None, r.category is not None),
    )
    return best.unit_id, best.assignee_id


# --- Assigning --------------------------------------------------------------------------------


def _can_handle(session: Session, user: User, case: Case) -> bool:
    candidate = Actor(user)
    return candidate.can_write and sees(session, candidate, case)


def set_assignee(
    session: Session,
    settings: Settings,
    actor: Actor | None,
    case: Case,
    assignee: User | None,
    *,
    routed: bool = False,
) -> None:
    """Assign the case (None: unassign); a new case becomes "assigned" (`routed`: by a routing
    rule, without a notice)."""
    case.assignee_id = assignee.id if assignee else None
    add_event(
        session,
        case,
        kind="assigned",
        actor=actor,
        detail={"assignee_id": case.assignee_id, "routed": routed},
    )
    initial = rules.statuses(settings)[0]
    if assignee is not None and case.status == initial.code:
        assigned = rules.status_of(settings, "assigned")
        assert assigned is not None  # required by `rules.statuses`
        apply_status(session, settings, actor, case, assigned, notify=not routed)


def do_assign(
    session: Session, *, actor: Actor, settings: Settings, case: Case, assignee_id: int | None
) -> None:
    actor.require_write()
    assignee = None
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.is_active or not _can_handle(session, assignee, case):
            raise Invalid("Cán bộ này không phụ trách phản ánh này", code="assignee")
    mark_responded(case, utcnow())
    set_assignee(session, settings, actor, case, assignee)
    audit.record(
        session,
        actor=actor,
        action="case_assign",
        object_type="case",
        object_id=case.id,
        detail={"assignee_id": assignee_id},
    )


def handlers(session: Session, *, case: Case) -> list[User]:
    """Staff who could be assigned the case."""
    users = session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.full_name))
    return [u for u in users if _can_handle(session, u, case)]


# --- Transferring, merging --------------------------------------------------------------------


def do_transfer(
    session: Session, *, actor: Actor, settings: Settings, case: Case, unit_id: int, reason: str
) -> None:
    """Hand the case to another unit (commune ↔ province); both keep seeing it."""
    actor.require_write()
    reason = check_text(reason, limit=MAX_REASON, what="Lý do chuyển")
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise Invalid("Không tìm thấy đơn vị", code="unit")
    if unit_id == case.unit_id:
        raise Invalid("Phản ánh đang ở đơn vị này", code="same_unit")
    if case.status_kind == rules.CLOSED or case.merged_into_id is not None:
        raise Invalid("Phản ánh đã kết thúc; hãy mở lại trước", code="closed")
    old_unit = case.unit_id
    if old_unit is not None:
        _ensure_path(session, case, old_unit)
    _ensure_path(session, case, unit_id)
    case.unit_id = unit_id
    case.assignee_id = None
    add_event(
        session,
        case,
        kind="transferred",
        actor=actor,
        public=True,
        text=reason,
        detail={"from_unit": old_unit, "to_unit": unit_id, "unit_name": unit.name},
    )
    transferred = rules.status_of(settings, "transferred")
    assert transferred is not None
    if case.status != transferred.code:
        apply_status(session, settings, actor, case, transferred, reason=reason)
    audit.record(
        session,
        actor=actor,
        action="case_transfer",
        object_type="case",
        object_id=case.id,
        detail={"from_unit": old_unit, "to_unit": unit_id},
    )


def _ensure_path(session: Session, case: Case, unit_id: int) -> None:
    exists = session.scalar(
        select(CaseUnit.id).where(CaseUnit.case_id == case.id, CaseUnit.unit_id == unit_id)
    )
    if exists is None:
        session.add(CaseUnit(case_id=case.id, unit_id=unit_id))
        session.flush()


def do_merge(session: Session, *, actor: Actor, settings: Settings, case: Case, into: Case) -> None:
    """`case` is a duplicate of `into`: its messages join `into`, its citizens are told and
    will hear of `into`'s progress from now on."""
    actor.require_write()
    if case.id == into.id:
        raise Invalid("Không thể gộp phản ánh vào chính nó", code="same_case")
    if into.merged_into_id is not None or case.merged_into_id is not None:
        raise Invalid("Phản ánh đã được gộp trước đó", code="merged")
    if into.status_kind == rules.CLOSED:
        raise Invalid("Phản ánh đích đã kết thúc", code="closed")
    linked = set(
        session.scalars(select(CaseMessage.message_id).where(CaseMessage.case_id == into.id))
    )
    for message_id in session.scalars(
        select(CaseMessage.message_id).where(CaseMessage.case_id == case.id)
    ):
        if message_id not in linked:
            session.add(CaseMessage(case_id=into.id, message_id=message_id))
    for merged in session.scalars(select(Case).where(Case.merged_into_id == case.id)):
        merged.merged_into_id = into.id  # duplicates of the duplicate follow it
    duplicate = rules.status_of(settings, "duplicate")
    assert duplicate is not None
    old = case.status
    case.status, case.status_kind = duplicate.code, duplicate.kind
    case.closed_at = utcnow()
    ids = notify_citizens(
        session,
        case,
        rules.merged_notice(settings, code=case.code, into=into.code),
        settings=settings,
        kind="case_updated",
        fields=case_fields(settings, case, reason=f"Gộp vào phản ánh {into.code}"),
    )
    case.merged_into_id = into.id
    add_event(
        session,
        case,
        kind="merged",
        actor=actor,
        public=True,
        from_status=old,
        to_status=duplicate.code,
        text=into.code,
        detail={"into": into.id, "message_ids": ids},
    )
    add_event(session, into, kind="merged", actor=actor, text=case.code, detail={"from": case.id})
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="case_merge",
        object_type="case",
        object_id=case.id,
        detail={"into": into.id},
    )
