"""`danvan contact …`: personal data requests (Decree 13/2023) from the command line;
`danvan media import`: photos of the legacy media folder into the media store.

Each command acts as the staff member given by `--as EMAIL`, with the same scope and role checks
as the web UI and the API, and is recorded in the audit log with via="cli".
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from danvan.kernel import cli_lang
from danvan.kernel.errors import CoreError

if TYPE_CHECKING:
    from danvan.accounts.models import User

contact_app = typer.Typer(no_args_is_help=True, help="Citizens' personal data (Decree 13/2023)")

AsOption = Annotated[str, typer.Option("--as", help="E-mail of the staff member acting")]


def _fail(message: str | CoreError) -> NoReturn:
    """One line on stderr in the CLI's language (a core error's sentence too), then exit."""
    text = cli_lang.error_text(message) if isinstance(message, CoreError) else message
    typer.echo(cli_lang.error_line(text), err=True)
    raise typer.Exit(1)


@contact_app.command("export")
def contact_export(contact_id: int, as_email: AsOption) -> None:
    """Print everything held about contact ID as JSON (officers of its commune, admins)."""
    from danvan.accounts.actors import Actor
    from danvan.accounts.staff import get_user_by_email
    from danvan.inbox.privacy import access_contact, export_contact
    from danvan.kernel.db import get_database

    try:
        with get_database().session() as session:
            actor = Actor(_active(get_user_by_email(session, as_email)), via="cli")
            contact = access_contact(session, actor=actor, contact_id=contact_id)
            data = export_contact(session, actor=actor, contact=contact)
    except CoreError as exc:
        _fail(exc)
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@contact_app.command("delete")
def contact_delete(
    contact_id: int,
    as_email: AsOption,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log)")],
) -> None:
    """Erase the personal data of contact ID (admins only). Counts and the audit log are kept."""
    from danvan.accounts.actors import Actor
    from danvan.accounts.staff import get_user_by_email
    from danvan.inbox.privacy import access_contact, do_delete_contact, remove_media
    from danvan.kernel.db import get_database
    from danvan.kernel.settings import get_settings

    try:
        with get_database().session() as session:
            actor = Actor(_active(get_user_by_email(session, as_email)), via="cli")
            contact = access_contact(session, actor=actor, contact_id=contact_id)
            deletion = do_delete_contact(session, actor=actor, contact=contact, reason=reason)
    except CoreError as exc:
        _fail(exc)
    # Files go only once the erasure has committed.
    remove_media(get_settings().media_dir, deletion.media_files)
    typer.echo(
        f"Erased contact {deletion.contact_id}: {deletion.messages_erased} message(s), "
        f"{deletion.notes_erased} note(s), {deletion.events_deleted} raw event(s), "
        f"{len(deletion.media_files)} photo(s); "
        f"{deletion.outbox_cancelled} pending reply(ies) cancelled."
    )


def _active(user: User) -> User:
    """A disabled account acts no more from the CLI than from the web."""
    from danvan.kernel.errors import Forbidden

    if not user.is_active:
        raise Forbidden("Tài khoản {email} đã bị khoá", email=user.email)
    return user


media_app = typer.Typer(no_args_is_help=True, help="Photos danvan stores (the media store)")


@media_app.command("import")
def media_import(
    folder: Annotated[
        str | None, typer.Option("--from", help="Folder to read (default: DANVAN_MEDIA_DIR)")
    ] = None,
) -> None:
    """Copy the photos of a legacy media folder (DANVAN_MEDIA_DIR) into the media store, names
    kept so that messages' links keep working; the folder is read, not changed. Run it again
    at will: photos already stored are skipped."""
    from danvan.kernel import media_store
    from danvan.kernel.db import get_database
    from danvan.kernel.settings import get_settings

    source = folder or get_settings().media_dir
    with get_database().session() as session:
        imported, present = media_store.import_folder(session, source)
    typer.echo(f"Imported {imported} photo(s) from {source}; {present} already stored.")


def register(app: typer.Typer) -> None:
    """Add `danvan contact …` and `danvan media …` to the command line."""
    app.add_typer(contact_app, name="contact")
    app.add_typer(media_app, name="media")
