"""The weekly review sample: a short list of recent messages a person checks, so that the figures
can say how many labels a person confirmed and the next retrain learns from them.

Each week (Monday to Sunday, local time) a staff member gets up to `SAMPLE_SIZE` messages of the
last 7 days in their own communes (an admin: the province) that no person has checked yet,
stratified by the predicted topic (one of each topic in turn, the larger topics first) and, within
a topic, the least sure first. Once that many messages of their communes were checked this week,
the sample is done until next Monday. Confirming keeps the model's labels, correcting replaces
them (`labels.do_correct`); both set `corrected_at`, which marks a person's label: it counts as
confirmed on the dashboard and in the situation report, re-analysis never overwrites it, and
retraining uses it (weighted, retrain.py).

Opinion in aggregate: the sample shows the message's text with personal data masked (the quote
the worker stored, `quotes`; a message not masked yet waits for it), its labels and its commune,
never who wrote it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.accounts.audit import record
from danvan.inbox.models import Conversation, Message
from danvan.kernel.models import utcnow
from danvan.opinion.labels import STAFF_CONVERSATION, labels_of
from danvan.opinion.models import MessageAnalysis
from danvan.opinion.quotes import shown
from danvan.opinion.rollups import zone

SAMPLE_SIZE = 20
SAMPLE_DAYS = 7
CANDIDATES = 2000  # the least sure unchecked messages read to stratify from
TEXT_SHOWN = 400


@dataclass(frozen=True)
class ReviewItem:
    analysis: MessageAnalysis
    message_id: int
    commune_code: int | None
    text: str  # masked

    @property
    def id(self) -> int:  # the message's id (the labels form posts to it)
        return self.message_id


@dataclass(frozen=True)
class ReviewSample:
    items: list[ReviewItem]
    reviewed: int  # messages of the actor's communes a person checked this week
    size: int
    week_start: datetime

    @property
    def remaining(self) -> int:
        return max(0, self.size - self.reviewed)


def week_start(now: datetime, tz_name: str) -> datetime:
    """Monday 00:00 local time of `now`'s week."""
    local = now.astimezone(zone(tz_name))
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, time(0), tzinfo=local.tzinfo)


def reviewed_since(session: Session, *, actor: Actor, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(MessageAnalysis)
            .join(Message, Message.id == MessageAnalysis.message_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                MessageAnalysis.corrected_at >= since,
                actor.commune_filter(Conversation.commune_code),
            )
        )
        or 0
    )


def _unchecked(actor: Actor, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Recent messages of the actor's communes no person has checked (joined to their message
    and conversation)."""
    return (
        MessageAnalysis.corrected_at.is_(None),
        MessageAnalysis.received_at >= now - timedelta(days=SAMPLE_DAYS),
        Message.text != "",
        Conversation.status != STAFF_CONVERSATION,
        actor.commune_filter(Conversation.commune_code),
    )


def stratified(rows: list[MessageAnalysis], size: int) -> list[MessageAnalysis]:
    """One of each predicted topic in turn (larger topics first), least sure first within a
    topic; `rows` come least sure first."""
    groups: dict[str, list[MessageAnalysis]] = defaultdict(list)
    for row in rows:
        groups[row.topic].append(row)
    order = sorted(groups.values(), key=lambda g: (-len(g), g[0].topic))
    picked: list[MessageAnalysis] = []
    depth = 0
    while len(picked) < size and any(len(g) > depth for g in order):
        for group in order:
            if depth < len(group) and len(picked) < size:
                picked.append(group[depth])
        depth += 1
    return picked


def weekly_sample(
    session: Session, *, actor: Actor, tz_name: str, now: datetime | None = None
) -> ReviewSample:
    """The actor's review sample for this week (see the module's docstring)."""
    now = now or utcnow()
    start = week_start(now, tz_name)
    reviewed = reviewed_since(session, actor=actor, since=start)
    wanted = max(0, SAMPLE_SIZE - reviewed)
    items: list[ReviewItem] = []
    if wanted:
        rows = session.execute(
            select(MessageAnalysis, Message.text, Conversation.commune_code)
            .join(Message, Message.id == MessageAnalysis.message_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(*_unchecked(actor, now), MessageAnalysis.quote.is_not(None))
            .order_by(MessageAnalysis.confidence, MessageAnalysis.message_id.desc())
            .limit(CANDIDATES)
        ).all()
        texts = {a.message_id: (str(t), c) for a, t, c in rows}
        for analysis in stratified([a for a, _t, _c in rows], wanted):
            text, commune = texts[analysis.message_id]
            items.append(
                ReviewItem(
                    analysis=analysis,
                    message_id=analysis.message_id,
                    commune_code=commune,
                    text=shown(analysis.quote, text, TEXT_SHOWN),
                )
            )
    return ReviewSample(items=items, reviewed=reviewed, size=SAMPLE_SIZE, week_start=start)


def do_confirm(session: Session, *, actor: Actor, analysis: MessageAnalysis) -> MessageAnalysis:
    """A person says the model's labels are right: they become a person's labels (kept through
    re-analysis, counted as confirmed, trained on). Audited with the labels, never the text."""
    actor.require_write()
    analysis.corrected_by_id = actor.user.id
    analysis.corrected_at = utcnow()
    record(
        session,
        actor=actor,
        action="analysis_confirm",
        object_type="message",
        object_id=analysis.message_id,
        detail={"labels": labels_of(analysis)},
    )
    return analysis


def remaining_badge(session: Session, *, actor: Actor) -> int:
    """The staff menu's badge: messages left in this week's sample (0 for read-only staff).
    Two counts, no text read: it is computed on every staff page."""
    if not actor.can_write:
        return 0
    from danvan.kernel.settings import get_settings

    now = utcnow()
    start = week_start(now, get_settings().timezone)
    wanted = max(0, SAMPLE_SIZE - reviewed_since(session, actor=actor, since=start))
    if not wanted:
        return 0
    left = (
        select(MessageAnalysis.message_id)
        .join(Message, Message.id == MessageAnalysis.message_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(*_unchecked(actor, now))
        .limit(wanted)
    )
    return session.scalar(select(func.count()).select_from(left.subquery())) or 0
