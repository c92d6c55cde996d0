"""What the dashboard shows, read from the rollups (and the issue tables) within a `View`.

Every figure comes from `opinion_rollups`: a few rows per day and commune, so the page costs the
same over ten thousand or ten million messages (see bench/dashboard.py). Representative messages
of an issue are masked even though staff in scope may open the conversation: the quotes the
worker stored (`quotes`), so that a web process never loads the NLP stack.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from danvan.inbox.models import Conversation, Message
from danvan.kernel import taxonomy
from danvan.kernel.numbers import change
from danvan.opinion import rollup_reads
from danvan.opinion.models import (
    NO_COMMUNE,
    AlertKind,
    EmergingIssue,
    EmergingIssueMessage,
    IssueStatus,
    MessageAnalysis,
    OpinionAlert,
)
from danvan.opinion.quotes import shown
from danvan.opinion.scope import View

PERIODS = (7, 28, 90)
ISSUES_SHOWN = 8
SAMPLES_PER_ISSUE = 2
ALERT_DAYS = 7
DRILL_LIMIT = 100


@dataclass
class Bar:
    key: str
    count: int | None
    previous: int | None
    change: float | None
    share: float  # 0..100 of the largest bar, for drawing

    @property
    def width(self) -> float:
        return round(self.share, 1)


def _bars(now: Counter[tuple[str, str]], before: Counter[tuple[str, str]], dim: str,
          view: View, order: tuple[str, ...] | None = None) -> list[Bar]:  # fmt: skip
    keys = order or tuple(
        v for (d, v), _n in sorted(now.items(), key=lambda kv: -kv[1]) if d == dim
    )
    counts = {k: view.count(now[(dim, k)]) for k in keys}
    top = max((n or 0 for n in counts.values()), default=0) or 1
    return [
        Bar(
            key=k,
            count=counts[k],
            previous=view.count(before[(dim, k)]),
            change=change(counts[k], view.count(before[(dim, k)])),
            share=100.0 * (counts[k] or 0) / top,
        )
        for k in keys
    ]


def overview(session: Session, *, view: View, today: date, days: int) -> dict[str, Any]:
    """Figures of the `days` up to `today` (local) against the `days` before, the last week
    against the one before, the daily trend and the table by commune."""
    start, end = today - timedelta(days=days - 1), today + timedelta(days=1)
    prev_start = start - timedelta(days=days)
    week_start = today - timedelta(days=6)
    found = rollup_reads.totals_windows(
        session,
        codes=view.codes,
        windows={
            "now": (start, end),
            "previous": (prev_start, start),
            "week": (week_start, end),
            "last_week": (week_start - timedelta(days=7), week_start),
        },
    )
    now_t, prev_t, week, last_week = (
        found["now"],
        found["previous"],
        found["week"],
        found["last_week"],
    )
    daily = rollup_reads.daily(session, codes=view.codes, start=start, end=end, dim="total")
    c = view.count
    trend = []
    day = start
    while day < end:
        trend.append((day, c(daily.get((day, ""), 0))))
        day += timedelta(days=1)
    total = c(now_t[("total", "")])
    negative = c(now_t[("sentiment", "negative")])
    topics = _bars(now_t, prev_t, "topic", view)
    week_topics = {b.key: b for b in _bars(week, last_week, "topic", view)}
    communes: list[dict[str, Any]] = []
    if view.communes is None or len(view.communes) > 1:
        week_before = week_start - timedelta(days=7)
        windows = rollup_reads.by_commune_windows(
            session,
            codes=None if view.communes is None else list(view.communes),
            windows={
                "period": (start, end),
                "week": (week_start, end),
                "last_week": (week_before, week_start),
            },
            dims=("total", "sentiment", "urgent"),
            only=(("total", ""), ("sentiment", "negative"), ("urgent", "1")),
        )
        per = {code: w["period"] for code, w in windows.items() if w["period"]}
        for code, counts in sorted(per.items(), key=lambda kv: -kv[1][("total", "")]):
            w_now = c(windows[code]["week"][("total", "")])
            w_before = c(windows[code]["last_week"][("total", "")])
            communes.append(
                {
                    "code": None if code == NO_COMMUNE else code,
                    "total": c(counts[("total", "")]),
                    "negative": c(counts[("sentiment", "negative")]),
                    "urgent": c(counts[("urgent", "1")]),
                    "week": w_now,
                    "last_week": w_before,
                    "week_change": change(w_now, w_before),
                }
            )
    peak = max((n or 0 for _d, n in trend), default=0)
    return {
        "start": start,
        "end": today,
        "days": days,
        "total": total,
        "previous_total": c(prev_t[("total", "")]),
        "total_change": change(total, c(prev_t[("total", "")])),
        "negative": negative,
        "negative_share": (
            round(100.0 * negative / total, 1) if negative is not None and total else None
        ),
        "urgent": c(now_t[("urgent", "1")]),
        "week": c(week[("total", "")]),
        "last_week": c(last_week[("total", "")]),
        "week_change": change(c(week[("total", "")]), c(last_week[("total", "")])),
        "trend": trend,
        "trend_peak": peak,
        "topics": topics,
        "week_topics": week_topics,
        "sentiments": _bars(now_t, prev_t, "sentiment", view, taxonomy.SENTIMENTS),
        "kinds": _bars(now_t, prev_t, "kind", view, taxonomy.KINDS),
        "channels": _bars(now_t, prev_t, "channel", view, ("zalo_oa", "zalo_bot", "web")),
        "communes": communes,
    }


@dataclass
class IssueCard:
    id: int
    label: str
    commune_code: int | None
    topic: str
    message_count: int
    duplicate_count: int
    spiking: bool
    observed: int
    expected: float
    first_seen_at: datetime
    last_seen_at: datetime
    samples: list[str]


def issues(session: Session, *, view: View, limit: int = ISSUES_SHOWN) -> list[IssueCard]:
    """Active issues in the actor's own scope, spiking first, with masked sample messages."""
    ei = EmergingIssue
    rows = session.scalars(
        select(ei)
        .where(view.messages(ei.commune_code), ei.status == IssueStatus.ACTIVE)
        .order_by(ei.spiking.desc(), ei.last_seen_at.desc(), ei.id.desc())
        .limit(limit)
    ).all()
    cards = []
    for issue in rows:
        texts = session.execute(
            select(MessageAnalysis.quote, Message.text)
            .join(EmergingIssueMessage, EmergingIssueMessage.message_id == Message.id)
            .join(MessageAnalysis, MessageAnalysis.message_id == Message.id)
            .where(
                EmergingIssueMessage.issue_id == issue.id,
                EmergingIssueMessage.duplicate_of.is_(None),
                Message.text != "",
                MessageAnalysis.quote.is_not(None),
            )
            .order_by(func.length(Message.text).desc(), Message.id)
            .limit(SAMPLES_PER_ISSUE)
        ).all()
        cards.append(
            IssueCard(
                id=issue.id,
                label=issue.label,
                commune_code=issue.commune_code,
                topic=issue.topic,
                message_count=issue.message_count,
                duplicate_count=issue.duplicate_count,
                spiking=issue.spiking,
                observed=issue.observed,
                expected=issue.expected,
                first_seen_at=issue.first_seen_at,
                last_seen_at=issue.last_seen_at,
                samples=[shown(q, t, 240) for q, t in texts],
            )
        )
    return cards


