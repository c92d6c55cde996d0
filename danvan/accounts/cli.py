"""`danvan user …` and `danvan token …`: staff accounts and their API tokens from the command
line."""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer

from danvan.kernel import cli_lang
from danvan.kernel.errors import CoreError

user_app = typer.Typer(no_args_is_help=True, help="Staff accounts")
token_app = typer.Typer(no_args_is_help=True, help="Personal API tokens")


def register(app: typer.Typer) -> None:
    """Add `danvan user …` and `danvan token …` to the command line."""
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")


def _fail(message: str | CoreError, code: int = 1) -> NoReturn:
    """One line on stderr in the CLI's language (a core error's sentence too), then exit."""
    text = cli_lang.error_text(message) if isinstance(message, CoreError) else message
    typer.echo(cli_lang.error_line(text), err=True)
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

    password = _read_password("Password")
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
        _fail(exc)


@token_app.command("create")
def token_create(email: str, name: str = "cli") -> None:
    """Create a personal API token for EMAIL; the token alone is printed on the last line."""
    from danvan.accounts.staff import do_create_token, get_user_by_email
    from danvan.kernel.db import get_database

    try:
        with get_database().session() as session:
            user = get_user_by_email(session, email)
            token = do_create_token(session, user=user, name=name)
    except CoreError as exc:
        _fail(exc)
    typer.echo(f"Token for {email} (shown once, keep it secret):", err=True)
    typer.echo(token)


def _read_password(prompt: str) -> str:
    password = sys.stdin.readline().rstrip("\r\n") if not sys.stdin.isatty() else ""
    return password or typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


def _set_active(email: str, *, active: bool) -> None:
    from danvan.accounts.lifecycle import do_set_active
    from danvan.accounts.staff import get_user_by_email
    from danvan.kernel.db import get_database

    try:
        with get_database().session() as session:
            user = get_user_by_email(session, email)
            do_set_active(session, actor=None, user=user, active=active)
            email = user.email
    except CoreError as exc:
        _fail(exc)
    typer.echo(f"{'Enabled' if active else 'Disabled'} {email}")


@user_app.command("deactivate")
def user_deactivate(email: str) -> None:
    """Disable EMAIL's account: its sessions end and its API tokens stop working at once, and
    it cannot sign in (until `danvan user activate`)."""
    _set_active(email, active=False)


@user_app.command("activate")
def user_activate(email: str) -> None:
    """Enable EMAIL's disabled account again (its unrevoked API tokens work again)."""
    _set_active(email, active=True)


@user_app.command("reset-password")
def user_reset_password(email: str) -> None:
    """Set a temporary password for EMAIL, read from standard input: every session of the
    account ends, and once signed in with it the user can only choose a new password."""
    from danvan.accounts.lifecycle import do_reset_password
    from danvan.accounts.staff import get_user_by_email
    from danvan.kernel.db import get_database

    password = _read_password("Temporary password")
    try:
        with get_database().session() as session:
            user = get_user_by_email(session, email)
            do_reset_password(session, actor=None, user=user, password=password)
    except CoreError as exc:
        _fail(exc)
    typer.echo(f"Password of {email} reset; it must be changed at the next sign-in")


@token_app.command("revoke")
def token_revoke(email: str) -> None:
    """Revoke every API token of EMAIL."""
    from danvan.accounts.lifecycle import do_revoke_tokens
    from danvan.accounts.staff import get_user_by_email
    from danvan.kernel.db import get_database

    try:
        with get_database().session() as session:
            user = get_user_by_email(session, email)
            revoked = do_revoke_tokens(session, actor=None, user=user)
    except CoreError as exc:
        _fail(exc)
    typer.echo(f"Revoked {revoked} token(s) of {email}")
