"""`danvan user …` and `danvan token …`: staff accounts and their API tokens from the command
line."""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer

user_app = typer.Typer(no_args_is_help=True, help="Staff accounts")
token_app = typer.Typer(no_args_is_help=True, help="Personal API tokens")


def register(app: typer.Typer) -> None:
    """Add `danvan user …` and `danvan token …` to the command line."""
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


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
