"""Staff call tasks, "Gọi điện cho người dân": the notices no channel could carry. Listed per
day for the staff whose communes they concern, shown on the case they are about, and closed by
the officer who called (with what happened). Scope is the conversation's commune."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.inbox.models import CallTask, Conversation, Delivery
from danvan.kernel.errors import NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.text import clean

OPEN, DONE = "open", "done"
MAX_OUTCOME = 500


def _scoped(actor: Actor) -> Select[CallTask]:
    return (
        select(CallTask)
        .join(Conversation, CallTask.conversation_id == Conversation.id)
        .where(actor.commune_filter(Conversation.commune_code))
    )


def daily_list(
    session: Session, *, actor: Actor, day: datetime | None, timezone: str, status: str | None
) -> list[CallTask]:
    """The tasks in the actor's scope: of one local day (created then), or every open one when
    `day` is None; oldest first (the longest waiting citizen is called first)."""
    query = _scoped(actor)
    if status:
        query = query.where(CallTask.status == status)
    if day is not None:
        start = day.astimezone(ZoneInfo(timezone)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        query = query.where(
            CallTask.created_at >= start, CallTask.created_at < start + timedelta(days=1)
        )
    return list(session.scalars(query.order_by(CallTask.created_at, CallTask.id).limit(500)))


def count_open(session: Session, *, actor: Actor) -> int:
    """Open call tasks in the actor's scope (the menu's badge)."""
    query = _scoped(actor).where(CallTask.status == OPEN).with_only_columns(func.count())
    return int(session.scalar(query) or 0)


def for_ref(session: Session, *, ref: str) -> list[CallTask]:
    """The tasks of one subject ("case:TQ-2612-0001"), newest first (the caller checked scope)."""
    return list(
        session.scalars(select(CallTask).where(CallTask.ref == ref).order_by(CallTask.id.desc()))
    )


def access_task(session: Session, *, actor: Actor, task_id: int) -> CallTask:
    task = session.scalar(_scoped(actor).where(CallTask.id == task_id))
    if task is None:
        raise NotFound("Không tìm thấy việc gọi điện")
    return task


def do_complete(session: Session, *, actor: Actor, task: CallTask, outcome: str) -> CallTask:
    """The officer called the citizen: the task is done and the notice marked as told by phone."""
    actor.require_write()
    task.status = DONE
    task.done_at = utcnow()
    task.done_by_id = actor.user.id
    task.outcome = clean(outcome)[:MAX_OUTCOME]
    task.message.delivery_status = Delivery.DELIVERED
    task.message.delivered_at = task.done_at
    audit.record(
        session,
        actor=actor,
        action="call_task_done",
        object_type="call_task",
        object_id=task.id,
        detail={"ref": task.ref},
    )
    return task
