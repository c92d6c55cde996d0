"""The `danvan` command line. Thin: parses arguments and calls the core."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Annotated

import typer

from danvan.cases.cli import cases_app
from danvan.inbox.cli import contact_app
from danvan.kernel.settings import get_settings
from danvan.opinion.cli_analyze import analyze
from danvan.opinion.cli_model import model_app
from danvan.opinion.cli_report import report_app

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Dân Vận")
db_app = typer.Typer(no_args_is_help=True, help="Database schema")
user_app = typer.Typer(no_args_is_help=True, help="Staff accounts")
token_app = typer.Typer(no_args_is_help=True, help="Personal API tokens")
zalo_app = typer.Typer(no_args_is_help=True, help="Zalo Official Account")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(zalo_app, name="zalo")
app.add_typer(model_app, name="model")
app.add_typer(contact_app, name="contact")
app.add_typer(report_app, name="report")
app.add_typer(cases_app, name="cases")
app.command()(analyze)


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


@user_app.command("create")
def user_create(
    email: str,
    role: Annotated[str, typer.Option(help="admin | officer | viewer")],
    commune: Annotated[
        list[int] | None, typer.Option("--commune", help="Commune code (repeat for several)")
    ] = None,
    full_name: Annotated[str, typer.Option("--name")] = "",
) -> None:
    """Create a staff account. The password is read from standard input."""
    from danvan.accounts.staff import do_create_user
    from danvan.kernel.db import get_database
    from danvan.kernel.errors import CoreError

    password = sys.stdin.readline().rstrip("\r\n") if not sys.stdin.isatty() else ""
    if not password:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with get_database().session() as session:
            user = do_create_user(
                session,
                actor=None,
                email=email,
                password=password,
                role=role,
                communes=commune or [],
                full_name=full_name,
            )
            typer.echo(f"Created {user.role} {user.email} (id {user.id})")
    except CoreError as exc:
        _fail(exc.message)


@token_app.command("create")
def token_create(email: str, name: str = "cli") -> None:
    """Create a personal API token for EMAIL; the token alone is printed on the last line."""
    from danvan.accounts.staff import do_create_token, get_user_by_email
    from danvan.kernel.db import get_database
    from danvan.kernel.errors import CoreError

    try:
        with get_database().session() as session:
            user = get_user_by_email(session, email)
            token = do_create_token(session, user=user, name=name)
    except CoreError as exc:
        _fail(exc.message)
    typer.echo(f"Token for {email} (shown once, keep it secret):", err=True)
    typer.echo(token)


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
        proxy_headers=True,
    )


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due, then exit")] = False,
    name: Annotated[str | None, typer.Option(help="Worker name in logs and leases")] = None,
) -> None:
    """Deliver the outbox (and run background jobs)."""
    from danvan.inbox.worker import run
    from danvan.kernel.db import get_database

    delivered = run(get_database(), get_settings(), once=once, worker_id=name)
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
