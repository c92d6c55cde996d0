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

from sqlalchemy import (
    Connection,
    Date,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import sqlite
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
_ENTRY_NAMES = ("day", "commune_code", "topic", "sentiment", "kind", "channel", "urgent")


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
    if entries:
        connection.execute(
            insert(_ENTRIES),
            [
                {"message_id": m, **dict(zip(_ENTRY_NAMES, e, strict=True))}
                for m, e in entries.items()
            ],
        )


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


# --- The job's cycle -----------------------------------------------------------------------------
# A cycle is three statements when something changed, two when nothing did (on PostgreSQL each
# is a round trip, and their number, not the day's volume, was the cost). One read of both
# cursors; one read of what changed past them, each with the entry it had (analyses past the
# cursor, staff corrections past theirs, and, up to LAG behind the cursor, late commits whose
# entry no longer matches: compared in SQL, so that a busy minute is not read again every
# cycle) and of the kept days from yesterday on. One write adds the counts, replaces the
# entries and moves the cursors (on PostgreSQL one statement over arrays; on SQLite, in
# process, one statement each). Rare cases add theirs: entries to drop, rows fallen to zero,
# days to look up or recompute whole.

_ANALYSES: Table = MessageAnalysis.__table__  # type: ignore[assignment]
_CURSORS: Table = AnalyticsCursor.__table__  # type: ignore[assignment]
_BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)
_NEW, _CORRECTED, _LATE, _KEPT = range(4)
_READ_CURSORS = select(_CURSORS.c.name, _CURSORS.c.analysed_at, _CURSORS.c.message_id).where(
    _CURSORS.c.name.in_((CURSOR, CORRECTIONS))
)


def _past(column: Any, tag: int, at_name: str, last_name: str) -> Select[Any]:
    """Analyses whose `column` is past the cursor (at, last), in order, at most `batch`. The
    cursor's values are parameters, not a subquery: PostgreSQL then plans an index range (with
    a subquery's unknown value it scanned 100k analyses, 80 ms)."""
    ma = _ANALYSES.c
    at = bindparam(at_name, type_=column.type)
    last = bindparam(last_name, type_=Integer)
    inner = (
        select(literal_column(str(tag), Integer).label("tag"), ma.message_id, column.label("at"))
        # The `>=` alone lets SQLite search the index (with the OR alone it scans it whole).
        .where(column >= at, or_(column > at, and_(column == at, ma.message_id > last)))
        .order_by(column, ma.message_id)
        .limit(bindparam("batch", type_=Integer))
        .subquery()
    )
    return select(inner.c.tag, inner.c.message_id, inner.c.at, cast(null(), Date))


@lru_cache(maxsize=1)
def _changes_query() -> Select[Any]:
    """(tag, message id, time, kept day, the analysis's entry columns, the entry's columns, the
    entry's day if kept): what changed past the cursors (_NEW, _CORRECTED, _LATE) and the kept
    days from `since` (_KEPT, day)."""
    ma, e = _ANALYSES.c, _ENTRIES.c
    cursor_at = bindparam("at", type_=ma.analysed_at.type)
    lag_from = bindparam("lag_from", type_=ma.analysed_at.type)
    late = (
        select(
            literal_column(str(_LATE), Integer), ma.message_id, ma.analysed_at, cast(null(), Date)
        )
        .select_from(_ANALYSES.outerjoin(_ENTRIES, e.message_id == ma.message_id))
        .where(
            ma.analysed_at >= lag_from,
            ma.analysed_at <= cursor_at,
            or_(
                e.message_id.is_(None),
                e.commune_code != func.coalesce(ma.commune_code, NO_COMMUNE),
                e.topic != ma.topic,
                e.sentiment != ma.sentiment,
                e.kind != ma.kind,
                e.channel != ma.channel,
                e.urgent != ma.urgent,
            ),
        )
    )
    kept_days = select(
        literal_column(str(_KEPT), Integer),
        cast(null(), Integer),
        cast(null(), ma.analysed_at.type),
        _DAYS.c.day,
    ).where(_DAYS.c.day >= bindparam("since", type_=Date))
    picked = union_all(
        _past(ma.analysed_at, _NEW, "at", "last"),
        _past(ma.corrected_at, _CORRECTED, "corrected_at", "corrected_last"),
        late,
        kept_days,
    ).subquery("picked")
    p = picked.c
    kept = _DAYS.alias("kept")
    return select(
        *p,
        ma.received_at,
        ma.commune_code,
        ma.topic,
        ma.sentiment,
        ma.kind,
        ma.channel,
        ma.urgent,
        e.day,
        e.commune_code,
        e.topic,
        e.sentiment,
        e.kind,
        e.channel,
        e.urgent,
        kept.c.day,
    ).select_from(
        picked.outerjoin(_ANALYSES, ma.message_id == p.message_id)
        .outerjoin(_ENTRIES, e.message_id == p.message_id)
        .outerjoin(kept, kept.c.day == e.day)
    )


