"""Dashboard benchmark: the dashboard's queries over the rollups of N messages, p50/p95.

The rollups of N messages are generated directly (a year of days × every commune of the
province + triage, each day's messages drawn and spread over topics, sentiments, kinds,
channels with realistic skews), exactly as the rollup job would have written them; the job
itself is measured on real `message_analyses` rows with --job-messages. Then each dashboard
view (what /dashboard computes: totals, the previous period, week over week, the daily trend,
the table by commune, issues and alerts) is timed REPEAT times.

    .venv/bin/python -m bench.dashboard --messages 100000                  # SQLite, quick
    .venv/bin/python -m bench.dashboard --messages 10000000 --postgres URL # a scratch DB is made
Options: --days 365 --repeat 30 --job-messages 20000 --keep (keep the SQLite file)
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from danvan.accounts.actors import Actor
from danvan.accounts.models import Role, User
from danvan.inbox.models import Contact, Conversation, Message
from danvan.kernel import geo, taxonomy
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.migrations import upgrade
from danvan.opinion import dashboard
from danvan.opinion.models import ALL_COMMUNES, NO_COMMUNE, MessageAnalysis, OpinionRollup
from danvan.opinion.rollups import run_rollups
from danvan.opinion.scope import view_for

PROVINCE = 8
TOPIC_WEIGHTS = [8, 6, 14, 12, 7, 5, 9, 5, 10, 6, 8, 3, 7]
SENTIMENT_WEIGHTS = [45, 45, 10]
KIND_WEIGHTS = [35, 30, 12, 5, 10, 8]
CHANNEL_WEIGHTS = [60, 25, 15]
CHANNELS = ("zalo_oa", "zalo_bot", "web")


@contextmanager
def scratch(url: str | None, keep: bool) -> Iterator[str]:
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="danvan-bench-"))
        path = folder / "dashboard.db"
        yield f"sqlite:///{path}"
        if not keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            print(f"kept {path}")
        return
    name = f"danvan_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    scratch_url = make_url(url).set(database=name).render_as_string(hide_password=False)
    try:
        yield scratch_url
    finally:
        if keep:
            print(f"kept {scratch_url} (measure again with --reuse URL)")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def reused(url: str) -> Iterator[str]:
    yield url


def _spread(rng: random.Random, n: int, weights: list[int]) -> list[int]:
    """n items over len(weights) buckets (a multinomial draw, approximated for speed)."""
    total = sum(weights)
    counts = [int(n * w / total + rng.random()) for w in weights]
    return counts


def generate_rollups(database: Database, *, messages: int, days: int, today: date) -> int:
    """Write the rollups of `messages` messages over `days` days; rollup rows written."""
    rng = random.Random(1)
    communes = [c.code for c in geo.province(PROVINCE).communes] + [NO_COMMUNE]
    busy = {code: rng.uniform(0.3, 3.0) for code in communes}
    weight_sum = sum(busy.values())
    per_day = messages / days
    topics = [t.code for t in taxonomy.DEFAULT_TOPICS]
    written = 0
    for offset in range(days):
        day = today - timedelta(days=offset)
        rows: Counter[tuple[int, str, str]] = Counter()
        for code in communes:
            n = max(0, int(rng.gauss(1, 0.25) * per_day * busy[code] / weight_sum))
            if n == 0:
                continue
            marg = {
                "topic": zip(topics, _spread(rng, n, TOPIC_WEIGHTS), strict=True),
                "sentiment": zip(
                    taxonomy.SENTIMENTS, _spread(rng, n, SENTIMENT_WEIGHTS), strict=True
                ),
                "kind": zip(taxonomy.KINDS, _spread(rng, n, KIND_WEIGHTS), strict=True),
                "channel": zip(CHANNELS, _spread(rng, n, CHANNEL_WEIGHTS), strict=True),
            }
            for target in (code, ALL_COMMUNES):
                rows[(target, "total", "")] += n
                rows[(target, "urgent", "1")] += n // 50
            topic_counts = []
            for dim, pairs in marg.items():
                for value, count in pairs:
                    if count:
                        for target in (code, ALL_COMMUNES):
                            rows[(target, dim, value)] += count
                        if dim == "topic":
                            topic_counts.append((value, count))
            for value, count in topic_counts:
                for sentiment, part in zip(
                    taxonomy.SENTIMENTS, _spread(rng, count, SENTIMENT_WEIGHTS), strict=True
                ):
                    if part:
                        for target in (code, ALL_COMMUNES):
                            rows[(target, "topic_sentiment", f"{value}:{sentiment}")] += part
        with database.session() as session:
            session.execute(
                insert(OpinionRollup),
                [
                    {"day": day, "commune_code": c, "dim": d, "value": v, "count": n}
                    for (c, d, v), n in rows.items()
                ],
            )
        written += len(rows)
    return written


def bench_job(database: Database, settings: Settings, n: int) -> float:
    """Analyses per second of the rollup job over n fresh analyses (incl. recomputing days)."""
    rng = random.Random(2)
    now = datetime.now(UTC)
    communes = [c.code for c in geo.province(PROVINCE).communes][:40]
    with database.session() as session:
        contact = Contact(channel="zalo_oa", external_id="bench", display_name="bench")
        session.add(contact)
        session.flush()
        conversation = Conversation(contact_id=contact.id, channel="zalo_oa")
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
    stamp = now - timedelta(days=400)
    for start in range(0, n, 5000):
        size = min(5000, n - start)
        with database.session() as session:
            ids = session.execute(
                insert(Message).returning(Message.id),
                [
                    {
                        "conversation_id": conversation_id,
                        "channel": "zalo_oa",
                        "direction": "in",
                        "text": "",
                        "created_at": now,
                    }
                    for _ in range(size)
                ],
            ).scalars()
            session.execute(
                insert(MessageAnalysis),
                [
                    {
                        "message_id": i,
                        "commune_code": rng.choice(communes),
                        "channel": "zalo_oa",
                        "received_at": stamp + timedelta(minutes=rng.randint(0, 60 * 24 * 30)),
                        "topic": rng.choice(taxonomy.DEFAULT_TOPICS).code,
                        "sentiment": rng.choice(taxonomy.SENTIMENTS),
                        "kind": rng.choice(taxonomy.KINDS),
                        "urgent": False,
                        "abusive": False,
                        "confidence": 0.5,
                        "model_version": "bench",
                        "analysed_at": now,
                    }
                    for i in list(ids)
                ],
            )
    start_t = time.perf_counter()
    done = 0
    while step := run_rollups(database, settings, now):
        done += step
    return done / (time.perf_counter() - start_t)


def timed(label: str, repeat: int, call: Callable[[], object]) -> tuple[str, float, float]:
    call()  # warm the caches once
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return label, statistics.median(times), p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--job-messages", type=int, default=20_000)
    parser.add_argument("--postgres", default=None, help="server URL; a scratch DB is created")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", default=None, help="measure a kept database again")
    args = parser.parse_args()
    backend = (
        "postgresql" if (args.reuse or args.postgres or "").startswith("postgres") else "sqlite"
    )
    with reused(args.reuse) if args.reuse else scratch(args.postgres, args.keep) as url:
        upgrade(url)
        settings = Settings(database_url=url, province=PROVINCE, _env_file=None)  # type: ignore[call-arg]
        database = Database(url)
        today = datetime.now(UTC).date()
        if not args.reuse:
            start = time.perf_counter()
            rows = generate_rollups(database, messages=args.messages, days=args.days, today=today)
            print(
                f"[{backend}] rollups of {args.messages:,} messages over {args.days} days: "
                f"{rows:,} rows ({time.perf_counter() - start:.0f} s to write)"
            )
        # What autovacuum does after a bulk load: statistics, and the visibility map that lets
        # PostgreSQL answer from the covering indexes alone.
        maintenance = create_engine(
            database.engine.url.render_as_string(hide_password=False),
            isolation_level="AUTOCOMMIT",
        )
        with maintenance.connect() as conn:
            conn.execute(text("VACUUM ANALYZE" if backend == "postgresql" else "ANALYZE"))
        maintenance.dispose()
        admin = Actor(User(email="a@b", role=Role.ADMIN), via="cli")
        officer = Actor(User(email="o@b", role=Role.OFFICER), via="cli")
        officer.user.communes = []
        from danvan.accounts.models import UserCommune

        officer.user.communes = [UserCommune(commune_code=2302), UserCommune(commune_code=2305)]
        views = {
            "admin, province": view_for(admin, province_code=PROVINCE),
            "admin, one commune": view_for(admin, province_code=PROVINCE, commune_code=2302),
            "officer, 2 communes": view_for(officer, province_code=PROVINCE),
            "officer, province (suppressed)": view_for(officer, province_code=PROVINCE, wide=True),
        }
        results = []
        now = datetime.now(UTC)
        for name, view in views.items():
            for days in (7, 28, 90):

                def page(view=view, days=days) -> None:  # type: ignore[no-untyped-def]
                    with database.session() as session:
                        dashboard.overview(session, view=view, today=today, days=days)
                        dashboard.issues(session, view=view)
                        dashboard.alerts(session, view=view, now=now)

                results.append(timed(f"{name}, {days} days", args.repeat, page))
        print(f"{'view':44} {'p50 ms':>8} {'p95 ms':>8}")
        for label, p50, p95 in results:
            print(f"{label:44} {p50:8.1f} {p95:8.1f}")
        worst = max(p95 for _l, _m, p95 in results)
        print(f"[{backend}] worst p95: {worst:.1f} ms (target < 300 ms)")
        if args.job_messages:
            rate = bench_job(database, settings, args.job_messages)
            print(f"[{backend}] rollup job: {rate:,.0f} analyses/s over {args.job_messages:,}")
        database.dispose()


if __name__ == "__main__":
    main()
