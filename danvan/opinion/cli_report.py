"""`danvan report …`: situation reports.

Without `--as`, the command acts for the deployment (the whole province, like an admin: whoever
runs it already holds the database); with `--as EMAIL` it has that staff member's scope, and the
report is recorded in the audit log under their name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from danvan.kernel import cli_lang

report_app = typer.Typer(no_args_is_help=True, help="Reports (situation reports)")


@report_app.command("situation")
def situation(
    period: Annotated[
        str,
        typer.Option(
            "--period", help="Month 2026-11, ISO week 2026-W48, quarter 2026-Q4 or year 2026"
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="File to write")],
    fmt: Annotated[str, typer.Option("--format", help="docx | xlsx | pdf | html")] = "docx",
    commune: Annotated[int | None, typer.Option("--commune", help="Commune code")] = None,
    as_email: Annotated[
        str | None, typer.Option("--as", help="E-mail of the staff member acting")
    ] = None,
    province_wide: Annotated[
        bool,
        typer.Option("--province-wide", help="Province figures for an officer (counts <5 hidden)"),
    ] = False,
    public: Annotated[
        bool, typer.Option("--public", help="For publication: counts under 5 hidden")
    ] = False,
    issuer: Annotated[str, typer.Option("--issuer", help="Issuing body (default: scope)")] = "",
    superior: Annotated[str, typer.Option("--superior", help="Superior body line")] = "",
    number: Annotated[str, typer.Option("--number", help="Document number (digits)")] = "",
    symbol: Annotated[str, typer.Option("--symbol", help="Symbol, e.g. BC-UBND")] = "",
    place: Annotated[str, typer.Option("--place", help="Place of the date line")] = "",
    signer_title: Annotated[
        str, typer.Option("--signer-title", help='Signer\'s title, lines split by "|"')
    ] = "",
    signer_name: Annotated[str, typer.Option("--signer-name", help="Signer's name")] = "",
    recipients: Annotated[
        str, typer.Option("--recipients", help='Recipients, lines split by "|"')
    ] = "",
) -> None:
    """Write the situation report of PERIOD: overview, top concerns and their change, table by
    commune, sentiment shift, emerging issues, masked quotes, open and overdue cases. The heading
    (Decree 30/2020) takes DANVAN_REPORT_* and the scope's defaults; the options override them."""
    from danvan.accounts.actors import Actor
    from danvan.accounts.models import Role, User
    from danvan.accounts.staff import get_user_by_email
    from danvan.kernel.db import get_database
    from danvan.kernel.errors import CoreError
    from danvan.kernel.settings import get_settings
    from danvan.opinion.report import do_situation_report

    settings = get_settings()
    try:
        with get_database().session() as session:
            if as_email:
                user = get_user_by_email(session, as_email)
                if not user.is_active:
                    raise CoreError("Tài khoản đã bị khoá")
            else:
                user = User(email="cli@localhost", role=Role.ADMIN, full_name="danvan CLI")
            data, _name = do_situation_report(
                session,
                actor=Actor(user, via="cli"),
                province_code=settings.province,
                tz_name=settings.timezone,
                period=period,
                fmt=fmt.lower(),
                commune_code=commune,
                wide=province_wide,
                public=public,
                settings=settings,
                letterhead={
                    "issuer": issuer,
                    "superior": superior,
                    "number": number,
                    "symbol": symbol,
                    "place": place,
                    "signer_title": signer_title,
                    "signer_name": signer_name,
                    "recipients": recipients,
                },
            )
    except CoreError as exc:
        typer.echo(cli_lang.error_line(cli_lang.error_text(exc)), err=True)
        raise typer.Exit(1) from None
    out.write_bytes(data)
    typer.echo(f"Wrote {out} ({len(data):,} bytes)")