# PostgreSQL: the cycle's writes in one statement over arrays (their sizes never change it).
_PG_WRITE = """
WITH entries AS (
  INSERT INTO opinion_rollup_entries
    (message_id, day, commune_code, topic, sentiment, kind, channel, urgent)
  SELECT * FROM unnest(
    %(e_id)s::integer[], %(e_day)s::date[], %(e_code)s::integer[], %(e_topic)s::text[],
    %(e_sentiment)s::text[], %(e_kind)s::text[], %(e_channel)s::text[], %(e_urgent)s::boolean[])
  ON CONFLICT (message_id) DO UPDATE SET
    day = excluded.day, commune_code = excluded.commune_code, topic = excluded.topic,
    sentiment = excluded.sentiment, kind = excluded.kind, channel = excluded.channel,
    urgent = excluded.urgent
), cursors AS (
  UPDATE analytics_cursors AS c SET analysed_at = m.at, message_id = m.id
  FROM unnest(%(c_name)s::text[], %(c_at)s::timestamptz[], %(c_id)s::integer[]) AS m(name, at, id)
  WHERE c.name = m.name
)
INSERT INTO opinion_rollups (day, commune_code, dim, value, count)
SELECT * FROM unnest(
  %(r_day)s::date[], %(r_code)s::integer[], %(r_dim)s::text[], %(r_value)s::text[],
  %(r_count)s::integer[])
ON CONFLICT (day, commune_code, dim, value) DO UPDATE
  SET count = opinion_rollups.count + excluded.count
"""
_MOVE_CURSOR = (
    update(_CURSORS)
    .where(_CURSORS.c.name == bindparam("cursor"))
    .values(analysed_at=bindparam("moment"), message_id=bindparam("last"))
)


@lru_cache(maxsize=1)
def _sqlite_upserts() -> tuple[Any, Any]:
    """SQLite: the rollups' upsert (adding counts) and the entries' (replacing them)."""
    counts = sqlite.insert(_ROLLUPS)
    counts = counts.on_conflict_do_update(
        index_elements=["day", "commune_code", "dim", "value"],
        set_={"count": _ROLLUPS.c.count + counts.excluded.count},
    )
    entries = sqlite.insert(_ENTRIES)
    entries = entries.on_conflict_do_update(
        index_elements=["message_id"],
        set_={name: entries.excluded[name] for name in _ENTRY_NAMES},
    )
    return counts, entries


class _Found:
    """What one read of the changes returned."""

    def __init__(self) -> None:
        self.changes: dict[int, tuple[Entry | None, Entry | None]] = {}
        self.kept: set[date] = set()
        self.not_kept: set[date] = set()
        self.read = {_NEW: 0, _CORRECTED: 0}
        self.moved: dict[str, tuple[datetime, int]] = {}


def _cursors(connection: Connection) -> dict[str, tuple[datetime, int]]:
    found = {str(n): (at, int(m)) for n, at, m in connection.execute(_READ_CURSORS)}
    missing = [n for n in (CURSOR, CORRECTIONS) if n not in found]
    if missing:  # the job's first cycle
        connection.execute(
            insert(_CURSORS),
            [{"name": n, "analysed_at": _BEGINNING, "message_id": 0} for n in missing],
        )
        found.update((n, (_BEGINNING, 0)) for n in missing)
    return found


def _read_changes(connection: Connection, since: date, tz: ZoneInfo) -> _Found:
    found = _Found()
    cursors = _cursors(connection)
    at, last = cursors[CURSOR]
    params = {
        "at": at,
        "last": last,
        "corrected_at": cursors[CORRECTIONS][0],
        "corrected_last": cursors[CORRECTIONS][1],
        "lag_from": at - LAG,
        "since": since,
        "batch": BATCH,
    }
    for row in connection.execute(_changes_query(), params):
        tag, m, moment, day = row[:4]
        if tag == _KEPT:
            found.kept.add(day)
            continue
        if tag in found.read:
            found.read[tag] += 1
            name = CURSOR if tag == _NEW else CORRECTIONS
            found.moved[name] = max(found.moved.get(name, (moment, m)), (moment, m))
        current = None if row[4] is None else _entry((m, *row[4:11]), tz)
        was = None
        if row[11] is not None:
            was_day, code, topic, sentiment, kind, channel, urgent = row[11:18]
            was = (was_day, int(code), topic, sentiment, kind, channel, bool(urgent))
            (found.kept if row[18] is not None else found.not_kept).add(was_day)
        if current != was:
            found.changes[m] = (was, current)
    return found


