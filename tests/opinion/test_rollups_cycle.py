"""The rollups job's cycle reads what changed in one statement (analyses past the cursor, staff
corrections past theirs, late commits behind the cursor whose entry no longer matches) and
writes only when something changed. Held here: the cases that take its less travelled paths
stay equal to a full recompute (`recompute_day`), and a cycle that finds nothing new writes
nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, event, update
from test_rollups_incremental import _full_recompute, _rows

from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.opinion.models import MessageAnalysis, OpinionRollupDay
from danvan.opinion.rollups import run_rollups

A, B = 2302, 2269
T0 = datetime(2026, 12, 9, 16, 55, tzinfo=UTC)  # 23:55 local: the next local day is minutes away


@contextmanager
def _writes(database: Database) -> Iterator[list[str]]:
    """The INSERT, UPDATE and DELETE statements run meanwhile (and WITH …, PostgreSQL's one
    statement of writes)."""
    seen: list[str] = []

    def _record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "WITH"):
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", _record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", _record)


def _relabel(database: Database, message_id: int, **values: object) -> None:
    with database.session() as session:
        session.execute(
            update(MessageAnalysis).where(MessageAnalysis.message_id == message_id).values(**values)
        )


def test_late_relabels_across_local_midnight_and_in_triage_equal_a_recompute(
    database: Database, settings: Settings, write
) -> None:
    """A relabel committed late (stamped behind the cursor, within LAG) is found by comparing
    entries with analyses in SQL; messages in triage (no commune: entry NO_COMMUNE) and on both
    sides of local midnight are not taken for changed."""
    before = write("trước nửa đêm", at=T0, commune=None, analysed_at=T0 + timedelta(seconds=5))
    after = write(
        "sau nửa đêm",
        at=T0 + timedelta(minutes=10),  # 00:05 local, the next day
        commune=A,
        analysed_at=T0 + timedelta(minutes=10, seconds=5),
    )
    run_rollups(database, settings, T0 + timedelta(minutes=11))
    days = {day for day, *_rest in _rows(database)}
    assert days == {date(2026, 12, 9), date(2026, 12, 10)}

    # Stamped before the cursor (a transaction that began earlier), committed after the cycle.
    _relabel(
        database,
        before,
        topic="health",
        urgent=True,
        analysed_at=T0 + timedelta(minutes=9),
    )
    _relabel(database, after, sentiment="positive", analysed_at=T0 + timedelta(minutes=9))
    assert run_rollups(database, settings, T0 + timedelta(minutes=12)) == 0  # none past it
    assert _rows(database) == _full_recompute(database, settings)

    # Nothing changed since: both are behind the cursor, within LAG, and match their entries.
    with _writes(database) as seen:
        assert run_rollups(database, settings, T0 + timedelta(minutes=13)) == 0
    assert seen == []


def test_a_correction_of_a_day_far_behind_the_cursor_equals_a_recompute(
    database: Database, settings: Settings, write
) -> None:
    """Staff correct a message of weeks ago: its day is not among the kept days read with the
    changes (those near the cursor), so it is looked up; kept, it takes the change; rolled up
    before entries existed, it is recomputed whole once."""
    old_at = T0 - timedelta(days=30)
    old = write("cũ", at=old_at, commune=B, analysed_at=old_at + timedelta(seconds=5))
    other = write("cũ nữa", at=old_at, commune=B, analysed_at=old_at + timedelta(seconds=6))
    run_rollups(database, settings, old_at + timedelta(minutes=1))
    write("mới", at=T0, commune=A, analysed_at=T0 + timedelta(seconds=5))
    run_rollups(database, settings, T0 + timedelta(minutes=1))

    _relabel(database, old, topic="land", corrected_at=T0 + timedelta(minutes=2))
    assert run_rollups(database, settings, T0 + timedelta(minutes=3)) == 1
    assert _rows(database) == _full_recompute(database, settings)

    with database.session() as session:  # as an upgrade leaves a day rolled up by the old job
        session.execute(delete(OpinionRollupDay).where(OpinionRollupDay.day == old_at.date()))
    _relabel(database, other, kind="question", corrected_at=T0 + timedelta(minutes=4))
    assert run_rollups(database, settings, T0 + timedelta(minutes=5)) == 1
    with database.session() as session:
        assert session.get(OpinionRollupDay, old_at.date()) is not None  # kept from now on
    assert _rows(database) == _full_recompute(database, settings)


def test_a_cycle_with_nothing_new_writes_nothing(
    database: Database, settings: Settings, write
) -> None:
    for n in range(3):
        write(f"tin {n}", at=T0, commune=(A, None, B)[n], analysed_at=T0 + timedelta(seconds=n))
    run_rollups(database, settings, T0 + timedelta(minutes=1))
    with _writes(database) as seen:
        assert run_rollups(database, settings, T0 + timedelta(minutes=2)) == 0
    assert seen == []
    # One more message: one upsert per table and the cursor's update (on PostgreSQL, one
    # statement that does all three).
    write("tin 3", at=T0, commune=A, analysed_at=T0 + timedelta(minutes=2))
    with _writes(database) as seen:
        assert run_rollups(database, settings, T0 + timedelta(minutes=3)) == 1
    assert len(seen) == (1 if database.engine.dialect.name == "postgresql" else 3), seen
