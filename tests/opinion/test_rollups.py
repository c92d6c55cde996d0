"""Daily rollups stay exact as analyses arrive, change and are read by scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.opinion import rollup_reads, rollups
from danvan.opinion.models import ALL_COMMUNES, NO_COMMUNE, MessageAnalysis
from danvan.opinion.rollups import run_rollups

A, B = 2302, 2269
# 23:30 on Nov 9 in Hà Nội is 16:30 UTC: local days, not UTC days, are counted.
LATE_EVENING = datetime(2026, 11, 9, 16, 30, tzinfo=UTC)
NEXT_MORNING = datetime(2026, 11, 9, 17, 30, tzinfo=UTC)  # 00:30 on Nov 10, local


def _totals(
    database: Database, codes: list[int], start: date, end: date
) -> dict[tuple[str, str], int]:
    with database.session() as session:
        return dict(rollup_reads.totals(session, codes=codes, start=start, end=end))


def test_rollups_count_by_local_day_commune_and_label(
    database: Database, settings: Settings, write
) -> None:
    write("Đường hỏng", at=LATE_EVENING, commune=A, topic="roads", urgent=True)
    write("Đường lầy", at=LATE_EVENING, commune=A, topic="roads", sentiment="neutral")
    write("Mất điện", at=NEXT_MORNING, commune=B, topic="utilities", channel="web")
    write("Hỏi thủ tục", at=NEXT_MORNING, commune=None, topic="admin", kind="question")

    assert run_rollups(database, settings, utcnow()) == 4
    assert run_rollups(database, settings, utcnow()) == 0  # nothing new

    nov9, nov10, nov11 = date(2026, 11, 9), date(2026, 11, 10), date(2026, 11, 11)
    cases = [
        ([A], nov9, nov10, ("total", ""), 2),
        ([A], nov9, nov10, ("urgent", "1"), 1),
        ([A], nov9, nov10, ("topic_sentiment", "roads:neutral"), 1),
        ([A], nov10, nov11, ("total", ""), 0),
        ([B], nov10, nov11, ("channel", "web"), 1),
        ([NO_COMMUNE], nov10, nov11, ("kind", "question"), 1),
        ([ALL_COMMUNES], nov9, nov11, ("total", ""), 4),
        ([ALL_COMMUNES], nov9, nov11, ("sentiment", "negative"), 3),
        ([A, B], nov9, nov11, ("total", ""), 3),
    ]
    for codes, start, end, key, expected in cases:
        assert _totals(database, codes, start, end).get(key, 0) == expected, (codes, start, key)


def test_a_reanalysed_message_moves_between_labels_without_double_counting(
    database: Database, settings: Settings, write
) -> None:
    at = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)
    first = write("Rác thải đổ bừa bãi", at=at, topic="other")
    write("Khói lò gạch", at=at, topic="environment")
    run_rollups(database, settings, utcnow())
    with database.session() as session:  # a staff correction, or a better model
        session.execute(
            update(MessageAnalysis)
            .where(MessageAnalysis.message_id == first)
            .values(topic="environment", analysed_at=utcnow() + timedelta(seconds=1))
        )
    assert run_rollups(database, settings, utcnow()) == 1
    got = _totals(database, [A], date(2026, 11, 3), date(2026, 11, 4))
    assert got[("topic", "environment")] == 2
    assert got.get(("topic", "other"), 0) == 0
    assert got[("total", "")] == 2


def test_the_cursor_moves_in_batches_and_loses_nothing(
    database: Database, settings: Settings, write, monkeypatch
) -> None:
    monkeypatch.setattr(rollups, "BATCH", 3)
    stamp = utcnow()
    for i in range(7):  # equal analysed_at: the message id breaks the tie
        write(f"Tin {i}", at=datetime(2026, 11, 1 + i % 3, 5, tzinfo=UTC), analysed_at=stamp)
    done = [run_rollups(database, settings, utcnow()) for _ in range(4)]
    assert done == [3, 3, 1, 0]
    got = _totals(database, [ALL_COMMUNES], date(2026, 11, 1), date(2026, 11, 4))
    assert got[("total", "")] == 7
    with database.session() as session:
        assert session.scalar(select(MessageAnalysis.message_id).limit(1)) is not None


def test_a_staff_correction_reaches_the_rollups(
    database: Database, settings: Settings, write
) -> None:
    at = datetime(2026, 11, 4, 3, 0, tzinfo=UTC)
    message = write("Cho hỏi lịch tiêm phòng", at=at, topic="other", sentiment="neutral")
    run_rollups(database, settings, utcnow())
    with database.session() as session:  # as danvan.opinion.labels.do_correct does
        session.execute(
            update(MessageAnalysis)
            .where(MessageAnalysis.message_id == message)
            .values(topic="health", corrected_at=utcnow())
        )
    assert run_rollups(database, settings, utcnow()) == 1
    assert run_rollups(database, settings, utcnow()) == 0
    got = _totals(database, [A], date(2026, 11, 4), date(2026, 11, 5))
    assert got[("topic", "health")] == 1
    assert got.get(("topic", "other"), 0) == 0
