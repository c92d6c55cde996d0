"""Cases: every citizen's concern tracked to an answer.

access_* (scope + fetch) → check_* (validate) → do_* (write, timeline event, audit, notices).
Scope: `Actor.sees_case` — a commune's staff see its cases, a unit's members every case that
passed through their unit (the path is kept in `case_unit_path`), admins everything. Out of
scope is 404. Each public status change queues a Vietnamese notice (an outbound `Message` with
source "system" plus its outbox row) in the conversation of every citizen of the case, merged
duplicates included; the worker delivers it on the citizen's own channel.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.cases import rules as rules
from danvan.cases.models import (
    CannedReply,
    Case,
    CaseEvent,
    CaseMessage,
    CaseUnit,
    RoutingRule,
    Unit,
    UnitMember,
)
from danvan.inbox.conversations import access_conversation, check_text
from danvan.inbox.models import Contact, Conversation, Delivery, Direction, Message
from danvan.inbox.outbox import enqueue
from danvan.kernel import geo, taxonomy
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import clean, fold, preview

MAX_TITLE = 200
MAX_DESCRIPTION = 8000
MAX_ANSWER = 4000
MAX_REASON = 1000
MAX_NOTE = 4000
MAX_LOCATION = 300
MAX_RATING_COMMENT = 1000
PRIORITIES = ("low", "normal", "high", "urgent")
SOURCES = ("message", "web", "staff", "open311")


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


# --- Creating ---------------------------------------------------------------------------------


def _search_text(case: Case) -> str:
    return fold(f"{case.code} {case.title} {case.description} {case.location}")


def suggest_category(session: Session, messages: Sequence[Message]) -> str:
    """The classifier's topic of the latest analysed message among `messages`, else "other"."""
    from danvan.opinion.models import MessageAnalysis

    ids = [m.id for m in messages]
    topic = (
        session.scalar(
            select(MessageAnalysis.topic)
            .where(MessageAnalysis.message_id.in_(ids))
            .order_by(MessageAnalysis.received_at.desc())
            .limit(1)
        )
        if ids
        else None
    )
    codes = {t.code for t in taxonomy.topics()}
    return topic if topic in codes else taxonomy.OTHER


def check_category(category: str) -> str:
    codes = {t.code for t in taxonomy.topics()}
    if category not in codes:
        raise Invalid("Lĩnh vực không hợp lệ", code="category")
    return category


def check_commune(actor: Actor | None, commune_code: int | None, *, required: bool) -> None:
    if commune_code is None:
        if required:
            raise Invalid("Cần chọn xã/phường", code="commune")
        return
    if geo.get_commune(commune_code) is None:
        raise Invalid("Mã xã/phường không hợp lệ", code="commune")
    if actor is not None and not actor.sees_commune(commune_code):
        raise Invalid("Bạn chỉ tạo được phản ánh của xã/phường mình phụ trách", code="commune")


def _event(
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


def _source_messages(
    session: Session, conversation: Conversation, message_ids: Sequence[int]
) -> list[Message]:
    if message_ids:
        found = list(
            session.scalars(
                select(Message)
                .where(Message.id.in_(message_ids), Message.conversation_id == conversation.id)
                .order_by(Message.created_at, Message.id)
            )
        )
        if len(found) != len(set(message_ids)):
            raise Invalid("Tin nhắn không thuộc cuộc hội thoại này", code="message")
        return found
    # The citizen's messages not yet part of any case (the latest 20).
    taken = select(CaseMessage.message_id)
    recent = list(
        session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation.id,
                Message.direction == Direction.IN,
                Message.id.not_in(taken),
            )
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(20)
        )
    )
    return list(reversed(recent))


