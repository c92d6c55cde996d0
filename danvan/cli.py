"""The `danvan` command line. Thin: parses arguments and calls the core. The commands of no
single area live here (db, zalo, serve, worker, demo, standin); each area adds its own."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from danvan.kernel import areas
from danvan.kernel.settings import get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Dân Vận")
db_app = typer.Typer(no_args_is_help=True, help="Database schema")
zalo_app = typer.Typer(no_args_is_help=True, help="Zalo Official Account")
app.add_typer(db_app, name="db")
app.add_typer(zalo_app, name="zalo")
# Each area adds its own commands (its `cli` hook in kernel/areas.py).
for _area, register in areas.hooked("cli"):
    register(app)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from danvan.migrations import upgrade

    settings = get_settings()
    typer.echo(f"Migrating {settings.masked_database_url()} to {revision}")
    upgrade(settings.database_url, revision)
    typer.echo("Done.")


@zalo_app.command("set-tokens")
def zalo_set_tokens(
    access_token: Annotated[str, typer.Option("--access-token")],
    refresh_token: Annotated[str, typer.Option("--refresh-token")],
    expires_in: Annotated[int, typer.Option(help="Access token lifetime, seconds")] = 90000,
) -> None:
    """Store the first OA access/refresh token pair (later pairs rotate automatically)."""
    from danvan.channels.tokens import store_tokens
    from danvan.kernel.db import get_database
    from danvan.kernel.models import utcnow

    with get_database().session() as session:
        store_tokens(
            session,
            platform="zalo_oa",
            access_token=access_token.strip(),
            refresh_token=refresh_token.strip(),
            expires_at=utcnow() + timedelta(seconds=expires_in),
        )
    typer.echo("Zalo OA tokens stored.")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    log_level: Annotated[str, typer.Option(help="debug | info | warning | error")] = "info",
) -> None:
    """Serve the web application."""
    import uvicorn

    from danvan.kernel.settings import SettingsError

    settings = get_settings()
    try:
        settings.resolve_secret_key()
        settings.require_base_url()
    except SettingsError as exc:
        _fail(str(exc))
    typer.echo(f"Serving {settings.masked_database_url()} at http://{host}:{port}", err=True)
    uvicorn.run(
        "danvan.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        # X-Forwarded-For is read by the app itself (web.deps.client_ip), from the proxies
        # DANVAN_TRUSTED_PROXIES names: one rule whatever serves the app.
        proxy_headers=False,
    )


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due, then exit")] = False,
    name: Annotated[str | None, typer.Option(help="Worker name in logs and leases")] = None,
) -> None:
    """Deliver the outbox (and run background jobs)."""
    from danvan.inbox.worker import run
    from danvan.kernel.db import get_database
    from danvan.kernel.settings import SettingsError

    settings = get_settings()
    try:
        settings.require_base_url()  # the links in what it sends to citizens
    except SettingsError as exc:
        _fail(str(exc))
    delivered = run(get_database(), settings, once=once, worker_id=name)
    if once:
        typer.echo(f"Processed {delivered} outbox item(s).")


@app.command()
def demo(
    host: str = "127.0.0.1",
    port: int = 8000,
    standin_port: int = 8001,
    reset: Annotated[bool, typer.Option("--reset", help="Start from an empty database")] = False,
    seed_only: Annotated[
        bool,
        typer.Option(
            "--seed-only",
            help="Fill the configured database and run the background jobs, without serving",
        ),
    ] = False,
) -> None:
    """Migrate, seed the demo, and serve it with a Zalo stand-in and a worker."""
    from danvan.demo import run_demo
    from danvan.demo import seed_only as fill_only

    if seed_only:
        fill_only(reset=reset)
        return
    run_demo(host=host, port=port, standin_port=standin_port, reset=reset)


@app.command()
def standin(host: str = "127.0.0.1", port: int = 8001) -> None:
    """Run the local Zalo stand-in server (OA API, OAuth and Bot API) used by tests and demo."""
    import uvicorn

    from danvan.devtools.zalo_standin import create_standin_app

    uvicorn.run(create_standin_app(), host=host, port=port, log_level="warning")


def main() -> None:
    from danvan.kernel import clock

    clock.start_at(get_settings().clock_start)
    app()
