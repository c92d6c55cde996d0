"""Background jobs of the cases area, run by the worker (see `danvan.kernel.jobs`): reminders before
a case is due, escalation to the unit head once it is overdue (both shown in the staff UI as
timeline events and on the case list), and the rating request after a case is closed (the
notice is delivered by the same worker cycle through the outbox)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from danvan.cases import events, tracking
from danvan.cases import rules as rules
from danvan.cases.masking import run_public_masks
from danvan.cases.models import Case
from danvan.inbox.models import Direction, Message
from danvan.kernel.db import Database
from danvan.kernel.jobs import Job
from danvan.kernel.settings import Settings

BATCH = 200
# Closed cases older than this are not asked for a rating any more (e.g. after an outage).
RATING_WINDOW = timedelta(days=30)


def remind(database: Database, settings: Settings, now: datetime) -> int:
    """Open cases due within `case_remind_hours`: one reminder each."""
    soon = now + timedelta(hours=settings.case_remind_hours)
    with database.session() as session:
        cases = session.scalars(
            select(Case)
            .where(
                Case.status_kind == rules.OPEN,
                Case.reminded_at.is_(None),
                Case.due_at > now,
                Case.due_at <= soon,
            )
            .order_by(Case.due_at)
            .limit(BATCH)
        ).all()
        for case in cases:
            case.reminded_at = now
            events.record_event(
                session,
                case,
                kind="reminded",
                detail={"due_at": case.due_at.isoformat(), "assignee_id": case.assignee_id},
            )
        return len(cases)


def escalate(database: Database, settings: Settings, now: datetime) -> int:
    """Overdue open cases: escalated once to the head of their unit."""
    with database.session() as session:
        cases = session.scalars(
            select(Case)
            .where(
                Case.status_kind == rules.OPEN,
                Case.escalated_at.is_(None),
                Case.due_at <= now,
            )
            .order_by(Case.due_at)
            .limit(BATCH)
        ).all()
        for case in cases:
            case.escalated_at = now
            events.record_event(
                session,
                case,
                kind="escalated",
                detail={"head_id": case.unit.head_id if case.unit else None},
            )
        return len(cases)


def request_ratings(database: Database, settings: Settings, now: datetime) -> int:
    """Closed cases with a citizen to ask: one rating request each, on their channel."""
    with database.session() as session:
        cases = session.scalars(
            select(Case)
            .where(
                Case.status == "closed",
                Case.rating_requested_at.is_(None),
                Case.rating.is_(None),
                Case.merged_into_id.is_(None),
                Case.conversation_id.is_not(None),
                Case.closed_at >= now - RATING_WINDOW,
            )
            .order_by(Case.closed_at)
            .limit(BATCH)
        ).all()
        for case in cases:
            case.rating_requested_at = now
            link = tracking.rating_link(settings, case)
            # No template: a rating request only makes sense where the citizen can answer.
            ids = events.notify_citizens(
                session,
                case,
                rules.rating_notice(settings, code=case.code, link=link),
                settings=settings,
            )
            events.record_event(
                session, case, kind="rating_requested", public=False, detail={"message_ids": ids}
            )
        return len(cases)


_SCORE = re.compile(r"^\s*([1-5])(?:\s*(?:sao|điểm|\*|/\s*5))?\s*[.,:;!-]?\s*(.*)$", re.S | re.I)


def collect_ratings(database: Database, settings: Settings, now: datetime) -> int:
    """A citizen who answers the rating request on Zalo with "1".."5" (optionally "4 sao",
    then a comment) has that recorded as their rating. Only the first reply after the request
    counts; any other text is left for staff as an ordinary message."""
    done = 0
    with database.session() as session:
        cases = session.scalars(
            select(Case)
            .where(
                Case.rating_requested_at.is_not(None),
                Case.rating.is_(None),
                Case.rating_reply_done_at.is_(None),
                Case.conversation_id.is_not(None),
                Case.rating_requested_at >= now - RATING_WINDOW,
            )
            .order_by(Case.rating_requested_at)
            .limit(BATCH)
        ).all()
        for case in cases:
            assert case.rating_requested_at is not None
            reply = session.scalar(
                select(Message)
                .where(
                    Message.conversation_id == case.conversation_id,
                    Message.direction == Direction.IN,
                    Message.created_at > case.rating_requested_at,
                )
                .order_by(Message.created_at, Message.id)
                .limit(1)
            )
            if reply is None:
                continue
            found = _SCORE.match(reply.text or "")
            if found is None:
                case.rating_reply_done_at = now  # not a rating: stop reading replies as one
                continue
            tracking.record_rating(
                session, case, rating=int(found.group(1)), comment=found.group(2), via="zalo"
            )
            case.rating_reply_done_at = now
            done += 1
    return done


JOBS: list[Job] = [
    Job("cases.remind", timedelta(minutes=10), remind),
    Job("cases.escalate", timedelta(minutes=10), escalate),
    Job("cases.request_ratings", timedelta(minutes=5), request_ratings),
    Job("cases.collect_ratings", timedelta(minutes=2), collect_ratings),
    # Public texts masked by the worker (web processes never load the NLP stack); until then
    # the public page shows the neutral title and no staff text.
    Job("cases.mask_public", timedelta(seconds=5), run_public_masks),
]