def do_create_case(
    session: Session,
    *,
    actor: Actor | None,
    settings: Settings,
    title: str,
    category: str | None,
    commune_code: int | None,
    description: str = "",
    conversation_id: int | None = None,
    message_ids: Sequence[int] = (),
    priority: str = "normal",
    location: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    source: str | None = None,
    received_at: datetime | None = None,
    notify: bool = True,
    via: str | None = None,
) -> Case:
    """A new case with its code, deadlines and route. `actor` None: a partner system
    (Open311, `via` names it) or the web form. Notifies the citizen of the code."""
    if actor is not None:
        actor.require_write()
    title = check_text(title, limit=MAX_TITLE, what="Tiêu đề")
    description = clean(description)
    if len(description) > MAX_DESCRIPTION:
        raise Invalid("Nội dung dài quá {limit} ký tự", code="too_long", limit=MAX_DESCRIPTION)
    location = clean(location)
    if len(location) > MAX_LOCATION:
        raise Invalid("Địa điểm dài quá {limit} ký tự", code="too_long", limit=MAX_LOCATION)
    if category is not None:
        check_category(category)
    if priority not in PRIORITIES:
        raise Invalid("Mức ưu tiên không hợp lệ", code="priority")
    for value, limit in ((latitude, 90.0), (longitude, 180.0)):
        if value is not None and not -limit <= value <= limit:
            raise Invalid("Toạ độ không hợp lệ", code="location")
    conversation: Conversation | None = None
    messages: list[Message] = []
    if conversation_id is not None:
        if actor is None:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                raise NotFound("Không tìm thấy cuộc hội thoại")
        else:
            conversation = access_conversation(
                session, actor=actor, conversation_id=conversation_id, write=True
            )
        messages = _source_messages(session, conversation, message_ids)
        if commune_code is None:
            commune_code = conversation.commune_code
    elif message_ids:
        raise Invalid("Cần cuộc hội thoại của các tin nhắn", code="message")
    check_commune(actor, commune_code, required=actor is not None and not actor.is_admin)
    if category is None:
        category = suggest_category(session, messages)
    if not description:
        description = "\n".join(m.text for m in messages if m.text)[:MAX_DESCRIPTION]
    if received_at is None:
        received_at = messages[0].created_at if messages else utcnow()
    photos = [
        {"type": "image", "url": a.get("url", ""), "message_id": m.id}
        for m in messages
        for a in m.attachments
        if a.get("type") == "image"
    ]
    if latitude is None:
        for m in messages:
            for a in m.attachments:
                if a.get("type") == "location" and a.get("latitude") is not None:
                    latitude, longitude = float(a["latitude"]), float(a["longitude"])
    ack_due, due = rules.due_dates(settings, category=category, received_at=received_at)
    unit_id, assignee_id = route(session, category=category, commune_code=commune_code)
    initial = rules.statuses(settings)[0]
    case = Case(
        code=rules.next_code(session, settings=settings, at=received_at),
        title=title,
        description=description,
        category=category,
        commune_code=commune_code,
        location=location,
        latitude=latitude,
        longitude=longitude,
        photos=photos,
        unit_id=unit_id,
        priority=priority,
        status=initial.code,
        status_kind=initial.kind,
        source=source or ("message" if conversation else ("staff" if actor else "web")),
        conversation_id=conversation.id if conversation else None,
        created_by_id=actor.user.id if actor else None,
        received_at=received_at,
        ack_due_at=ack_due,
        due_at=due,
    )
    case.search_text = _search_text(case)
    session.add(case)
    session.flush()
    for message in messages:
        session.add(CaseMessage(case_id=case.id, message_id=message.id))
    if unit_id is not None:
        session.add(CaseUnit(case_id=case.id, unit_id=unit_id))
    _event(
        session,
        case,
        kind="created",
        actor=actor,
        public=True,
        to_status=initial.code,
        detail={"source": case.source, "via": via or (actor.via if actor else "system")},
        at=received_at if received_at < utcnow() else None,
    )
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is not None and assignee.is_active:
            _set_assignee(session, settings, actor, case, assignee, routed=True)
    audit.record(
        session,
        actor=actor,
        action="case_create",
        object_type="case",
        object_id=case.id,
        detail={"code": case.code, "conversation_id": case.conversation_id},
        via=via,
    )
    if notify and conversation is not None:
        notify_citizens(
            session, case, rules.created_notice(settings, code=case.code, due_at=case.due_at)
        )
    return case


def record_event(
    session: Session,
    case: Case,
    *,
    kind: str,
    public: bool = False,
    detail: dict[str, Any] | None = None,
) -> CaseEvent:
    """A timeline event written by the system (the worker's jobs)."""
    return _event(session, case, kind=kind, actor=None, public=public, detail=detail)


