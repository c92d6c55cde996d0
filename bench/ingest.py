"""Ingest benchmark: signed Zalo OA webhooks against the real app vs a bare ASGI endpoint.

Both servers run the same way (uvicorn, one process, on this machine) and get the same load
from the same client in the same run:
  1. closed loop: CONCURRENCY connections post as fast as the server answers -> messages/s;
  2. open loop: a fixed RATE of posts per second for DURATION seconds -> p50/p99 latency.
Every webhook carries a fresh msg_id and a real X-ZEvent-Signature, and the app commits it
before its 200; at the end the stored messages are counted to prove it.

    ./dev bench ingest                      # SQLite
    ./dev bench ingest --postgres URL       # also PostgreSQL (a scratch database is created)
Options: --requests N (closed loop, default 4000) --rate R (default 500) --duration S (default 10)
--runs N (default 5: each run measures every server again, so a busy machine shows as spread
across runs rather than as a bias between servers) --web-processes N (PostgreSQL: `danvan serve
--workers N`, default 2; SQLite always 1) --skip-sqlite; --compare-tree DIR (also serve
another checkout, e.g. /work/main, in each run: before and after in the same run). Each server's CPU
per message (/proc, all its processes) is printed too: a busy machine distorts it far less than
throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
from sqlalchemy import create_engine, func, select, text

from danvan.channels.zalo_oa.signature import sign
from danvan.inbox.models import Message
from danvan.testing.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "1234567890123456789"
OA_SECRET = "bench-oa-secret"  # noqa: S105 (a throwaway benchmark key)
CONCURRENCY = 32


def payload(n: int, run: str) -> tuple[bytes, dict[str, str]]:
    timestamp = str(int(time.time() * 1000))
    body = json.dumps(
        {
            "app_id": APP_ID,
            "user_id_by_app": f"55{n % 500:06d}",
            "event_name": "user_send_text",
            "timestamp": timestamp,
            "sender": {"id": f"84{n % 500:08d}"},  # 500 citizens
            "recipient": {"id": "579745863508352884"},
            "message": {
                "text": f"Đường thôn Nà Mụ sạt lở, đề nghị xã kiểm tra ({n})",
                "msg_id": f"{run}-{n}",
            },
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    headers = {
        "content-type": "application/json",
        "x-zevent-signature": sign(APP_ID, body, timestamp, OA_SECRET),
    }
    return body, headers


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: float  # server CPU (all its processes) per message in the closed loop


async def closed_loop(url: str, total: int, run: str) -> tuple[float, int]:
    errors = 0
    counter = iter(range(total))
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def one_connection() -> None:
            nonlocal errors
            for n in counter:
                body, headers = payload(n, run)
                async with client.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(one_connection() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return total / elapsed, errors


async def open_loop(url: str, rate: int, duration: float, run: str) -> tuple[list[float], int]:
    """Posts sent on a fixed schedule, whatever the answers: latency as a sender sees it."""
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=512)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:

        async def one(n: int) -> None:
            nonlocal errors
            body, headers = payload(n, run)
            started = time.perf_counter()
            try:
                async with client.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
            except (aiohttp.ClientError, TimeoutError):
                errors += 1
            latencies.append((time.perf_counter() - started) * 1000)

        tasks = []
        start = time.perf_counter()
        total = int(rate * duration)
        for n in range(total):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return latencies, errors


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if values else 0.0


def start_server(
    args: list[str], env: dict[str, str], port: int, *, cwd: Path = ROOT
) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(args, env=env, cwd=cwd)
    deadline = time.monotonic() + 120  # several web processes start slowly on a busy machine
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server on port {port} did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (uvicorn's workers), from /proc: a
    figure a busy machine does not distort the way it distorts throughput."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return total


def measure(url: str, args: argparse.Namespace, label: str, pid: int) -> Result:
    run = uuid.uuid4().hex[:8]
    asyncio.run(closed_loop(url, 200, run + "w"))  # warm-up
    cpu_before = cpu_seconds(pid)
    rps, errors = asyncio.run(closed_loop(url, args.requests, run + "c"))
    cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / args.requests
    latencies, open_errors = asyncio.run(open_loop(url, args.rate, args.duration, run + "o"))
    result = Result(
        rps=rps,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        errors=errors + open_errors,
        cpu_ms=cpu_ms,
    )
    print(
        f"  {label:28} {result.rps:8.0f} msg/s   p50 {result.p50_ms:6.1f} ms   "
        f"p99 {result.p99_ms:6.1f} ms at {args.rate}/s   server CPU {result.cpu_ms:.2f} ms/msg   "
        f"errors {result.errors}",
        flush=True,
    )
    return result


def bench_backend(
    name: str,
    database_url: str,
    args: argparse.Namespace,
    *,
    processes: int = 1,
    tree: Path = ROOT,
) -> Result:
    env = {
        **os.environ,
        # The tree first; whatever the caller's PYTHONPATH adds (the bare endpoint inherits it too).
        "PYTHONPATH": os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")])),
        "DANVAN_DATABASE_URL": database_url,
        "DANVAN_SECRET_KEY": "bench-secret-key-0123456789",
        "DANVAN_BASE_URL": "https://danvan.example.vn",  # serve/worker need one
        "DANVAN_ZALO_OA_APP_ID": APP_ID,
        "DANVAN_ZALO_OA_SECRET_KEY": OA_SECRET,
    }
    subprocess.run(
        [sys.executable, "-m", "danvan", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
        cwd=tree,
    )
    port = free_port()
    serve = [sys.executable, "-m", "danvan", "serve", "--port", str(port)]
    proc = start_server(
        [*serve, "--log-level", "warning", "--workers", str(processes)], env, port, cwd=tree
    )
    label = f"danvan ({name}, {processes} web process{'es' if processes > 1 else ''})"
    if tree != ROOT:
        label += f" {tree}"
    try:
        result = measure(f"http://127.0.0.1:{port}/webhooks/zalo-oa", args, label, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        stored = conn.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "in")
        )
    engine.dispose()
    sent = 200 + args.requests + int(args.rate * args.duration)
    print(f"  {'':28} stored {stored} of {sent} posted (each committed before its 200)")
    return result


def bare_endpoint(args: argparse.Namespace) -> Result:
    port = free_port()
    bare = start_server(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        dict(os.environ),
        port,
    )
    try:
        return measure(f"http://127.0.0.1:{port}/", args, "bare ASGI endpoint", bare.pid)
    finally:
        bare.terminate()
        bare.wait(timeout=10)


def postgres_backend(args: argparse.Namespace, tree: Path = ROOT) -> Result:
    name = f"danvan_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        args.postgres.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
    try:
        return bench_backend("PostgreSQL", url, args, processes=args.web_processes, tree=tree)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _http_parser() -> str:
    """What uvicorn's `--http auto` picks for both servers: httptools when installed, else h11."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        return "h11"
    return "httptools"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--web-processes", type=int, default=2)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--compare-tree", type=Path, help="also serve another checkout (e.g. main) in each run"
    )
    parser.add_argument("--postgres", help="PostgreSQL server URL (a scratch database is made)")
    args = parser.parse_args()

    print(
        f"ingest benchmark: {CONCURRENCY} connections, {args.requests} posts closed loop; "
        f"{args.rate}/s for {args.duration:.0f} s open loop; {args.runs} runs; "
        f"python {sys.version.split()[0]}; load average {os.getloadavg()[0]:.1f}; "
        f"HTTP parser {_http_parser()}"
    )
    rows: list[tuple[int, str, Result, float]] = []
    for run in range(1, args.runs + 1):
        print(f"run {run}", flush=True)
        baseline = bare_endpoint(args)
        rows.append((run, "bare", baseline, 1.0))
        trees = [ROOT, *([args.compare_tree.resolve()] if args.compare_tree else [])]
        for tree in trees:
            suffix = "" if tree == ROOT else f" ({tree.name})"
            if not args.skip_sqlite:
                with tempfile.TemporaryDirectory() as tmp:
                    result = bench_backend("SQLite", f"sqlite:///{tmp}/bench.db", args, tree=tree)
                rows.append((run, "sqlite" + suffix, result, result.rps / baseline.rps))
            if args.postgres:
                result = postgres_backend(args, tree)
                name = f"postgresql x{args.web_processes}{suffix}"
                rows.append((run, name, result, result.rps / baseline.rps))

    print()
    print(
        f"  {'run':>3}  {'server':22} {'msg/s':>7} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'CPU ms/msg':>10}"
    )
    for run, name, result, ratio in rows:
        print(
            f"  {run:>3}  {name:22} {result.rps:7.0f} {ratio:6.2f} "
            f"{result.p50_ms:8.1f} {result.p99_ms:8.1f} {result.cpu_ms:10.2f}"
        )
    print()
    for name in dict.fromkeys(n for _r, n, _res, _q in rows if n != "bare"):
        mine = [(res, q) for _r, n, res, q in rows if n == name]
        ratio = statistics.median(q for _res, q in mine)
        p99 = statistics.median(res.p99_ms for res, _q in mine)
        worst = max(res.p99_ms for res, _q in mine)
        bare_cpu = statistics.median(res.cpu_ms for _r, n, res, _q in rows if n == "bare")
        cpu = statistics.median(res.cpu_ms for res, _q in mine)
        sqlite = name.startswith("sqlite")
        verdict = "meets" if (not sqlite or ratio >= 0.5) and p99 < 100 else "misses"
        print(
            f"  {name:22} median ratio to bare {ratio:.2f}"
            f"{' (target >= 0.5)' if sqlite else ''}; median p99 {p99:.1f} ms, "
            f"worst {worst:.1f} ms at {args.rate}/s (target < 100) -> {verdict} target; "
            f"server CPU {cpu:.2f} ms/msg (bare {bare_cpu:.2f}: ratio {bare_cpu / cpu:.2f})"
        )


if __name__ == "__main__":
    main()
