"""`danvan cases …`: the admin side of cases from the command line (units, Open311 keys).

Each command acts as the admin given by `--as EMAIL` and is audited with via="cli".
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer

from danvan.kernel import cli_lang
from danvan.kernel.errors import CoreError

cases_app = typer.Typer(no_args_is_help=True, help="Cases: units and Open311 keys")

AsOption = Annotated[str, typer.Option("--as", help="E-mail of the admin acting")]


def _fail(message: str | CoreError) -> NoReturn:
    """One line on stderr in the CLI's language (a core error's sentence too), then exit."""
    text = cli_lang.error_text(message) if isinstance(message, CoreError) else message
    typer.echo(cli_lang.error_line(text), err=True)
    raise typer.Exit(1)


@cases_app.command("open311-key")
def open311_key(name: str, as_email: AsOption) -> None:
    """Make an Open311 API key for partner system NAME; the key is printed once."""
    from danvan.accounts.actors import Actor
    from danvan.accounts.staff import get_user_by_email
    from danvan.cases.open311 import do_create_key
    from danvan.kernel.db import get_database

    try:
        with get_database().session() as session:
            actor = Actor(get_user_by_email(session, as_email), via="cli")
            _key, raw = do_create_key(session, actor=actor, name=name)
    except CoreError as exc:
        _fail(exc)
    typer.echo(raw)


@cases_app.command("unit-create")
def unit_create(
    name: str,
    as_email: AsOption,
    commune: Annotated[int | None, typer.Option(help="Commune code (none: provincial)")] = None,
    head: Annotated[str | None, typer.Option(help="E-mail of the unit head")] = None,
) -> None:
    """Create a responsible unit (a commune office or a provincial department)."""
    from danvan.accounts.actors import Actor
    from danvan.accounts.staff import get_user_by_email
    from danvan.cases.units import do_create_unit
    from danvan.kernel.db import get_database

    try:
        with get_database().session() as session:
            actor = Actor(get_user_by_email(session, as_email), via="cli")
            head_id = get_user_by_email(session, head).id if head else None
            unit = do_create_unit(
                session, actor=actor, name=name, commune_code=commune, head_id=head_id
            )
            typer.echo(f"{unit.id}\t{unit.name}")
    except CoreError as exc:
        _fail(exc)


def register(app: typer.Typer) -> None:
    """Add `danvan cases …` to the command line."""
    app.add_typer(cases_app, name="cases")