# --- Notices ----------------------------------------------------------------------------------


def _conversations(session: Session, case: Case) -> list[Conversation]:
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
    return [_send(session, conversation, text).id for conversation in _conversations(session, case)]


# --- Changing a case --------------------------------------------------------------------------


def _responded(case: Case, at: datetime) -> None:
    if case.first_response_at is None:
        case.first_response_at = at


def _can_handle(session: Session, user: User, case: Case) -> bool:
    candidate = Actor(user)
    return candidate.can_write and sees(session, candidate, case)


def _set_assignee(
    session: Session,
    settings: Settings,
    actor: Actor | None,
    case: Case,
    assignee: User | None,
    *,
    routed: bool = False,
) -> None:
    case.assignee_id = assignee.id if assignee else None
    _event(
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
        _apply_status(session, settings, actor, case, assigned, notify=not routed)


def do_assign(
    session: Session, *, actor: Actor, settings: Settings, case: Case, assignee_id: int | None
) -> None:
    actor.require_write()
    assignee = None
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.is_active or not _can_handle(session, assignee, case):
            raise Invalid("Cán bộ này không phụ trách phản ánh này", code="assignee")
    _responded(case, utcnow())
    _set_assignee(session, settings, actor, case, assignee)
    audit.record(
        session,
        actor=actor,
        action="case_assign",
        object_type="case",
        object_id=case.id,
        detail={"assignee_id": assignee_id},
    )


def _apply_status(
    session: Session,
    settings: Settings,
    actor: Actor | None,
    case: Case,
    status: rules.Status,
    *,
    answer: str = "",
    reason: str = "",
    notify: bool = True,
    kind: str = "status_changed",
    internal_reason: str = "",
) -> None:
    """`reason` is written for the citizen (shown and sent); `internal_reason` (a reopening's,
    possibly the citizen's own words) only goes on the staff timeline."""
    now = utcnow()
    old = case.status
    case.status = status.code
    case.status_kind = status.kind
    if answer:
        case.public_answer = answer
    if reason:
        case.public_reason = reason
    if status.kind == rules.ANSWERED:
        case.answered_at = now
        case.closed_at = None
    elif status.kind == rules.CLOSED:
        case.closed_at = now
        if case.answered_at is None and status.code == "closed":
            case.answered_at = now
    else:
        case.closed_at = None
    if actor is not None:
        _responded(case, now)
    message_ids: list[int] = []
    if status.public and notify:
        message_ids = notify_citizens(
            session,
            case,
            rules.status_notice(
                settings,
                code=case.code,
                status=status,
                answer=answer,
                reason=reason,
                feedback_link=rating_link(settings, case) if status.kind == rules.ANSWERED else "",
            ),
        )
    _event(
        session,
        case,
        kind=kind,
        actor=actor,
        # The public page shows no event text; a reopening's reason is for staff only.
        public=status.public,
        text=answer or reason or internal_reason,
        from_status=old,
        to_status=status.code,
        detail={"message_ids": message_ids, **({"reason": reason} if reason else {})},
    )


def check_status_change(
    settings: Settings, case: Case, *, status: str, answer: str, reason: str
) -> tuple[rules.Status, str, str]:
    target = rules.status_of(settings, status)
    if target is None:
        raise Invalid("Trạng thái không hợp lệ", code="status")
    if case.merged_into_id is not None:
        raise Invalid("Phản ánh đã được gộp vào phản ánh khác", code="merged")
    if target.code == case.status:
        raise Invalid("Phản ánh đã ở trạng thái này", code="same_status")
    if case.status_kind == rules.CLOSED:
        raise Invalid("Phản ánh đã kết thúc; hãy mở lại trước", code="closed")
    if target.code == "duplicate":
        raise Invalid("Dùng chức năng gộp để đánh dấu trùng lặp", code="use_merge")
    if target.code == "transferred":
        raise Invalid("Dùng chức năng chuyển đơn vị", code="use_transfer")
    answer = clean(answer)
    reason = clean(reason)
    if len(answer) > MAX_ANSWER:
        raise Invalid("Câu trả lời dài quá {limit} ký tự", code="too_long", limit=MAX_ANSWER)
    if len(reason) > MAX_REASON:
        raise Invalid("Lý do dài quá {limit} ký tự", code="too_long", limit=MAX_REASON)
    if target.kind == rules.ANSWERED and not answer and not case.public_answer:
        raise Invalid("Cần nội dung trả lời công khai", code="answer_required")
    if target.needs_reason and not reason:
        raise Invalid("Cần nêu lý do (người dân sẽ được thông báo)", code="reason_required")
    return target, answer, reason


def do_change_status(
    session: Session,
    *,
    actor: Actor,
    settings: Settings,
    case: Case,
    status: str,
    answer: str = "",
    reason: str = "",
) -> None:
    """Move the case; a public status notifies its citizens (with the answer or reason)."""
    actor.require_write()
    target, answer, reason = check_status_change(
        settings, case, status=status, answer=answer, reason=reason
    )
    old = case.status
    _apply_status(session, settings, actor, case, target, answer=answer, reason=reason)
    audit.record(
        session,
        actor=actor,
        action="case_status",
        object_type="case",
        object_id=case.id,
        detail={"from": old, "to": target.code},
    )


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
    _event(
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
        _apply_status(session, settings, actor, case, transferred, reason=reason)
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


def do_add_note(session: Session, *, actor: Actor, case: Case, text: str) -> CaseEvent:
    """An internal note: on the staff timeline only, never shown or sent to the citizen."""
    actor.require_write()
    event = _event(
        session,
        case,
        kind="noted",
        actor=actor,
        text=check_text(text, limit=MAX_NOTE, what="Ghi chú"),
    )
    session.flush()
    audit.record(session, actor=actor, action="case_note", object_type="case", object_id=case.id)
    return event


def do_reply(
    session: Session, *, actor: Actor, settings: Settings, case: Case, text: str
) -> list[int]:
    """A message to the case's citizens without changing the status (e.g. asking for details)."""
    actor.require_write()
    text = check_text(text, limit=MAX_ANSWER, what="Nội dung")
    if not _conversations(session, case):
        raise Invalid("Phản ánh này không có kênh liên lạc với người dân", code="no_channel")
    ids = notify_citizens(session, case, f"[{case.code}] {text}")
    _responded(case, utcnow())
    _event(
        session,
        case,
        kind="replied",
        actor=actor,
        public=True,
        text=text,
        detail={"message_ids": ids},
    )
    audit.record(session, actor=actor, action="case_reply", object_type="case", object_id=case.id)
    return ids


def reopen_allowed_until(settings: Settings, case: Case) -> datetime | None:
    if case.status_kind != rules.ANSWERED or case.answered_at is None:
        return None
    return case.answered_at + timedelta(days=settings.case_reopen_days)


def do_reopen(
    session: Session,
    *,
    actor: Actor | None,
    settings: Settings,
    case: Case,
    reason: str,
    now: datetime | None = None,
) -> None:
    """Reopen an answered or ended case. Staff may always; the citizen (`actor` None) only an
    answered case within `case_reopen_days`. A new answer deadline is counted from now."""
    now = now or utcnow()
    reason = check_text(reason, limit=MAX_REASON, what="Lý do mở lại")
    if case.merged_into_id is not None:
        raise Invalid("Phản ánh đã được gộp vào phản ánh khác", code="merged")
    if actor is None:
        until = reopen_allowed_until(settings, case)
        if until is None or now > until:
            raise Invalid("Không thể mở lại phản ánh này nữa", code="reopen_closed")
    else:
        actor.require_write()
        if case.status_kind == rules.OPEN:
            raise Invalid("Phản ánh đang được xử lý", code="open")
    target = rules.status_of(settings, "in_progress") or rules.statuses(settings)[0]
    case.reopen_count += 1
    case.reminded_at = None
    case.escalated_at = None
    _, answer_days = rules.sla(settings, case.category)
    case.due_at = rules.calendar(settings).add_working_days(now, answer_days)
    case.public_reason = ""
    _apply_status(session, settings, actor, case, target, internal_reason=reason, kind="reopened")
    audit.record(
        session,
        actor=actor,
        action="case_reopen",
        object_type="case",
        object_id=case.id,
        detail={"by": "staff" if actor else "citizen"},
        via=None if actor else "public",
    )


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
        session, case, rules.merged_notice(settings, code=case.code, into=into.code)
    )
    case.merged_into_id = into.id
    _event(
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
    _event(session, into, kind="merged", actor=actor, text=case.code, detail={"from": case.id})
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="case_merge",
        object_type="case",
        object_id=case.id,
        detail={"into": into.id},
    )


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


def handlers(session: Session, *, case: Case) -> list[User]:
    """Staff who could be assigned the case."""
    users = session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.full_name))
    return [u for u in users if _can_handle(session, u, case)]


