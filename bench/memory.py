"""Memory benchmark: the RSS of a `danvan serve` process before and after every page was opened,
and of a `danvan worker`, beside two baselines, all in one run on one seeded database.

    ./dev bench memory --database sqlite:////tmp/demo.db    # seeded: danvan demo --seed-only
    ./dev bench memory --database … --compare-tree /work/main   # + another checkout

For each tree (this checkout, then --compare-tree):
  1. `danvan serve` starts on the database (one uvicorn process); RSS once /healthz answers
     ("started");
  2. every pinned GET URL (tests/fixtures/urls.txt, representative ids: danvan.testing.pages)
     is opened over HTTP as the admin (pages by cookie, /api/v1 by a token) and as the public,
     twice over; RSS ("after every page") and peak (VmHWM);
  0. first, (this tree) a `danvan worker` runs for --worker-seconds, masking and summarising
     what waits (the backfill of revision 0012 on an older database); its RSS and peak.
Baselines, each its own process: "bare app" builds the app (create_app) and serves nothing;
"NLP stack" builds it and masks one message with danvan.nlp.pii (underthesea, pyvi loaded), as
a web process did before issue 16. RSS is VmRSS from /proc, in MB.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from danvan.accounts.demo import PASSWORD, STAFF
from danvan.accounts.models import User
from danvan.accounts.staff import do_create_token
from danvan.kernel.db import Database
from danvan.testing.pages import get_urls, representative_ids
from danvan.testing.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

BASELINE = """
import resource, sys
from danvan.kernel.settings import get_settings
from danvan.web.app import create_app
app = create_app(get_settings())
if sys.argv[1] == "nlp":
    from danvan.nlp.pii import mask_pii
    mask_pii("Chào anh Nguyễn Văn An, số 0987654321, đường Lê Lợi bị ngập")
print(open("/proc/self/status").read())
"""


def status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def env_for(tree: Path, database_url: str, work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(tree),
        "DANVAN_DATABASE_URL": database_url,
        "DANVAN_SECRET_KEY": "memory-bench-secret-key-0123456789",
        "DANVAN_PROVINCE": "8",
        "DANVAN_MEDIA_DIR": str(work / "media"),
        "DANVAN_ANALYSIS_MODELS_DIR": os.environ.get(
            "DANVAN_ANALYSIS_MODELS_DIR", str(work / "models")
        ),
        "DANVAN_NLP_ENCODER": "off",
        "DANVAN_BASE_URL": "http://127.0.0.1",
    }


def baseline(kind: str, env: dict[str, str], cwd: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", BASELINE, kind],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"VmRSS:\s+(\d+)", out)
    return int(found.group(1)) / 1024 if found else 0.0


def wait_up(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited ({process.returncode})")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not start")


def open_everything(base: str, urls: list[str], token: str) -> tuple[int, int]:
    """Every URL as the admin and as the public; (opened, answered 5xx)."""
    opened = errors = 0
    with (
        httpx.Client(base_url=base, timeout=120) as staff,
        httpx.Client(base_url=base, timeout=120) as anyone,
    ):
        page = staff.get("/login")
        csrf = CSRF.search(page.text)
        staff.post(
            "/login",
            data={
                "email": STAFF[0][0],
                "password": PASSWORD,
                "next": "",
                "csrf_token": csrf.group(1) if csrf else "",
            },
        )
        bearer = {"Authorization": f"Bearer {token}"}
        for url in urls:
            for client, headers in (
                (staff, bearer if url.startswith("/api/v1/") else {}),
                (anyone, {}),
            ):
                status = client.get(url, headers=headers).status_code
                opened += 1
                if status >= 500:
                    errors += 1
                    if errors <= 3:
                        print(f"  {status} {url}", file=sys.stderr)
    return opened, errors


def serve_and_walk(
    tree: Path, env: dict[str, str], cwd: Path, urls: list[str], token: str
) -> dict[str, float]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "danvan", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_up(base, process)
        started = status_mb(process.pid, "VmRSS")
        opened = errors = 0
        for _ in range(2):
            o, e = open_everything(base, urls, token)
            opened, errors = opened + o, errors + e
        return {
            "started": started,
            "after": status_mb(process.pid, "VmRSS"),
            "peak": status_mb(process.pid, "VmHWM"),
            "opened": opened,
            "errors": errors,
        }
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_worker(env: dict[str, str], cwd: Path, seconds: float) -> dict[str, float]:
    process = subprocess.Popen(
        [sys.executable, "-m", "danvan", "worker", "--name", "memory-bench"],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(seconds)
        return {"after": status_mb(process.pid, "VmRSS"), "peak": status_mb(process.pid, "VmHWM")}
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", required=True, help="a seeded database (danvan demo --seed-only)"
    )
    parser.add_argument("--compare-tree", type=Path, default=None)
    parser.add_argument("--worker-seconds", type=float, default=60)
    args = parser.parse_args()

    database = Database(args.database)
    with database.session() as session:
        urls = get_urls(representative_ids(session))
        admin = session.scalars(select(User).where(User.email == STAFF[0][0])).one()
        token = do_create_token(session, user=admin, name="memory bench")
    database.dispose()

    trees = [("this tree", ROOT), *([("compare", args.compare_tree)] if args.compare_tree else [])]
    with tempfile.TemporaryDirectory(prefix="danvan-memory-") as tmp:
        work = Path(tmp)
        rows: list[tuple[str, str]] = []
        env = env_for(ROOT, args.database, work)
        rows.append(("bare app (create_app, no request)", f"{baseline('bare', env, work):.0f}"))
        rows.append(("app + NLP stack (one message masked)", f"{baseline('nlp', env, work):.0f}"))
        # First: what waits for the worker (masks, summaries) is done before pages are opened.
        worker = run_worker(env, work, args.worker_seconds)
        rows.append(
            (
                f"danvan worker, this tree, after {args.worker_seconds:.0f} s",
                f"{worker['after']:.0f} (peak {worker['peak']:.0f})",
            )
        )
        runs = [(label, tree, {}) for label, tree in trees]
        for label, tree, extra in runs:
            figures = serve_and_walk(
                tree, env_for(tree, args.database, work) | extra, work, urls, token
            )
            rows.append(
                (
                    f"danvan serve, {label} ({tree})",
                    f"started {figures['started']:.0f} → after every page {figures['after']:.0f} "
                    f"(peak {figures['peak']:.0f}); {figures['opened']:.0f} GETs, "
                    f"{figures['errors']:.0f} answered 5xx",
                )
            )
    width = max(len(r[0]) for r in rows)
    print(f"{len(urls)} URLs, each opened as the admin and as the public, twice; RSS in MB")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
