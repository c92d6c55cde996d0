"""`danvan demo`: migrate, seed, and serve the demo with a Zalo stand-in and a worker."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from danvan.kernel.db import Database
    from danvan.kernel.settings import Settings

# The demo's Zalo settings: the stand-in plays Zalo, and these secrets sign its webhooks.
DEMO_ENV = {
    "DANVAN_DEMO": "1",
    "DANVAN_ASK_COMMUNE_AUTOMATICALLY": "1",
    "DANVAN_ZALO_OA_APP_ID": "1234567890123456789",
    "DANVAN_ZALO_OA_SECRET_KEY": "demo-oa-secret-key",
    "DANVAN_ZALO_APP_SECRET_KEY": "demo-app-secret-key",
    "DANVAN_ZALO_BOT_TOKEN": "1234567:demo-bot-token",
    "DANVAN_ZALO_BOT_SECRET": "demo-bot-secret-token",
    # The demo labels with the lexical engine: embedding the real corpus with the encoder
    # takes a minute or more of one core on top of training, and a fresh demo must show labels
    # within two minutes (the encoder's gains: bench/README.md, "Real messages").
    "DANVAN_NLP_ENCODER": "off",
}


def served_url(host: str, port: int) -> str:
    """The address the demo serves at: the links it sends citizens are built from it (unless
    DANVAN_BASE_URL says otherwise). A wildcard host is reached at this machine's loopback."""
    if host in ("", "0.0.0.0", "::", "[::]"):  # noqa: S104 (naming the wildcard, not binding)
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def run_jobs_to_completion(database: Database, settings: Settings) -> int:
    """Run every background job (analysis, rollups, emerging issues, …) until none has work
    left. The demo's messages are labelled by the real classifiers: the set in use is trained
    first if this machine has none yet (the jobs would otherwise leave the messages waiting).
    Returns the work done."""
    from danvan.kernel.jobs import JobRunner
    from danvan.kernel.models import utcnow
    from danvan.opinion.model_use import set_in_use

    if settings.analysis_enabled:
        set_in_use(database, settings, log=print)
    runner = JobRunner(database, settings, holder="demo-seed")
    total = 0
    while done := runner.run_due(utcnow(), force=True):
        total += done
    return total


def seed_only(*, reset: bool) -> None:
    """Migrate and fill the configured database, run the background jobs to completion, and
    stop (no server)."""
    from danvan.demo.seed import is_seeded, seed
    from danvan.kernel.db import get_database, set_database
    from danvan.kernel.settings import get_settings
    from danvan.migrations import upgrade

    os.environ.setdefault("DANVAN_DEMO", "1")
    os.environ.setdefault("DANVAN_NLP_ENCODER", DEMO_ENV["DANVAN_NLP_ENCODER"])
    get_settings.cache_clear()
    set_database(None)
    settings = get_settings()
    if reset and settings.is_sqlite:
        _remove_sqlite(settings.database_url)
    print(f"Database: {settings.masked_database_url()}")
    upgrade(settings.database_url)
    with get_database().session() as session:
        seeded = is_seeded(session)
        if not seeded:
            seed(session, settings=settings)
    print("Already seeded." if seeded else "Seeded the demo data.")
    done = run_jobs_to_completion(get_database(), settings)
    print(f"Background jobs done ({done} items).")


def _remove_sqlite(database_url: str) -> None:
    db_file = Path(database_url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)


def set_environment(*, host: str, port: int, standin_port: int) -> None:
    """The demo's settings, where the environment does not give its own: the stand-in plays
    Zalo, and the links sent to citizens point at the port actually served (the worker, a
    child process, inherits them)."""
    standin_url = f"http://127.0.0.1:{standin_port}"
    for key, value in DEMO_ENV.items():
        os.environ.setdefault(key, value)
    for key in (
        "DANVAN_ZALO_OA_API_BASE",
        "DANVAN_ZALO_OAUTH_BASE",
        "DANVAN_ZALO_BOT_API_BASE",
        "DANVAN_ZALO_ZNS_API_BASE",
    ):
        os.environ.setdefault(key, standin_url)
    os.environ.setdefault("DANVAN_BASE_URL", served_url(host, port))


