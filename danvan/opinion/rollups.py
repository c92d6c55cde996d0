"""Daily rollups of `MessageAnalysis`: counts per local day, commune and label.

The worker job reads analyses past its cursor (analysed_at, then message id) and recomputes
every local day they fall on, wholly, from `message_analyses`. Recomputing rather than adding
keeps the counts exact when a message is analysed again or corrected by staff (its row changes
in place and gets a new analysed_at): the old labels are gone from the table, so they are gone
from the day's counts too. A day holds at most one day of messages, so a recompute is small.

Rows are marginals (one dimension at a time, plus topic × sentiment), per commune, plus one
province-wide row set per day (`ALL_COMMUNES`): an admin's dashboard reads a few dozen rows a
day whatever the number of communes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from danvan.inbox.models import Message
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.opinion.models import (
    ALL_COMMUNES,
    NO_COMMUNE,
    AnalyticsCursor,
    EmergingIssue,
    EmergingIssueMessage,
    MessageAnalysis,
    OpinionRollup,
)

CURSOR = "rollups"
CORRECTIONS = "rollups-corrections"
BATCH = 5000
# Analyses committed late (a long transaction that began before the cursor moved) land behind
# the cursor: the days of analyses this recent behind it are recomputed again with each batch.
LAG = timedelta(minutes=2)
DIMS = ("total", "topic", "sentiment", "kind", "channel", "urgent", "topic_sentiment")


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local day, in UTC."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def _rows_of(
    groups: Iterable[tuple[int, str, str, str, str, bool, int]],
) -> Counter[tuple[int, str, str]]:
    counts: Counter[tuple[int, str, str]] = Counter()
    for commune, topic, sentiment, kind, channel, urgent, n in groups:
        for code in (commune, ALL_COMMUNES):
            counts[(code, "total", "")] += n
            counts[(code, "topic", topic)] += n
            counts[(code, "sentiment", sentiment)] += n
            counts[(code, "kind", kind)] += n
            counts[(code, "channel", channel)] += n
            counts[(code, "topic_sentiment", f"{topic}:{sentiment}")] += n
            if urgent:
                counts[(code, "urgent", "1")] += n
    return counts


def recompute_day(session: Session, *, day: date, tz: ZoneInfo) -> int:
    """Replace the rollup rows of one local day by a fresh count; rows written."""
    start, end = day_bounds(day, tz)
    ma = MessageAnalysis
    groups = session.execute(
        select(
            ma.commune_code,
            ma.topic,
            ma.sentiment,
            ma.kind,
            ma.channel,
            ma.urgent,
            func.count(),
        )
        .where(ma.received_at >= start, ma.received_at < end)
        .group_by(
            ma.commune_code,
            ma.topic,
            ma.sentiment,
            ma.kind,
            ma.channel,
            ma.urgent,
        )
    ).all()
    counts = _rows_of(
        (NO_COMMUNE if c is None else int(c), str(t), str(s), str(k), str(ch), bool(u), int(n))
        for c, t, s, k, ch, u, n in groups
    )
    session.execute(delete(OpinionRollup).where(OpinionRollup.day == day))
    if counts:
        session.execute(
            insert(OpinionRollup),
            [
                {"day": day, "commune_code": code, "dim": dim, "value": value[:64], "count": n}
                for (code, dim, value), n in counts.items()
            ],
        )
    return len(counts)


def job_cursor(session: Session, name: str) -> AnalyticsCursor:
    """The named cursor of an analytics job (created at zero the first time)."""
    cursor = session.get(AnalyticsCursor, name)
    if cursor is None:
        cursor = AnalyticsCursor(
            name=name, analysed_at=datetime(2000, 1, 1, tzinfo=UTC), message_id=0
        )
        session.add(cursor)
        session.flush()
    return cursor


def new_analyses(
    session: Session, *, cursor: AnalyticsCursor, limit: int
) -> Sequence[tuple[int, datetime, datetime, int | None, str]]:
    """(message_id, analysed_at, received_at, commune_code, topic) past the cursor, in order."""
    ma = MessageAnalysis
    return session.execute(
        select(ma.message_id, ma.analysed_at, ma.received_at, ma.commune_code, ma.topic)
        .where(
            or_(
                ma.analysed_at > cursor.analysed_at,
                and_(ma.analysed_at == cursor.analysed_at, ma.message_id > cursor.message_id),
            )
        )
        .order_by(ma.analysed_at, ma.message_id)
        .limit(limit)
    ).all()


def _corrections(session: Session, tz: ZoneInfo) -> tuple[set[date], int]:
    """Days of analyses staff corrected since the corrections cursor (staff corrections set
    `corrected_at`, not `analysed_at`); the cursor moves past them."""
    corrected_at = getattr(MessageAnalysis, "corrected_at", None)
    if corrected_at is None:
        return set(), 0
    cursor = job_cursor(session, CORRECTIONS)
    ma = MessageAnalysis
    rows = session.execute(
        select(ma.message_id, corrected_at, ma.received_at)
        .where(
            or_(
                corrected_at > cursor.analysed_at,
                and_(corrected_at == cursor.analysed_at, ma.message_id > cursor.message_id),
            )
        )
        .order_by(corrected_at, ma.message_id)
        .limit(BATCH)
    ).all()
    if rows:
        cursor.analysed_at, cursor.message_id = rows[-1][1], rows[-1][0]
    return {local_day(received, tz) for _m, _c, received in rows}, len(rows)


def run_rollups(database: Database, settings: Settings, now: datetime) -> int:
    """The worker job: recompute the days touched by new or corrected analyses; rows read."""
    tz = zone(settings.timezone)
    with database.session() as session:
        corrected_days, corrected = _corrections(session, tz)
        cursor = job_cursor(session, CURSOR)
        rows = new_analyses(session, cursor=cursor, limit=BATCH)
        if not rows:
            for day in sorted(corrected_days):
                recompute_day(session, day=day, tz=tz)
            return corrected
        days = {local_day(received, tz) for _id, _at, received, _c, _t in rows}
        # A full batch means a backlog, far behind the present: late commits (seconds late)
        # can only hide near the present, so they are looked for once caught up.
        late = (
            []
            if len(rows) == BATCH
            else session.scalars(
                select(MessageAnalysis.received_at).where(
                    MessageAnalysis.analysed_at >= cursor.analysed_at - LAG,
                    MessageAnalysis.analysed_at <= cursor.analysed_at,
                )
            ).all()
        )
        days.update(local_day(received, tz) for received in late)
        for day in sorted(days | corrected_days):
            recompute_day(session, day=day, tz=tz)
        last = rows[-1]
        cursor.analysed_at, cursor.message_id = last[1], last[0]
    return len(rows) + corrected


def move_commune(
    session: Session,
    *,
    conversation_id: int,
    commune_code: int | None,
    now: datetime | None = None,
) -> int:
    """The conversation's commune was set or changed (triage, the citizen's answer, staff):
    its analysed messages move with it. Their analyses take the new commune and a new
    `analysed_at`, so the rollups job recomputes their days (both communes' counts move) and the
    emerging-issues job re-examines the new pair; their links to issues of another commune
    are dropped (an issue's samples never show a message outside that issue's commune).
    Called in the transaction that changes the commune; analyses moved."""
    ma = MessageAnalysis
    ids = select(Message.id).where(Message.conversation_id == conversation_id)
    moved = session.execute(
        update(ma)
        .where(ma.message_id.in_(ids), ma.commune_code.is_distinct_from(commune_code))
        .values(commune_code=commune_code, analysed_at=now or clock.now())
        .execution_options(synchronize_session=False)
    )
    count = int(getattr(moved, "rowcount", 0) or 0)
    if count:
        elsewhere = select(EmergingIssue.id).where(
            EmergingIssue.commune_code.is_distinct_from(commune_code)
        )
        session.execute(
            delete(EmergingIssueMessage)
            .where(
                EmergingIssueMessage.message_id.in_(ids),
                EmergingIssueMessage.issue_id.in_(elsewhere),
            )
            .execution_options(synchronize_session=False)
        )
    return count


def rebuild(database: Database, settings: Settings, *, start: date, end: date) -> int:
    """Recompute every day in [start, end] (after bulk loads or erasures); days done."""
    tz = zone(settings.timezone)
    day, done = start, 0
    while day <= end:
        with database.session() as session:
            recompute_day(session, day=day, tz=tz)
        day += timedelta(days=1)
        done += 1
    return done


# --- Reading -------------------------------------------------------------------------------------


def totals(
    session: Session, *, codes: Sequence[int], start: date, end: date
) -> Counter[tuple[str, str]]:
    """{(dim, value): count} over the days [start, end) and the rollup communes `codes`."""
    r = OpinionRollup
    result: Counter[tuple[str, str]] = Counter()
    if not codes:
        return result
    for dim, value, n in session.execute(
        select(r.dim, r.value, func.sum(r.count))
        .where(r.commune_code.in_(codes), r.day >= start, r.day < end)
        .group_by(r.dim, r.value)
    ):
        result[(str(dim), str(value))] = int(n or 0)
    return result


def totals_windows(
    session: Session, *, codes: Sequence[int], windows: dict[str, tuple[date, date]]
) -> dict[str, Counter[tuple[str, str]]]:
    """{window name: {(dim, value): count}} for several day ranges [start, end), in one pass."""
    r = OpinionRollup
    names = list(windows)
    result: dict[str, Counter[tuple[str, str]]] = {n: Counter() for n in names}
    if not codes:
        return result
    low = min(s for s, _e in windows.values())
    high = max(e for _s, e in windows.values())
    sums = [
        func.sum(case((and_(r.day >= s, r.day < e), r.count), else_=0))
        for s, e in (windows[n] for n in names)
    ]
    for dim, value, *counts in session.execute(
        select(r.dim, r.value, *sums)
        .where(r.commune_code.in_(codes), r.day >= low, r.day < high)
        .group_by(r.dim, r.value)
    ):
        for name, n in zip(names, counts, strict=True):
            if n:
                result[name][(str(dim), str(value))] = int(n)
    return result


def daily(
    session: Session, *, codes: Sequence[int], start: date, end: date, dim: str
) -> dict[tuple[date, str], int]:
    """{(day, value): count} of one dimension over [start, end)."""
    r = OpinionRollup
    if not codes:
        return {}
    return {
        (day, str(value)): int(n or 0)
        for day, value, n in session.execute(
            select(r.day, r.value, func.sum(r.count))
            .where(r.commune_code.in_(codes), r.dim == dim, r.day >= start, r.day < end)
            .group_by(r.day, r.value)
        )
    }


def by_commune(
    session: Session, *, codes: Sequence[int] | None, start: date, end: date, dims: Sequence[str]
) -> dict[int, Counter[tuple[str, str]]]:
    """{commune code (NO_COMMUNE for triage): {(dim, value): count}}; every commune when
    `codes` is None."""
    windows = by_commune_windows(session, codes=codes, windows={"": (start, end)}, dims=dims)
    return {code: found[""] for code, found in windows.items()}


def by_commune_windows(
    session: Session,
    *,
    codes: Sequence[int] | None,
    windows: dict[str, tuple[date, date]],
    dims: Sequence[str],
    only: Sequence[tuple[str, str]] = (),
) -> dict[int, dict[str, Counter[tuple[str, str]]]]:
    """Per commune, {window name: {(dim, value): count}} for several day ranges [start, end),
    in one pass over the rollups; `only` keeps just these (dim, value) pairs."""
    r = OpinionRollup
    if codes is not None and not codes:
        return {}
    low = min(s for s, _e in windows.values())
    high = max(e for _s, e in windows.values())
    names = list(windows)
    sums = [
        func.sum(case((and_(r.day >= s, r.day < e), r.count), else_=0))
        for s, e in (windows[n] for n in names)
    ]
    query = (
        select(r.commune_code, r.dim, r.value, *sums)
        .where(r.dim.in_(dims), r.day >= low, r.day < high)
        .group_by(r.commune_code, r.dim, r.value)
        # After ANALYZE, SQLite prefers a skip-scan of the commune index, reading every
        # dimension (ten times the rows); the dimension index is the right one.
        .with_hint(r, "INDEXED BY ix_opinion_rollups_dim_day", "sqlite")
    )
    if only:
        query = query.where(or_(*(and_(r.dim == d, r.value == v) for d, v in only)))
    if codes is None:
        query = query.where(r.commune_code != ALL_COMMUNES)
    else:
        query = query.where(r.commune_code.in_(codes))
    result: dict[int, dict[str, Counter[tuple[str, str]]]] = {}
    for code, dim, value, *counts in session.execute(query):
        per = result.setdefault(int(code), {n: Counter() for n in names})
        for name, n in zip(names, counts, strict=True):
            if n:
                per[name][(str(dim), str(value))] = int(n)
    return result
