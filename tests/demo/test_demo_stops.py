"""`danvan demo` takes its worker with it when it stops: on SIGTERM (`kill`), and (Linux) even
when it is killed outright. Real processes, a free port, a temporary folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from danvan.testing.servers import free_port

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

SERVE = """
import sys
from danvan.demo import serve_with_children
from danvan.devtools.zalo_standin import create_standin_app

serve_with_children(
    host="127.0.0.1",
    port=int(sys.argv[1]),
    standin_app=create_standin_app(),
    standin_port=int(sys.argv[2]),
)
"""


def _state(pid: int) -> str | None:
    """The process's state letter, None once it is gone (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    state = stat.rsplit(")", 1)[1].split()[0]
    return None if state in ("Z", "X") else state


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _state(pid) is None:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """The demo's serving part (web app, stand-in, worker) over a migrated empty database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANVAN_")}
    env |= {
        "DANVAN_DATABASE_URL": f"sqlite:///{tmp_path}/demo.db",
        "DANVAN_DEMO": "1",
        "DANVAN_ANALYSIS_ENABLED": "0",
        "DANVAN_CLOCK_START": os.environ["DANVAN_CLOCK_START"],
    }
    subprocess.run(
        [sys.executable, "-m", "danvan", "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port), str(free_port())],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the demo stopped on its own"
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the demo did not start"
                time.sleep(0.2)
        yield process, port
    finally:
        for child in _children(process.pid):
            os.kill(child, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_sigterm_stops_the_demo_and_its_worker(
    demo: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, _port = demo
    workers = _children(process.pid)
    assert len(workers) == 1
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=15)
    assert _gone_within(workers[0], 5), "the worker outlived the demo"


def test_a_demo_killed_outright_still_takes_its_worker_along(
    demo: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, _port = demo
    workers = _children(process.pid)
    assert len(workers) == 1
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert _gone_within(workers[0], 5), "the worker outlived the demo"
