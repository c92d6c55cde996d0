"""Daily rollups of `MessageAnalysis`: counts per local day, commune and label.

The worker job reads analyses past its cursor (analysed_at, then message id) and adds what
changed to the days they fall on: each analysed message has an entry (`OpinionRollupEntry`)
saying what it counts for; a new, relabelled, corrected or moved analysis has its old entry
taken away and its current labels added, as upserts on the day's rows. So a cycle costs what
arrived since the last one, not the day's volume, and the counts stay those of a full
recompute (`recompute_day`, the reference, tested against after many cycles). A day whose
entries are not complete (rolled up before entries existed) is recomputed whole once.

Rows are marginals (one dimension at a time, plus topic × sentiment), per commune, plus one
province-wide row set per day (`ALL_COMMUNES`): an admin's dashboard reads a few dozen rows a
day whatever the number of communes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, and_, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
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
    OpinionRollupDay,
    OpinionRollupEntry,
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


def rows_of(
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
    """Replace the rollup rows and entries of one local day by a fresh count, and mark the day
    as kept by changes from then on (`OpinionRollupDay`); rows written. This is the reference
    the job's increments are tested against, and what `rebuild` does."""
    start, end = day_bounds(day, tz)
    ma = MessageAnalysis
    in_day = and_(ma.received_at >= start, ma.received_at < end)
    analyses = session.execute(select(*_ENTRY_COLUMNS).where(in_day)).all()
    entries = {int(row[0]): _entry(row, tz) for row in analyses}
    counts = rows_of((*entry[1:], 1) for entry in entries.values())
    connection = session.connection()
    connection.execute(delete(_ROLLUPS).where(_ROLLUPS.c.day == day))
    connection.execute(delete(_ENTRIES).where(_ENTRIES.c.day == day))
    connection.execute(
        delete(_ENTRIES).where(_ENTRIES.c.message_id.in_(select(ma.message_id).where(in_day)))
    )
    if counts:
        connection.execute(
            insert(_ROLLUPS),
            [
                {"day": day, "commune_code": code, "dim": dim, "value": value[:64], "count": n}
                for (code, dim, value), n in counts.items()
            ],
        )
    _insert_entries(connection, entries)
    connection.execute(delete(_DAYS).where(_DAYS.c.day == day))
    connection.execute(insert(_DAYS), [{"day": day, "recomputed_at": clock.now()}])
    return len(counts)


# An entry: (day, commune code, topic, sentiment, kind, channel, urgent).
Entry = tuple[date, int, str, str, str, str, bool]
_ROLLUPS: Table = OpinionRollup.__table__  # type: ignore[assignment]
_ENTRIES: Table = OpinionRollupEntry.__table__  # type: ignore[assignment]
_DAYS: Table = OpinionRollupDay.__table__  # type: ignore[assignment]
_ENTRY_COLUMNS = (
    MessageAnalysis.message_id,
    MessageAnalysis.received_at,
    MessageAnalysis.commune_code,
    MessageAnalysis.topic,
    MessageAnalysis.sentiment,
    MessageAnalysis.kind,
    MessageAnalysis.channel,
    MessageAnalysis.urgent,
)
_CHUNK = 500


def _entry(row: Any, tz: ZoneInfo) -> Entry:
    _id, received, commune, topic, sentiment, kind, channel, urgent = row
    code = NO_COMMUNE if commune is None else int(commune)
    return (
        local_day(received, tz),
        code,
        str(topic),
        str(sentiment),
        str(kind),
        str(channel),
        bool(urgent),
    )


def _insert_entries(connection: Connection, entries: dict[int, Entry]) -> None:
    names = ("day", "commune_code", "topic", "sentiment", "kind", "channel", "urgent")
    if entries:
        connection.execute(
            insert(_ENTRIES),
            [{"message_id": m, **dict(zip(names, e, strict=True))} for m, e in entries.items()],
        )


