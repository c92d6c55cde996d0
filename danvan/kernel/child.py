"""Heavy, short renderings in a fresh Python process (issue 16: a web process stays small).

A module run as `python -m MODULE` reads a JSON payload on stdin and writes bytes on stdout;
the web process waits for them and keeps nothing of what the child imported (fpdf, fontTools,
PIL and segno for a certificate; every pydantic schema of the API for the OpenAPI document).
One child at a time per process: a burst of requests queues rather than forks a crowd.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import Any

TIMEOUT_SECONDS = 120
_ONE_AT_A_TIME = threading.Lock()


class ChildFailed(RuntimeError):
    """The child process exited with an error (its stderr's end is in the message)."""


def render(module: str, payload: Any) -> bytes:
    """Run `python -m module` with `payload` (JSON) on stdin; its stdout."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    with _ONE_AT_A_TIME:
        done = subprocess.run(  # noqa: S603 (our own module, our own interpreter)
            [sys.executable, "-m", module],
            input=data,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace")[-2000:]
        raise ChildFailed(f"{module} exited with {done.returncode}: {tail}")
    return done.stdout


def read_payload() -> Any:
    """In the child: the payload the parent sent."""
    return json.loads(sys.stdin.buffer.read().decode("utf-8"))


def write_result(data: bytes) -> None:
    """In the child: the bytes the parent waits for."""
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