# --- Public page, rating ----------------------------------------------------------------------


@dataclass(frozen=True)
class PublicStep:
    at: datetime
    kind: str
    status: str | None


@dataclass(frozen=True)
class PublicCase:
    """What anyone holding the code may see: no name, phone, staff name or internal note."""

    code: str
    title: str
    category: str
    commune_name: str
    status: str
    status_kind: str
    received_at: datetime
    due_at: datetime
    answered_at: datetime | None
    closed_at: datetime | None
    answer: str
    reason: str
    merged_into: str | None
    steps: list[PublicStep] = field(default_factory=list)
    rated: bool = False


def public_view(
    session: Session, *, settings: Settings, case: Case, locale: str = "vi"
) -> PublicCase:
    into = session.get(Case, case.merged_into_id) if case.merged_into_id else None
    steps = [
        PublicStep(
            at=e.at,
            kind=e.kind,
            status=rules.status_name(settings, e.to_status, locale) if e.to_status else None,
        )
        for e in timeline(session, case=case, public_only=True)
        if e.kind != "replied"
    ]
    return PublicCase(
        code=case.code,
        title=case.title,
        category=taxonomy.topic_name(case.category, locale),
        commune_name=geo.commune_name(case.commune_code),
        status=rules.status_name(settings, case.status, locale),
        status_kind=case.status_kind,
        received_at=case.received_at,
        due_at=case.due_at,
        answered_at=case.answered_at,
        closed_at=case.closed_at,
        answer=case.public_answer,
        reason=case.public_reason,
        merged_into=into.code if into else None,
        steps=steps,
        rated=case.rating is not None,
    )