def apply_changes(session: Session, *, message_ids: Iterable[int], tz: ZoneInfo) -> int:
    """Bring the rollups up to date with the analyses of `message_ids` (new, relabelled,
    corrected, moved to another commune): each one's entry is taken away and its current labels
    added, as upserts on the day's rows; rows that fall to zero go, as a recompute would leave
    none. A day without complete entries is recomputed whole instead (once). Entries changed."""
    ids = sorted(set(message_ids))
    connection = session.connection()
    current: dict[int, Entry] = {}
    old: dict[int, Entry] = {}
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        where = MessageAnalysis.message_id.in_(chunk)
        for row in connection.execute(select(*_ENTRY_COLUMNS).where(where)):
            current[int(row[0])] = _entry(row, tz)
        e = _ENTRIES.c
        columns = (e.day, e.commune_code, e.topic, e.sentiment, e.kind, e.channel, e.urgent)
        for m, day, code, topic, sentiment, kind, channel, urgent in connection.execute(
            select(e.message_id, *columns).where(e.message_id.in_(chunk))
        ):
            old[int(m)] = (day, int(code), topic, sentiment, kind, channel, bool(urgent))
    changed = [m for m in ids if current.get(m) != old.get(m)]
    days = {e[0] for m in changed for e in (current.get(m), old.get(m)) if e is not None}
    kept = set(connection.scalars(select(_DAYS.c.day).where(_DAYS.c.day.in_(days))))
    per_day: dict[date, Counter[tuple[int, str, str]]] = {}
    added: dict[int, Entry] = {}
    for m in changed:
        was, now = old.get(m), current.get(m)
        if was is not None and was[0] in kept:
            per_day.setdefault(was[0], Counter()).subtract(rows_of([(*was[1:], 1)]))
        if now is not None and now[0] in kept:
            per_day.setdefault(now[0], Counter()).update(rows_of([(*now[1:], 1)]))
            added[m] = now
    for i in range(0, len(changed), _CHUNK):
        connection.execute(
            delete(_ENTRIES).where(_ENTRIES.c.message_id.in_(changed[i : i + _CHUNK]))
        )
    for day in sorted(days - kept):
        recompute_day(session, day=day, tz=tz)
    _insert_entries(connection, added)
    for day, delta in per_day.items():
        _add_counts(connection, day, delta)
    return len(changed)


def _add_counts(connection: Connection, day: date, delta: Counter[tuple[int, str, str]]) -> None:
    rows = [
        {"day": day, "commune_code": code, "dim": dim, "value": value[:64], "count": n}
        for (code, dim, value), n in delta.items()
        if n
    ]
    if not rows:
        return
    dialect = connection.dialect.name
    stmt = postgresql.insert(_ROLLUPS) if dialect == "postgresql" else sqlite.insert(_ROLLUPS)
    upsert = stmt.on_conflict_do_update(
        index_elements=["day", "commune_code", "dim", "value"],
        set_={"count": _ROLLUPS.c.count + stmt.excluded.count},
    )
    connection.execute(upsert, rows)
    if any(n < 0 for n in delta.values()):
        connection.execute(delete(_ROLLUPS).where(_ROLLUPS.c.day == day, _ROLLUPS.c.count <= 0))


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
            # The `>=` alone lets SQLite search the index (with the OR alone it scans it whole).
            ma.analysed_at >= cursor.analysed_at,
            or_(
                ma.analysed_at > cursor.analysed_at,
                and_(ma.analysed_at == cursor.analysed_at, ma.message_id > cursor.message_id),
            ),
        )
        .order_by(ma.analysed_at, ma.message_id)
        .limit(limit)
    ).all()


def _corrections(session: Session) -> list[int]:
    """Analyses staff corrected since the corrections cursor (staff corrections set
    `corrected_at`, not `analysed_at`); the cursor moves past them."""
    corrected_at = MessageAnalysis.corrected_at
    cursor = job_cursor(session, CORRECTIONS)
    ma = MessageAnalysis
    rows = session.execute(
        select(ma.message_id, corrected_at)
        .where(
            corrected_at >= cursor.analysed_at,
            or_(
                corrected_at > cursor.analysed_at,
                and_(corrected_at == cursor.analysed_at, ma.message_id > cursor.message_id),
            ),
        )
        .order_by(corrected_at, ma.message_id)
        .limit(BATCH)
    ).all()
    if rows:
        last_at, last_id = rows[-1][1], rows[-1][0]
        assert last_at is not None  # the query asked for corrected_at past the cursor
        cursor.analysed_at, cursor.message_id = last_at, last_id
    return [int(message_id) for message_id, _at in rows]


def run_rollups(database: Database, settings: Settings, now: datetime) -> int:
    """The worker job: add the changes of new, relabelled, moved or corrected analyses to their
    days' rollups; analyses read."""
    tz = zone(settings.timezone)
    with database.session() as session:
        corrected = _corrections(session)
        cursor = job_cursor(session, CURSOR)
        rows = new_analyses(session, cursor=cursor, limit=BATCH)
        ids = {message_id for message_id, *_rest in rows} | set(corrected)
        if rows and len(rows) < BATCH:
            # A full batch means a backlog, far behind the present: late commits (seconds
            # late) can only hide near the present, so they are looked for once caught up.
            # Seeing an analysis again changes nothing (its entry already matches).
            ids.update(
                session.scalars(
                    select(MessageAnalysis.message_id).where(
                        MessageAnalysis.analysed_at >= cursor.analysed_at - LAG,
                        MessageAnalysis.analysed_at <= cursor.analysed_at,
                    )
                )
            )
        apply_changes(session, message_ids=ids, tz=tz)
        if rows:
            cursor.analysed_at, cursor.message_id = rows[-1][1], rows[-1][0]
    return len(rows) + len(corrected)


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
