"""Fresh demo to labelled dashboard: how long `danvan demo` takes, from start until the
dashboard's figures hold the demo's messages labelled by the real model (issue 12, item 7).

Starts `python -m danvan demo --reset` on free ports with an empty SQLite file and, unless
--models DIR is given, an empty models directory (so the default set's training counts, as on a
fresh machine), then polls the database every second and prints when: the server answers, the
labelling progress says "training" / "labelling", every demo message is labelled, and the
rollups (what /dashboard reads) count them all. Prints one JSON line at the end.

    .venv/bin/python bench/demo_labels.py                  # fresh machine: training included
    .venv/bin/python bench/demo_labels.py --models var/models   # models already trained
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (a local URL)
            return True
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="an existing models directory (default: a fresh one)")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="danvan-demo-bench-"))
    db_file = work / "danvan.db"
    port, standin = _free_port(), _free_port()
    env = {
        **os.environ,
        "DANVAN_DATABASE_URL": f"sqlite:///{db_file}",
        "DANVAN_MEDIA_DIR": str(work / "media"),
        "DANVAN_ANALYSIS_MODELS_DIR": str(
            Path(args.models).resolve() if args.models else work / "models"
        ),
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "danvan", "demo", "--reset", "--port", str(port),
         "--standin-port", str(standin)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        if name not in marks:
            marks[name] = round(time.perf_counter() - started, 1)
            print(f"{marks[name]:7.1f} s  {name}", flush=True)

    engine = None
    try:
        while time.perf_counter() - started < args.timeout:
            time.sleep(1)
            if "server up" not in marks and _up(f"http://127.0.0.1:{port}/"):
                mark("server up")
            if not db_file.exists():
                continue
            engine = engine or create_engine(f"sqlite:///{db_file}")
            try:
                with engine.connect() as conn:
                    messages = conn.execute(
                        text("SELECT count(*) FROM messages WHERE direction = 'in' AND text != ''")
                    ).scalar_one()
                    labelled = conn.execute(
                        text("SELECT count(*) FROM message_analyses")
                    ).scalar_one()
                    rolled = conn.execute(
                        text("SELECT coalesce(sum(count), 0) FROM opinion_rollups "
                             "WHERE dim = 'total' AND commune_code = -1")
                    ).scalar_one()  # fmt: skip
                    state = conn.execute(
                        text("SELECT state FROM analysis_progress WHERE name = 'labels'")
                    ).scalar()
            except OperationalError:  # the schema is being created
                continue
            if state:
                mark(f"progress: {state}")
            if messages and labelled >= messages:
                mark(f"all {messages} messages labelled")
            if messages and rolled >= messages and "server up" in marks:
                mark("dashboard shows the labelled counts")
                break
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    print(json.dumps({"fresh_models": not args.models, "seconds": marks}, ensure_ascii=False))


if __name__ == "__main__":
    main()