def normalize_code(text: str) -> str | None:
    code = clean(text).upper().replace(" ", "")
    if not 6 <= len(code) <= 32 or not all(ch.isalnum() or ch == "-" for ch in code):
        return None
    return code


def find_by_code(session: Session, code: str) -> Case | None:
    canonical = normalize_code(code)
    if canonical is None:
        return None
    return session.scalar(select(Case).where(Case.code == canonical))


def rating_token(settings: Settings, case: Case) -> str:
    """Proves the holder got the rating request (the code alone is guessable)."""
    message = f"case-rating:{case.id}:{case.code}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def rating_link(settings: Settings, case: Case) -> str:
    return f"{rules.lookup_url(settings, case.code)}/phan-hoi?t={rating_token(settings, case)}"


def do_rate(
    session: Session, *, settings: Settings, case: Case, token: str, rating: int, comment: str
) -> None:
    """The citizen's 1–5 rating of an ended case (once)."""
    if not hmac.compare_digest(token, rating_token(settings, case)):
        raise NotFound("Không tìm thấy phản ánh")
    if case.status_kind == rules.OPEN:
        raise Invalid("Phản ánh chưa được trả lời", code="open")
    if case.rating is not None:
        raise Invalid("Bạn đã đánh giá phản ánh này", code="already_rated")
    if rating not in range(1, 6):
        raise Invalid("Điểm đánh giá từ 1 đến 5", code="rating")
    comment = clean(comment)
    if len(comment) > MAX_RATING_COMMENT:
        raise Invalid("Nhận xét dài quá {limit} ký tự", code="too_long", limit=MAX_RATING_COMMENT)
    record_rating(session, case, rating=rating, comment=comment, via="public")


def record_rating(session: Session, case: Case, *, rating: int, comment: str, via: str) -> None:
    """Store the citizen's rating (from their web page or their Zalo reply)."""
    comment = clean(comment)[:MAX_RATING_COMMENT]
    case.rating = rating
    case.rating_comment = comment
    case.rated_at = utcnow()
    _event(session, case, kind="rated", actor=None, detail={"rating": rating, "via": via})
    audit.record(
        session, actor=None, action="case_rate", object_type="case", object_id=case.id, via=via
    )


