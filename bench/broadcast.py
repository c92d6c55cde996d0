"""Broadcast benchmark: one broadcast to N Zalo followers through the outbox to the local stand-in.

For each database (SQLite; PostgreSQL with --postgres) and each number of worker processes
(--workers, default "1,4"; SQLite allows one worker by design, so 4 is skipped there):
  1. a fresh database gets N followers (bulk insert, two communes, all within Zalo's 48 h);
  2. an admin creates the broadcast through the core (`do_create_broadcast`), as the API does;
  3. K `danvan worker` processes (polling mode, the production command) start the broadcast,
     queue its recipients and deliver them to a stand-in in its own process (`danvan standin`);
  4. when every outbox row is `sent`, the workers are stopped (SIGTERM) and the figures read:
     messages/s between the first and the last send (database timestamps) and from creation;
     peak RSS of each worker (VmHWM); duplicates = messages the stand-in received beyond one
     per follower (and followers who received none).
The broadcast rate limit is set far above what the machine does (--rate, default 1,000,000/s),
so the figures are the pipeline's capacity; in production `outreach_rate_per_second` caps it.

    ./dev bench broadcast --followers 2000                  # SQLite, quick
    ./dev bench broadcast --postgres postgresql://postgres:postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from danvan.accounts.actors import Actor
from danvan.accounts.staff import do_create_user
from danvan.channels.tokens import store_tokens
from danvan.inbox.models import Contact, OutboxItem, OutboxStatus
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.migrations import upgrade
from danvan.outreach import broadcasts
from danvan.outreach.models import Broadcast
from danvan.testing.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
COMMUNES = (2302, 2269)


def start_standin(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "danvan", "standin", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/_standin/messages", timeout=1).raise_for_status()
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the stand-in did not start")


def fill(url: str, followers: int) -> tuple[Database, int]:
    """Followers, an admin, OA tokens, and the broadcast; returns its id."""
    upgrade(url)
    database = Database(url)
    now = utcnow()
    with database.session() as session:
        rows = []
        for n in range(followers):
            rows.append(
                {
                    "channel": "zalo_oa",
                    "external_id": f"bench-{n:07d}",
                    "display_name": f"Người quan tâm {n}",
                    "commune_code": COMMUNES[n % 2],
                    "is_follower": True,
                    "first_interaction_at": now - timedelta(hours=2),
                    "last_interaction_at": now - timedelta(hours=1),
                    "created_at": now,
                }
            )
            if len(rows) == 5000:
                session.execute(insert(Contact), rows)
                rows = []
        if rows:
            session.execute(insert(Contact), rows)
        admin = do_create_user(
            session,
            actor=None,
            email=f"bench-{uuid.uuid4().hex[:6]}@example.vn",
            password="bench-password-0123",  # noqa: S106 (throwaway)
            role="admin",
            communes=[],
            full_name="Bench",
        )
        store_tokens(
            session,
            platform="zalo_oa",
            access_token="bench-access",  # noqa: S106 (throwaway)
            refresh_token="bench-refresh",  # noqa: S106 (throwaway)
            expires_at=now + timedelta(hours=25),
        )
    return database, admin.id


def create_broadcast(database: Database, settings: Settings, admin_id: int) -> int:
    from danvan.accounts.models import User

    with database.session() as session:
        admin = session.get(User, admin_id)
        assert admin is not None
        actor = Actor(admin, via="cli")
        audience = broadcasts.check_audience(
            actor=actor,
            commune_codes=list(COMMUNES),
            tags=[],
            language=None,
            window="7d",
            province_code=8,
        )
        item, preview = broadcasts.do_create_broadcast(
            session,
            actor=actor,
            settings=settings,
            text="Thông báo thử tải: lịch tiêm chủng mở rộng thứ Bảy tại trạm y tế xã.",
            audience=audience,
            urgent=True,  # the benchmark may run at night
        )
        assert preview.reachable > 0
        return item.id


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def run_once(url: str, *, followers: int, workers: int, rate: int, timeout: float) -> None:
    port = free_port()
    standin = start_standin(port)
    env = {
        **os.environ,
        "DANVAN_DATABASE_URL": url,
        "DANVAN_SECRET_KEY": "bench-secret-key-0123456789",
        "DANVAN_BASE_URL": "https://danvan.example.vn",  # serve/worker need one
        "DANVAN_PROVINCE": "8",
        "DANVAN_ZALO_OA_API_BASE": f"http://127.0.0.1:{port}",
        "DANVAN_ZALO_OAUTH_BASE": f"http://127.0.0.1:{port}",
        "DANVAN_ZALO_OA_APP_ID": "1234567890",
        "DANVAN_ZALO_OA_SECRET_KEY": "bench-oa-secret",
        "DANVAN_OUTREACH_RATE_PER_SECOND": str(rate),
        "DANVAN_OUTREACH_QUEUE_AHEAD": "2000",
        "DANVAN_ANALYSIS_ENABLED": "false",
    }
    settings = Settings(
        database_url=url,
        secret_key="bench-secret-key-0123456789",  # noqa: S106 (throwaway)
        _env_file=None,  # type: ignore[call-arg]
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        filled_at = time.monotonic()
        database, admin_id = fill(url, followers)
        fill_seconds = time.monotonic() - filled_at
        created = utcnow()
        broadcast_id = create_broadcast(database, settings, admin_id)
        for k in range(workers):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "danvan", "worker", "--name", f"bench-{k}"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE if k == 0 else subprocess.DEVNULL,
                )
            )
        deadline = time.monotonic() + timeout
        sent = 0
        while time.monotonic() < deadline:
            time.sleep(2)
            with database.session() as session:
                sent = (
                    session.scalar(
                        select(func.count()).where(OutboxItem.status == OutboxStatus.SENT)
                    )
                    or 0
                )
                status = session.scalar(
                    select(Broadcast.status).where(Broadcast.id == broadcast_id)
                )
            if sent >= followers and status == "done":
                break
            if any(p.poll() is not None for p in procs):
                err = procs[0].stderr.read().decode()[-2000:] if procs[0].stderr else ""
                raise SystemExit(f"a worker exited early:\n{err}")
        peaks = [peak_rss_mb(p.pid) for p in procs]
        standin_peak = peak_rss_mb(standin.pid)
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=60)
        with database.session() as session:
            first, last = session.execute(
                select(func.min(OutboxItem.sent_at), func.max(OutboxItem.sent_at))
            ).one()
            not_sent = session.scalar(
                select(func.count()).where(OutboxItem.status != OutboxStatus.SENT)
            )
        received = httpx.get(f"http://127.0.0.1:{port}/_standin/messages", timeout=120).json()
        counts = Counter(m["recipient"] for m in received)
        duplicates = sum(c - 1 for c in counts.values() if c > 1)
        missing = followers - len(counts)
        span = (last - first).total_seconds() if first and last else float("nan")
        total = (last - created).total_seconds() if last else float("nan")
        backend = make_url(url).get_backend_name()
        print(
            f"{backend:10s} workers={workers} followers={followers:,} sent={sent:,} "
            f"not_sent={not_sent} | {followers / span:,.0f} msg/s first→last send "
            f"({span:,.1f} s), {followers / total:,.0f} msg/s from creation ({total:,.1f} s) | "
            f"peak RSS per worker {max(peaks):,.0f} MB (stand-in {standin_peak:,.0f} MB) | "
            f"received {len(received):,}, duplicates {duplicates}, missing {missing} | "
            f"fill {fill_seconds:,.1f} s",
            flush=True,
        )
        database.dispose()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        standin.terminate()
        standin.wait(timeout=30)


def scratch_postgres(base: str) -> tuple[str, str]:
    name = f"danvan_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False), name


def drop_postgres(base: str, name: str) -> None:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--workers", default="1,4", help="comma-separated worker counts")
    parser.add_argument("--postgres", help="also PostgreSQL (a scratch database per run)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--rate", type=int, default=1_000_000, help="broadcast messages/s cap")
    parser.add_argument("--timeout", type=float, default=3 * 3600)
    args = parser.parse_args()
    counts = [int(k) for k in args.workers.split(",")]
    if not args.no_sqlite:
        for workers in counts:
            if workers > 1:
                print(f"sqlite     workers={workers}: skipped (SQLite allows one worker)")
                continue
            with tempfile.TemporaryDirectory() as tmp:
                run_once(
                    f"sqlite:///{tmp}/bench.db",
                    followers=args.followers,
                    workers=workers,
                    rate=args.rate,
                    timeout=args.timeout,
                )
    if args.postgres:
        base = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
        for workers in counts:
            url, name = scratch_postgres(base)
            try:
                run_once(
                    url.replace("postgresql+psycopg://", "postgresql://", 1),
                    followers=args.followers,
                    workers=workers,
                    rate=args.rate,
                    timeout=args.timeout,
                )
            finally:
                drop_postgres(base, name)


if __name__ == "__main__":
    main()
