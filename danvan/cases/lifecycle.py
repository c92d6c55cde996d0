"""A case's status over its life: status changes (a public one notifies the citizens), internal
notes, replies to the citizens and reopening."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.cases import rules as rules
from danvan.cases.events import add_event, case_fields, citizen_conversations, notify_citizens
from danvan.cases.models import Case, CaseEvent
from danvan.cases.tracking import rating_link
from danvan.inbox.conversations import check_text
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import clean

MAX_ANSWER = 4000
MAX_REASON = 1000
MAX_NOTE = 4000
MAX_PUBLIC_TITLE = 200


def mark_responded(case: Case, at: datetime) -> None:
    """Record `at` as the case's first response, unless it already has one."""
    if case.first_response_at is None:
        case.first_response_at = at


def apply_status(
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
        mark_responded(case, now)
    message_ids: list[int] = []
    if status.public and notify:
        answered = status.kind == rules.ANSWERED
        message_ids = notify_citizens(
            session,
            case,
            rules.status_notice(
                settings,
                code=case.code,
                status=status,
                answer=answer,
                reason=reason,
                feedback_link=rating_link(settings, case) if answered else "",
            ),
            settings=settings,
            kind="case_answered" if answered else "case_updated",
            fields=case_fields(settings, case, reason=reason),
        )
    add_event(
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


def do_set_public_title(session: Session, *, actor: Actor, case: Case, title: str) -> None:
    """Staff write (or approve) the title the public page and keyless Open311 show; empty goes
    back to the neutral one (category and commune). The text is on the staff timeline."""
    actor.require_write()
    title = clean(title)
    if len(title) > MAX_PUBLIC_TITLE:
        raise Invalid("Tiêu đề dài quá {limit} ký tự", code="too_long", limit=MAX_PUBLIC_TITLE)
    case.public_title = title or None
    add_event(session, case, kind="public_title", actor=actor, text=title)
    audit.record(
        session,
        actor=actor,
        action="case_public_title",
        object_type="case",
        object_id=case.id,
        detail={"public_title_set": bool(title)},
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
    apply_status(session, settings, actor, case, target, answer=answer, reason=reason)
    audit.record(
        session,
        actor=actor,
        action="case_status",
        object_type="case",
        object_id=case.id,
        detail={"from": old, "to": target.code},
    )


def do_add_note(session: Session, *, actor: Actor, case: Case, text: str) -> CaseEvent:
    """An internal note: on the staff timeline only, never shown or sent to the citizen."""
    actor.require_write()
    event = add_event(
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
    if not citizen_conversations(session, case):
        raise Invalid("Phản ánh này không có kênh liên lạc với người dân", code="no_channel")
    ids = notify_citizens(
        session,
        case,
        f"[{case.code}] {text}",
        settings=settings,
        kind="case_needs_info",
        fields=case_fields(settings, case, request=text),
    )
    mark_responded(case, utcnow())
    add_event(
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
    apply_status(session, settings, actor, case, target, internal_reason=reason, kind="reopened")
    audit.record(
        session,
        actor=actor,
        action="case_reopen",
        object_type="case",
        object_id=case.id,
        detail={"by": "staff" if actor else "citizen"},
        via=None if actor else "public",
    )