# --- Units, routing rules, canned replies (admin) ---------------------------------------------


def list_units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).order_by(Unit.commune_code.is_(None), Unit.name)))


def do_create_unit(
    session: Session,
    *,
    actor: Actor,
    name: str,
    commune_code: int | None = None,
    head_id: int | None = None,
) -> Unit:
    actor.require_admin()
    name = check_text(name, limit=200, what="Tên đơn vị")
    if session.scalar(select(Unit.id).where(Unit.name == name)) is not None:
        raise Invalid("Đơn vị đã tồn tại", code="exists")
    if commune_code is not None and geo.get_commune(commune_code) is None:
        raise Invalid("Mã xã/phường không hợp lệ", code="commune")
    if head_id is not None and session.get(User, head_id) is None:
        raise Invalid("Không tìm thấy cán bộ", code="head")
    unit = Unit(name=name, commune_code=commune_code, head_id=head_id)
    session.add(unit)
    session.flush()
    if head_id is not None:
        session.add(UnitMember(unit_id=unit.id, user_id=head_id))
    audit.record(
        session, actor=actor, action="case_unit_create", object_type="unit", object_id=unit.id
    )
    return unit


def do_add_member(session: Session, *, actor: Actor, unit_id: int, user_id: int) -> None:
    actor.require_admin()
    if session.get(Unit, unit_id) is None or session.get(User, user_id) is None:
        raise NotFound("Không tìm thấy đơn vị hoặc cán bộ")
    exists = session.scalar(
        select(UnitMember.id).where(UnitMember.unit_id == unit_id, UnitMember.user_id == user_id)
    )
    if exists is None:
        session.add(UnitMember(unit_id=unit_id, user_id=user_id))
    audit.record(
        session,
        actor=actor,
        action="case_unit_member",
        object_type="unit",
        object_id=unit_id,
        detail={"user_id": user_id},
    )


def unit_members(session: Session, *, unit_id: int) -> list[int]:
    return list(session.scalars(select(UnitMember.user_id).where(UnitMember.unit_id == unit_id)))


def do_set_rule(
    session: Session,
    *,
    actor: Actor,
    category: str | None,
    commune_code: int | None,
    unit_id: int | None,
    assignee_id: int | None,
) -> RoutingRule:
    actor.require_admin()
    if category is not None:
        check_category(category)
    check_commune(None, commune_code, required=False)
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise Invalid("Không tìm thấy đơn vị", code="unit")
    if assignee_id is not None and session.get(User, assignee_id) is None:
        raise Invalid("Không tìm thấy cán bộ", code="assignee")
    rule = session.scalar(
        select(RoutingRule).where(
            RoutingRule.category.is_(None)
            if category is None
            else RoutingRule.category == category,
            RoutingRule.commune_code.is_(None)
            if commune_code is None
            else RoutingRule.commune_code == commune_code,
        )
    )
    if rule is None:
        rule = RoutingRule(category=category, commune_code=commune_code)
        session.add(rule)
    rule.unit_id = unit_id
    rule.assignee_id = assignee_id
    session.flush()
    audit.record(session, actor=actor, action="case_rule", object_type="rule", object_id=rule.id)
    return rule


def list_rules(session: Session) -> list[RoutingRule]:
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.id)))


def list_canned(session: Session) -> list[CannedReply]:
    return list(session.scalars(select(CannedReply).order_by(CannedReply.title)))


def do_create_canned(session: Session, *, actor: Actor, title: str, text: str) -> CannedReply:
    actor.require_write()
    title = check_text(title, limit=200, what="Tên mẫu")
    text = check_text(text, limit=MAX_ANSWER, what="Nội dung mẫu")
    if session.scalar(select(CannedReply.id).where(CannedReply.title == title)) is not None:
        raise Invalid("Mẫu trả lời đã tồn tại", code="exists")
    reply = CannedReply(title=title, text=text)
    session.add(reply)
    session.flush()
    audit.record(
        session, actor=actor, action="case_canned", object_type="canned", object_id=reply.id
    )
    return reply


CANNED_VARIABLES = ("ten", "ma", "xa", "han")


