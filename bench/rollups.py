"""Rollup cycle benchmark: one cycle of the `opinion-rollups` job after one new message, on a
day that already holds N messages, against recomputing that day whole (what the job did before
it kept entries), side by side in one run.

    ./dev bench rollups                               # SQLite, 1k and 100k messages that day
    ./dev bench rollups --postgres URL                # also PostgreSQL (a scratch DB is made)
Options: --sizes 1000,100000 --repeat 5 --hours 24

The day is yesterday (local): its messages are spread over the last --hours hours before
23:59 (24: the whole day, 1: a burst), each analysed 5 s after it arrived, over 40 communes,
every topic, sentiment and kind; so the figures do not depend on the hour the bench runs at
(the job looks again at the 2 minutes behind its cursor, and a day begun at midnight holds more
of its messages there at 1 a.m. than at 11 p.m.). The first cycle (which recomputes the day
whole and writes its entries) is timed too; then each repeat writes one message and its
analysis at 23:59:30 and times the next cycle (and counts its SQL statements, BEGIN and COMMIT
aside), `recompute_day` on the same day (rows and entries) and what the job did per cycle
before entries (group the day's analyses, replace its rows).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, event, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from danvan.inbox.models import Contact, Conversation, Message
from danvan.kernel import geo, taxonomy
from danvan.kernel.db import Database, make_engine
from danvan.kernel.settings import Settings
from danvan.migrations import upgrade
from danvan.opinion import rollups
from danvan.opinion.models import NO_COMMUNE, MessageAnalysis, OpinionRollup

PROVINCE = 8


@contextmanager
def scratch(server: str | None) -> Iterator[str]:
    """A fresh database: a SQLite file, or a PostgreSQL database made and dropped on `server`."""
    if server is None:
        with tempfile.TemporaryDirectory(prefix="danvan-bench-") as folder:
            yield f"sqlite:///{folder}/rollups.db"
        return
    name = f"danvan_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _write(
    database: Database, rng: random.Random, times: list[datetime], communes: list[int]
) -> None:
    with database.session() as session:
        contact = Contact(channel="zalo_oa", external_id=f"b{rng.random()}", display_name="b")
        session.add(contact)
        session.flush()
        conversation = Conversation(contact_id=contact.id, channel="zalo_oa")
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
    for start in range(0, len(times), 5000):
        chunk = times[start : start + 5000]
        with database.session() as session:
            ids = session.execute(
                insert(Message).returning(Message.id, sort_by_parameter_order=True),
                [
                    {
                        "conversation_id": conversation_id,
                        "channel": "zalo_oa",
                        "direction": "in",
                        "text": "",
                        "created_at": at,
                    }
                    for at in chunk
                ],
            ).scalars()
            session.execute(
                insert(MessageAnalysis),
                [
                    {
                        "message_id": i,
                        "commune_code": rng.choice(communes),
                        "channel": "zalo_oa",
                        "received_at": at,
                        "topic": rng.choice(taxonomy.DEFAULT_TOPICS).code,
                        "sentiment": rng.choice(taxonomy.SENTIMENTS),
                        "kind": rng.choice(taxonomy.KINDS),
                        "urgent": rng.random() < 0.05,
                        "abusive": False,
                        "confidence": 0.5,
                        "model_version": "bench",
                        "analysed_at": at + timedelta(seconds=5),
                    }
                    for i, at in zip(list(ids), chunk, strict=True)
                ],
            )


def old_recompute_day(session: Session, *, day: date, tz: ZoneInfo) -> None:
    """What the job did before entries (revision 0003): group the day's analyses, replace
    the day's rows."""
    start, end = rollups.day_bounds(day, tz)
    ma = MessageAnalysis
    cols = (ma.commune_code, ma.topic, ma.sentiment, ma.kind, ma.channel, ma.urgent)
    groups = session.execute(
        select(*cols, func.count())
        .where(ma.received_at >= start, ma.received_at < end)
        .group_by(*cols)
    ).all()
    counts = rollups.rows_of(
        (NO_COMMUNE if c is None else int(c), str(t), str(s), str(k), str(ch), bool(u), int(n))
        for c, t, s, k, ch, u, n in groups
    )
    session.execute(delete(OpinionRollup).where(OpinionRollup.day == day))
    session.execute(
        insert(OpinionRollup),
        [
            {"day": day, "commune_code": code, "dim": dim, "value": value, "count": n}
            for (code, dim, value), n in counts.items()
        ],
    )


def bench_size(url: str, size: int, repeat: int, hours: float) -> tuple[float, ...]:
    upgrade(url)
    settings = Settings(database_url=url, province=PROVINCE, _env_file=None)  # type: ignore[call-arg]
    database = Database(url)
    tz = rollups.zone(settings.timezone)
    rng = random.Random(size)
    communes = [c.code for c in geo.province(PROVINCE).communes][:40]
    day = rollups.local_day(datetime.now(UTC), tz) - timedelta(days=1)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    end -= timedelta(seconds=60)
    span = min(hours, 24) * 3600 - 60
    times = sorted(end - timedelta(seconds=rng.random() * span) for _ in range(size))
    now = end + timedelta(seconds=55)  # the job's clock (it reads none)
    _write(database, rng, times, communes)
    statements: list[str] = []

    @event.listens_for(database.engine, "before_cursor_execute")
    def _count(_c: object, _cur: object, statement: str, *_args: object) -> None:
        if not statement.startswith("BEGIN"):
            statements.append(statement)

    started = time.perf_counter()
    while rollups.run_rollups(database, settings, now) >= rollups.BATCH:
        pass
    first = time.perf_counter() - started
    if database.engine.dialect.name == "postgresql":
        # What autovacuum gives a live database after a day's writes: statistics to plan with
        # (without them PostgreSQL takes the day's 100k fresh entries for an empty table).
        with database.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    cycles: list[float] = []
    counted: list[float] = []
    recomputes: list[float] = []
    olds: list[float] = []
    for n in range(repeat):
        _write(database, rng, [end + timedelta(seconds=30 + n)], communes)
        statements.clear()
        started = time.perf_counter()
        rollups.run_rollups(database, settings, now)
        cycles.append(time.perf_counter() - started)
        counted.append(len(statements))
        started = time.perf_counter()
        with database.session() as session:
            rollups.recompute_day(session, day=day, tz=tz)
        recomputes.append(time.perf_counter() - started)
        started = time.perf_counter()
        with database.session() as session:
            old_recompute_day(session, day=day, tz=tz)
        olds.append(time.perf_counter() - started)
    database.dispose()
    return first, *(statistics.median(v) for v in (cycles, counted, recomputes, olds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--hours", type=float, default=24, help="the day's messages span")
    parser.add_argument("--postgres", default=None, help="server URL; a scratch DB is created")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else [])
    print(
        f"rollup cycle after one new message; median of {args.repeat}; the day's messages "
        f"over {args.hours:g} h; job from {rollups.__file__}"
    )
    print(
        f"  {'backend':10} {'messages':>9} {'first cycle':>12} {'cycle':>9} {'statements':>10} "
        f"{'recompute day':>14} {'old job':>14}"
    )
    for backend, server in backends:
        for size in sizes:
            with scratch(server) as url:
                first, cycle, count, recompute, old = bench_size(url, size, args.repeat, args.hours)
            print(
                f"  {backend:10} {size:>9,} {first * 1000:10.0f} ms {cycle * 1000:7.1f} ms "
                f"{count:10.0f} {recompute * 1000:11.1f} ms {old * 1000:11.1f} ms",
                flush=True,
            )


if __name__ == "__main__":
    main()