def run_rollups(database: Database, settings: Settings, now: datetime) -> int:
    """The worker job: add the changes of new, relabelled, moved or corrected analyses (and of
    analyses committed late behind the cursor) to their days' rollups; analyses read past the
    cursors."""
    tz = zone(settings.timezone)
    since = local_day(now, tz) - timedelta(days=1)
    with database.session() as session:
        connection = session.connection()
        found = _read_changes(connection, since, tz)
        if found.changes or found.moved:
            _apply(session, connection, found, since, tz)
    return found.read[_NEW] + found.read[_CORRECTED]


def _apply(
    session: Session, connection: Connection, found: _Found, since: date, tz: ZoneInfo
) -> None:
    """Take each changed message's old entry away and add its current one, as upserts on the
    rows of its day; rows that fall to zero go, as a recompute would leave none. A day without
    complete entries is recomputed whole instead (once). Then move the cursors."""
    changes, kept = found.changes, found.kept
    days = {e[0] for pair in changes.values() for e in pair if e is not None}
    unknown = [d for d in days if d < since and d not in kept | found.not_kept]
    if unknown:
        kept |= set(connection.scalars(select(_DAYS.c.day).where(_DAYS.c.day.in_(unknown))))
    delta: Counter[tuple[date, int, str, str]] = Counter()
    added: dict[int, Entry] = {}
    for m, (was, now) in changes.items():
        if was is not None and was[0] in kept:
            for (code, dim, value), n in rows_of([(*was[1:], 1)]).items():
                delta[(was[0], code, dim, value[:64])] -= n
        if now is not None and now[0] in kept:
            for (code, dim, value), n in rows_of([(*now[1:], 1)]).items():
                delta[(now[0], code, dim, value[:64])] += n
            added[m] = now
    gone = sorted(m for m in changes if m not in added)
    for i in range(0, len(gone), _CHUNK):
        connection.execute(delete(_ENTRIES).where(_ENTRIES.c.message_id.in_(gone[i : i + _CHUNK])))
    for day in sorted(days - kept):
        recompute_day(session, day=day, tz=tz)
    counts = {key: n for key, n in delta.items() if n}
    if connection.dialect.name == "postgresql":
        _pg_write(connection, added, counts, found.moved)
    else:
        _sqlite_write(connection, added, counts, found.moved)
    fallen = sorted({day for (day, *_key), n in counts.items() if n < 0})
    if fallen:
        r = _ROLLUPS.c
        connection.execute(delete(_ROLLUPS).where(r.day.in_(fallen), r.count <= 0))


def _pg_write(
    connection: Connection,
    added: dict[int, Entry],
    counts: dict[tuple[date, int, str, str], int],
    moved: dict[str, tuple[datetime, int]],
) -> None:
    params: dict[str, list[Any]] = {"e_id": list(added)}
    for i, name in enumerate(("day", "code", "topic", "sentiment", "kind", "channel", "urgent")):
        params[f"e_{name}"] = [entry[i] for entry in added.values()]
    for i, name in enumerate(("day", "code", "dim", "value")):
        params[f"r_{name}"] = [key[i] for key in counts]
    params["r_count"] = list(counts.values())
    params["c_name"] = list(moved)
    params["c_at"] = [at for at, _m in moved.values()]
    params["c_id"] = [m for _at, m in moved.values()]
    connection.exec_driver_sql(_PG_WRITE, params)


def _sqlite_write(
    connection: Connection,
    added: dict[int, Entry],
    counts: dict[tuple[date, int, str, str], int],
    moved: dict[str, tuple[datetime, int]],
) -> None:
    upsert_counts, upsert_entries = _sqlite_upserts()
    if added:
        connection.execute(
            upsert_entries,
            [
                {"message_id": m, **dict(zip(_ENTRY_NAMES, e, strict=True))}
                for m, e in added.items()
            ],
        )
    if counts:
        connection.execute(
            upsert_counts,
            [
                {"day": day, "commune_code": code, "dim": dim, "value": value, "count": n}
                for (day, code, dim, value), n in counts.items()
            ],
        )
    if moved:
        connection.execute(
            _MOVE_CURSOR, [{"cursor": n, "moment": at, "last": m} for n, (at, m) in moved.items()]
        )


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