def fill_canned(session: Session, *, settings: Settings, text: str, case: Case) -> str:
    """`{ten}` citizen's name, `{ma}` case code, `{xa}` commune, `{han}` due date; other braces
    are left as they are (staff text is never evaluated)."""
    from zoneinfo import ZoneInfo

    name = ""
    if case.conversation_id is not None:
        conversation = session.get(Conversation, case.conversation_id)
        if conversation is not None:
            name = conversation.contact.display_name
    values = {
        "ten": name or "ông/bà",
        "ma": case.code,
        "xa": geo.commune_name(case.commune_code),
        "han": f"{case.due_at.astimezone(ZoneInfo(settings.timezone)):%d/%m/%Y}",
    }
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


# --- Similar cases ----------------------------------------------------------------------------


def _ranked(query: str, candidates: list[Case], texts: list[str], limit: int) -> list[Case]:
    if not candidates or not query.strip():
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
    from sklearn.metrics.pairwise import cosine_similarity  # type: ignore[import-untyped]

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([query, *texts])
    except ValueError:  # only stop words / empty vocabulary
        return []
    scores = cosine_similarity(matrix[0:1], matrix[1:]).ravel()
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    return [candidates[i] for i in order[:limit] if scores[i] >= 0.12]


def _content(case: Case) -> str:
    return fold(f"{case.title} {case.description}")


def similar_open_cases(session: Session, *, actor: Actor, case: Case, limit: int = 5) -> list[Case]:
    """Open cases of the same commune that look alike: candidates for merging."""
    candidates = list(
        session.scalars(
            visible(session, actor)
            .where(
                Case.id != case.id,
                Case.status_kind != rules.CLOSED,
                Case.merged_into_id.is_(None),
                Case.commune_code.is_(None)
                if case.commune_code is None
                else Case.commune_code == case.commune_code,
            )
            .order_by(Case.received_at.desc())
            .limit(500)
        )
    )
    return _ranked(_content(case), candidates, [_content(c) for c in candidates], limit)


def similar_answers(session: Session, *, actor: Actor, case: Case, limit: int = 3) -> list[Case]:
    """Answered cases that look alike: their public answers are a starting point."""
    candidates = list(
        session.scalars(
            visible(session, actor)
            .where(Case.id != case.id, Case.public_answer != "", Case.merged_into_id.is_(None))
            .order_by(Case.answered_at.desc())
            .limit(1000)
        )
    )
    return _ranked(_content(case), candidates, [_content(c) for c in candidates], limit)


# --- Privacy (Decree 13) ----------------------------------------------------------------------


def _cases_of_contact(session: Session, contact: Contact) -> list[Case]:
    return list(
        session.scalars(
            select(Case)
            .join(Conversation, Conversation.id == Case.conversation_id)
            .where(Conversation.contact_id == contact.id)
            .order_by(Case.id)
        )
    )


def export_contact_data(session: Session, contact: Contact) -> dict[str, Any]:
    """What this area holds about the citizen, JSON-ready (see danvan.inbox.privacy)."""
    return {
        "cases": [
            {
                "code": case.code,
                "title": case.title,
                "description": case.description,
                "category": case.category,
                "commune_code": case.commune_code,
                "location": case.location,
                "latitude": case.latitude,
                "longitude": case.longitude,
                "status": case.status,
                "received_at": case.received_at.isoformat(),
                "due_at": case.due_at.isoformat(),
                "public_answer": case.public_answer,
                "public_reason": case.public_reason,
                "rating": case.rating,
                "rating_comment": case.rating_comment,
            }
            for case in _cases_of_contact(session, contact)
        ]
    }


ERASED_TITLE = "[đã xoá theo yêu cầu]"


def erase_contact_data(session: Session, contact: Contact) -> dict[str, int]:
    """Erase what this area holds about the citizen; counts only (see danvan.inbox.privacy).
    The case rows stay, emptied (code, category, commune, dates, status: the figures)."""
    cases = _cases_of_contact(session, contact)
    events = 0
    for case in cases:
        case.title = ERASED_TITLE
        case.description = ""
        case.location = ""
        case.latitude = case.longitude = None
        case.photos = []
        case.public_answer = ""
        case.public_reason = ""
        case.rating_comment = ""
        case.search_text = fold(case.code)
        for event in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)):
            if event.text and event.kind not in ("merged",):
                event.text = ""
                events += 1
    return {"cases": len(cases), "case_events": events}


