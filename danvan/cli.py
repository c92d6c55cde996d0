"""The `danvan` command line. Thin: parses arguments and calls the core. The commands of no
single area live here (db, zalo, serve, worker, demo, standin); each area adds its own."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from danvan.kernel import areas, cli_lang
from danvan.kernel.db import missing_table
from danvan.kernel.errors import CoreError
from danvan.kernel.settings import get_settings
from danvan.web.i18n import translate_error

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Dân Vận")
db_app = typer.Typer(no_args_is_help=True, help="Database schema")
zalo_app = typer.Typer(no_args_is_help=True, help="Zalo Official Account")
app.add_typer(db_app, name="db")
app.add_typer(zalo_app, name="zalo")
templates_app = typer.Typer(no_args_is_help=True, help="Zalo template messages (ZNS)")
zalo_app.add_typer(templates_app, name="templates")
# Core errors in the CLI's language: English twins come from the catalogs, as on the web.
cli_lang.set_error_translator(translate_error)
# Each area adds its own commands (its `cli` hook in kernel/areas.py).
for _area, register in areas.hooked("cli"):
    register(app)


def _fail(message: str | CoreError, code: int = 1) -> None:
    """One line on stderr in the CLI's language (a core error's sentence too), then exit."""
    text = cli_lang.error_text(message) if isinstance(message, CoreError) else message
    typer.echo(cli_lang.error_line(text), err=True)
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


@templates_app.command("sync")
def zalo_templates_sync() -> None:
    """Read the OA's template messages (/template/all, /template/info/v2) and quota from Zalo."""
    from danvan.channels.zalo_zns.catalog import CatalogError
    from danvan.inbox import notice_templates
    from danvan.kernel.db import get_database

    try:
        report = notice_templates.sync_from_zalo(
            get_database(), get_settings(), user_id=None, via="cli"
        )
    except CatalogError as exc:
        _fail(str(exc))
        return
    typer.echo(
        f"{report.templates} templates ({report.approved} approved), "
        f"{report.unlisted} no longer listed; quota {report.quota.get('remaining')}"
        f"/{report.quota.get('daily')} today."
    )
    _print_kinds()


def _print_kinds() -> None:
    from danvan.inbox import notice_templates
    from danvan.kernel.db import get_database

    with get_database().session() as session:
        for status in notice_templates.report(session):
            state = "ready" if status.ready else "NOT READY"
            params = ", ".join(f"{k}={v}" for k, v in status.params.items())
            typer.echo(f"{status.kind:20} {status.template_id or '-':10} {state:9} {params}")
            for problem in status.problems:
                typer.echo(f"{'':20} ! {problem}")


@templates_app.command("list")
def zalo_templates_list() -> None:
    """Each notice kind with its template, and the kinds left without one (reported)."""
    from danvan.inbox import notice_templates
    from danvan.kernel.db import get_database

    with get_database().session() as session:
        for template in notice_templates.templates(session):
            params = ", ".join(str(p.get("name")) for p in template.params or [])
            listed = "" if template.listed else " (no longer on Zalo)"
            typer.echo(
                f"{template.template_id:10} {template.status:15} {template.name}{listed}: {params}"
            )
    _print_kinds()


@templates_app.command("map")
def zalo_templates_map(
    kind: str,
    template_id: str,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="PARAMETER=FIELD, once per parameter")
    ] = None,
) -> None:
    """Map a notice KIND to an approved TEMPLATE_ID (after `danvan zalo templates sync`)."""
    from danvan.inbox import notice_templates
    from danvan.kernel.db import get_database
    from danvan.kernel.errors import Invalid

    params = dict(item.partition("=")[::2] for item in param or [])
    try:
        with get_database().session() as session:
            notice_templates.do_map_kind(
                session, actor=None, kind=kind, template_id=template_id, params=params
            )
    except Invalid as exc:
        _fail(str(exc))
    typer.echo(f"{kind} -> template {template_id}")


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
    """`danvan`: help, messages and errors in the CLI's language (`danvan.kernel.cli_lang`)."""
    from danvan.kernel import clock

    clock.start_at(get_settings().clock_start)
    command = typer.main.get_command(app)
    if cli_lang.vietnamese():
        from danvan.cli_vi import localize

        localize(command)
    try:
        command(prog_name="danvan")
    except DBAPIError as exc:
        if not missing_table(exc):
            raise
        # A command run before the database's tables exist: say what to do, not a traceback.
        typer.echo(
            "lỗi: cơ sở dữ liệu chưa có bảng (chưa khởi tạo hoặc chưa nâng cấp): chạy "
            "`danvan db upgrade` trước"
            if cli_lang.vietnamese()
            else "error: the database has no tables yet (new or not upgraded): run "
            "`danvan db upgrade` first",
            err=True,
        )
        raise SystemExit(2) from None