def run_demo(*, host: str, port: int, standin_port: int, reset: bool) -> None:
    from danvan.demo.seed import is_seeded, seed
    from danvan.devtools.citizen_simulator import add_citizen_simulator
    from danvan.devtools.zalo_standin import create_standin_app
    from danvan.kernel.db import get_database, set_database
    from danvan.kernel.settings import get_settings
    from danvan.migrations import upgrade

    set_environment(host=host, port=port, standin_port=standin_port)
    get_settings.cache_clear()
    set_database(None)
    settings = get_settings()

    if reset and settings.is_sqlite:
        _remove_sqlite(settings.database_url)
    print(f"Database: {settings.masked_database_url()}")
    upgrade(settings.database_url)
    with get_database().session() as session:
        logins = None if is_seeded(session) else seed(session, settings=settings)
    # The worker labels the demo's messages with the real classifiers (training them first on
    # a fresh machine, in the background); the dashboard shows the progress meanwhile.
    standin_app = create_standin_app()
    add_citizen_simulator(
        standin_app,
        webhook_url=f"http://127.0.0.1:{port}/webhooks/zalo-oa",
        app_id=settings.zalo_oa_app_id,
        oa_secret=settings.zalo_oa_secret_key,
    )

    def wire_templates(standin: Any) -> None:
        # Template messages (issue 15): the stand-in's templates synced and mapped, its windows
        # told of the demo's citizens, its receipts posted back.
        from danvan.demo import zns
        from danvan.devtools.zalo_standin.state import state_of

        zns.set_up(get_database(), settings, state_of(standin))
        zns.post_receipts(
            state_of(standin),
            webhook_url=f"http://127.0.0.1:{port}/webhooks/zalo-oa",
            app_id=settings.zalo_oa_app_id,
            oa_secret=settings.zalo_oa_secret_key,
        )

    serve_with_children(
        host=host,
        port=port,
        standin_app=standin_app,
        standin_port=standin_port,
        on_standin=wire_templates,
        banner=lambda standin_url: _print_banner(host, port, standin_url, logins),
    )


def serve_with_children(
    *,
    host: str,
    port: int,
    standin_app: Any,
    standin_port: int,
    on_standin: Callable[[Any], None] = lambda _standin: None,
    banner: Callable[[str], None] = lambda _url: None,
) -> None:
    """Serve the app with the Zalo stand-in (a thread) and a worker (a child process) until
    Ctrl+C or SIGTERM; the worker stops with the demo however it ends: terminated on the way
    out, and (Linux) sent SIGTERM by the kernel should the demo die without a word (kill -9).

    uvicorn answers SIGTERM by re-raising it once it has shut down; with the default handler
    the process would die there, before any `finally` (the worker used to be orphaned). A
    handler of ours turns it into SystemExit, so the children are stopped."""
    import uvicorn

    from danvan.testing.servers import ThreadedServer

    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    # The worker first: no thread may run while it forks (preexec_fn).
    worker = _start_child([sys.executable, "-m", "danvan", "worker", "--name", "demo-worker"])
    standin = None
    try:
        standin = ThreadedServer(standin_app, port=standin_port).start()
        on_standin(standin)
        banner(standin.url)
        uvicorn.run(
            "danvan.web.app:create_app", factory=True, host=host, port=port, log_level="warning"
        )
    finally:
        _stop_child(worker)
        if standin is not None:
            standin.stop()
        signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _start_child(command: list[str]) -> subprocess.Popen[bytes]:
    parent = os.getpid()
    prctl = _prctl()

    def die_with_parent() -> None:
        # Runs in the child between fork and exec: the kernel sends it SIGTERM when the demo
        # dies, and a demo already gone by now means the child must not start at all.
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:
            os._exit(1)

    return subprocess.Popen(command, preexec_fn=die_with_parent)  # noqa: S603 - our own argv


def _stop_child(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=5)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _prctl() -> Any:
    """libc's prctl, loaded before forking (Linux); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _print_banner(
    host: str, port: int, standin_url: str, logins: list[tuple[str, str, str]] | None
) -> None:
    from danvan.accounts.demo import PASSWORD, STAFF

    rows = logins or [(email, PASSWORD, role) for email, _n, role, _c in STAFF]
    print()
    print(f"  Dân Vận demo:       {served_url(host, port)}   (Ctrl+C to stop)")
    print(f"  Zalo stand-in:      {standin_url}   (what citizens' phones received)")
    print(f"  Write as a citizen: {standin_url}/nguoi-dan   (a signed webhook to danvan)")
    print("  Demo logins (password for all: " + PASSWORD + "):")
    for email, _password, role in rows:
        print(f"    {role:8} {email}")
    print()