# --- Reporting --------------------------------------------------------------------------------


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 3600


def _figures(cases: Iterable[Case], now: datetime) -> dict[str, Any]:
    rows = list(cases)
    answered = [c for c in rows if c.answered_at is not None]
    first = [h for c in rows if (h := _hours(c.received_at, c.first_response_at)) is not None]
    to_answer = [h for c in answered if (h := _hours(c.received_at, c.answered_at)) is not None]
    ratings = [c.rating for c in rows if c.rating is not None]
    return {
        "received": len(rows),
        "answered": len(answered),
        "answered_on_time": sum(
            1 for c in answered if c.answered_at is not None and c.answered_at <= c.due_at
        ),
        "open": sum(1 for c in rows if c.status_kind == rules.OPEN),
        "overdue": sum(1 for c in rows if is_overdue(c, now)),
        "median_hours_to_first_response": round(median(first), 2) if first else None,
        "median_hours_to_answer": round(median(to_answer), 2) if to_answer else None,
        "satisfaction_average": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "satisfaction_count": len(ratings),
    }


def report_cases(
    session: Session,
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    commune_code: int | None = None,
    unit_id: int | None = None,
    category: str | None = None,
) -> list[Case]:
    stmt = visible(session, actor).where(
        Case.received_at >= start, Case.received_at < end, Case.merged_into_id.is_(None)
    )
    if commune_code is not None:
        stmt = stmt.where(Case.commune_code == commune_code)
    if unit_id is not None:
        stmt = stmt.where(Case.unit_id == unit_id)
    if category:
        stmt = stmt.where(Case.category == category)
    return list(session.scalars(stmt.order_by(Case.received_at, Case.id)))


def report_figures(
    session: Session,
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    commune_code: int | None = None,
) -> dict[str, Any]:
    """Case figures for reports over [start, end), within the actor's scope (the situation
    report calls this). Keys: received, answered, answered_on_time, open, overdue,
    median_hours_to_first_response, median_hours_to_answer (float | None), satisfaction_average
    (float | None), satisfaction_count, by_commune: [{commune_code, received, answered,
    answered_on_time, open, overdue}]."""
    now = utcnow()
    cases = report_cases(session, actor=actor, start=start, end=end, commune_code=commune_code)
    figures = _figures(cases, now)
    by: dict[int | None, list[Case]] = {}
    for case in cases:
        by.setdefault(case.commune_code, []).append(case)
    figures["by_commune"] = [
        {
            "commune_code": code,
            **{
                k: v
                for k, v in _figures(group, now).items()
                if k in ("received", "answered", "answered_on_time", "open", "overdue")
            },
        }
        for code, group in sorted(by.items(), key=lambda item: (item[0] is None, item[0] or 0))
    ]
    return figures


def report_breakdown(
    session: Session,
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    by: str,
    commune_code: int | None = None,
    unit_id: int | None = None,
    category: str | None = None,
) -> list[dict[str, Any]]:
    """Figures per commune, unit or category (`by`), each row with every figure."""
    if by not in ("commune", "unit", "category"):
        raise Invalid("Nhóm báo cáo không hợp lệ", code="by")
    now = utcnow()
    cases = report_cases(
        session,
        actor=actor,
        start=start,
        end=end,
        commune_code=commune_code,
        unit_id=unit_id,
        category=category,
    )
    groups: dict[Any, list[Case]] = {}
    for case in cases:
        key = {"commune": case.commune_code, "unit": case.unit_id, "category": case.category}[by]
        groups.setdefault(key, []).append(case)
    units = {u.id: u.name for u in list_units(session)}
    rows = []
    for key, group in groups.items():
        if by == "commune":
            label = geo.commune_name(key) if key is not None else "—"
        elif by == "unit":
            label = units.get(key, "—") if key is not None else "—"
        else:
            label = taxonomy.topic_name(key)
        rows.append({"key": key, "label": label, **_figures(group, now)})
    return sorted(rows, key=lambda r: (-r["received"], str(r["label"])))
