"""The rollups job adds what changed (entries per message, upserts per day) rather than
recomputing days: after many cycles of new, late, relabelled, corrected and moved analyses, its
rows are exactly those of a full recompute."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select, update

from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.opinion import rollups
from danvan.opinion.models import (
    MessageAnalysis,
    OpinionRollup,
    OpinionRollupDay,
    OpinionRollupEntry,
)
from danvan.opinion.rollups import run_rollups

A, B = 2302, 2269
T0 = datetime(2026, 12, 9, 16, 50, tzinfo=UTC)  # 23:50 local: messages straddle two days


def _rows(database: Database) -> set[tuple[date, int, str, str, int]]:
    with database.session() as session:
        r = OpinionRollup
        found = session.execute(select(r.day, r.commune_code, r.dim, r.value, r.count)).all()
        return {tuple(row) for row in found}  # type: ignore[misc]


def _full_recompute(database: Database, settings: Settings) -> set[tuple[date, int, str, str, int]]:
    tz = rollups.zone(settings.timezone)
    with database.session() as session:
        days = {
            rollups.local_day(at, tz) for at in session.scalars(select(MessageAnalysis.received_at))
        }
        days |= set(session.scalars(select(OpinionRollup.day).distinct()))
    for day in sorted(days):
        rollups.rebuild(database, settings, start=day, end=day)
    return _rows(database)


def test_increments_equal_a_full_recompute_after_many_cycles(
    database: Database, settings: Settings, write
) -> None:
    clock = T0
    ids: list[int] = []

    def cycle() -> None:
        nonlocal clock
        clock += timedelta(minutes=1)
        run_rollups(database, settings, clock)

    for n in range(6):
        ids.append(
            write(
                f"tin {n}",
                at=T0 + timedelta(minutes=5 * n),
                commune=A if n % 2 else B,
                analysed_at=T0 + timedelta(minutes=5 * n, seconds=5),
            )
        )
    cycle()
    # Relabelled by the classifiers (a new analysed_at), and a staff correction (corrected_at).
    with database.session() as session:
        session.execute(
            update(MessageAnalysis)
            .where(MessageAnalysis.message_id == ids[0])
            .values(topic="utilities", urgent=True, analysed_at=T0 + timedelta(hours=1))
        )
        session.execute(
            update(MessageAnalysis)
            .where(MessageAnalysis.message_id == ids[1])
            .values(sentiment="positive", corrected_at=T0 + timedelta(hours=1))
        )
    cycle()
    # A conversation moves to another commune (staff, or the citizen's answer).
    with database.session() as session:
        conversation = session.scalar(
            select(rollups.Message.conversation_id).where(rollups.Message.id == ids[2])
        )
        assert conversation is not None
        rollups.move_commune(
            session, conversation_id=conversation, commune_code=A, now=T0 + timedelta(hours=2)
        )
        rollups.move_commune(
            session,
            conversation_id=session.scalar(
                select(rollups.Message.conversation_id).where(rollups.Message.id == ids[3])
            )
            or 0,
            commune_code=None,
            now=T0 + timedelta(hours=2),
        )
    cycle()
    # A late commit: analysed (stamped) before the cursor, committed after the last cycle.
    late = write(
        "muộn",
        at=T0 + timedelta(minutes=7),
        commune=B,
        analysed_at=T0 + timedelta(hours=2) - timedelta(seconds=30),
    )
    ids.append(late)
    ids.append(
        write("mới", at=T0 + timedelta(hours=3), commune=A, analysed_at=T0 + timedelta(hours=3))
    )
    cycle()
    cycle()  # nothing new: changes nothing
    # Relabelled back to what it was, and relabelled twice between two cycles.
    with database.session() as session:
        for k, topic in ((0, "roads"), (4, "land"), (4, "health")):
            session.execute(
                update(MessageAnalysis)
                .where(MessageAnalysis.message_id == ids[k])
                .values(topic=topic, analysed_at=T0 + timedelta(hours=4, minutes=k))
            )
    cycle()
    incremental = _rows(database)
    assert incremental == _full_recompute(database, settings)
    assert not any(count == 0 for *_k, count in incremental)  # rows at zero are removed
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(OpinionRollupEntry)) == len(ids)


def test_a_day_rolled_up_before_entries_existed_is_recomputed_once(
    database: Database, settings: Settings, write
) -> None:
    """Rollups written by the old job (whole days, no entries): the first change of such a day
    recomputes it whole and fills its entries; the changes after it are added."""
    for n in range(3):
        write(f"cũ {n}", at=T0, commune=A, analysed_at=T0 + timedelta(seconds=n))
    run_rollups(database, settings, T0 + timedelta(minutes=1))
    with database.session() as session:  # as the migration leaves an existing deployment
        session.execute(delete(OpinionRollupEntry))
        session.execute(delete(OpinionRollupDay))
    write("mới", at=T0 + timedelta(seconds=1), commune=A, analysed_at=T0 + timedelta(minutes=5))
    run_rollups(database, settings, T0 + timedelta(minutes=6))
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(OpinionRollupEntry)) == 4
        assert session.scalar(select(func.count()).select_from(OpinionRollupDay)) == 1
    assert _rows(database) == _full_recompute(database, settings)