def alerts(session: Session, *, view: View, now: datetime) -> list[OpinionAlert]:
    oa = OpinionAlert
    return list(
        session.scalars(
            select(oa)
            .where(
                view.messages(oa.commune_code),
                oa.kind == AlertKind.SPIKE,  # urgent messages head the inbox instead
                oa.created_at > now - timedelta(days=ALERT_DAYS),
            )
            .order_by(oa.created_at.desc())
            .limit(20)
        )
    )


def drill_down(
    session: Session,
    *,
    view: View,
    since: datetime,
    topic: str | None = None,
    sentiment: str | None = None,
    kind: str | None = None,
    channel: str | None = None,
    commune_code: int | None = None,
    issue_id: int | None = None,
    limit: int = DRILL_LIMIT,
) -> list[tuple[int, int, int | None, datetime, str, str, str]]:
    """Messages behind a figure, within the actor's scope: (message id, conversation id,
    commune, received, topic, sentiment, masked preview), newest first."""
    ma = MessageAnalysis
    query = (
        select(
            Message.id,
            Conversation.id,
            ma.commune_code,
            ma.received_at,
            ma.topic,
            ma.sentiment,
            Message.text,
            ma.quote,
        )
        .join(Message, Message.id == ma.message_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(view.messages(ma.commune_code), view.actor.commune_filter(Conversation.commune_code))
    )
    if issue_id is not None:
        query = query.join(
            EmergingIssueMessage, EmergingIssueMessage.message_id == ma.message_id
        ).where(EmergingIssueMessage.issue_id == issue_id)
    else:
        query = query.where(ma.received_at >= since)
    for column, value in (
        (ma.topic, topic),
        (ma.sentiment, sentiment),
        (ma.kind, kind),
        (ma.channel, channel),
    ):
        if value:
            query = query.where(column == value)
    if commune_code is not None:
        query = query.where(ma.commune_code == commune_code)
    rows = session.execute(query.order_by(ma.received_at.desc()).limit(limit)).all()
    return [
        (int(m), int(cv), cc, at, str(t), str(s), shown(quote, text, 200))
        for m, cv, cc, at, t, s, text, quote in rows
    ]
