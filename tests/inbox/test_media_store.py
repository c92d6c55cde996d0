"""Photos live in the media store (the database), not on one machine's disk: any process reads
what another stored, a rolled-back upload leaves nothing, erasure deletes them, and the legacy
media folder is imported once with `danvan media import`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from danvan.channels.base import Attachment
from danvan.channels.zalo_oa.outbound import ZaloOASender
from danvan.cli import app
from danvan.inbox import conversations as inbox
from danvan.inbox.models import Contact, Conversation
from danvan.inbox.privacy import do_delete_contact
from danvan.kernel import media_store
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.testing.citizens import citizen_writes
from danvan.testing.images import jpeg_with_gps
from danvan.testing.media import stored_photos

NAME = "0123456789abcdef0123456789abcdef.jpg"


def _reply_photo(database: Database, personas, conversation_id: int) -> str:
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        message = inbox.do_reply(
            session,
            actor=personas.officer_a.actor,
            conversation=conversation,
            text="Ảnh",
            photo=jpeg_with_gps(),
        )
        return str(message.attachments[0]["name"])


def test_a_photo_stored_by_one_process_is_sent_by_a_worker_of_another(
    database: Database, settings: Settings, personas, tmp_path: Path
) -> None:
    conversation_id = citizen_writes(database, commune=2302, channel="zalo_oa")
    name = _reply_photo(database, personas, conversation_id)
    # Another machine: its own engine on the same database, its own (empty) media folder.
    elsewhere = Database(database.url)
    other_settings = settings.model_copy(update={"media_dir": str(tmp_path / "elsewhere")})
    sender = ZaloOASender(settings=other_settings, tokens=None, database=elsewhere)  # type: ignore[arg-type]
    image = sender._read_image(Attachment(type="image", url=f"/media/{name}"))
    assert image.content == stored_photos(database)[name]
    assert image.content_type == "image/jpeg"
    elsewhere.dispose()


def test_a_rolled_back_reply_leaves_no_photo(database: Database, personas) -> None:
    conversation_id = citizen_writes(database, commune=2302, channel="zalo_oa")

    def request() -> None:
        with database.session() as session:
            conversation = session.get(Conversation, conversation_id)
            assert conversation is not None
            inbox.do_reply(
                session,
                actor=personas.officer_a.actor,
                conversation=conversation,
                text="Ảnh",
                photo=jpeg_with_gps(),
            )
            raise RuntimeError("the request failed after the upload")

    with pytest.raises(RuntimeError):
        request()
    assert stored_photos(database) == {}


def test_erasure_deletes_the_conversation_photos_from_the_store(
    database: Database, personas
) -> None:
    conversation_id = citizen_writes(database, commune=2302, channel="zalo_oa")
    name = _reply_photo(database, personas, conversation_id)
    other = citizen_writes(database, commune=2302, channel="zalo_oa", user_id="84900000999")
    kept = _reply_photo(database, personas, other)
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        contact = session.get(Contact, conversation.contact_id)
        assert contact is not None
        deletion = do_delete_contact(
            session, actor=personas.admin.actor, contact=contact, reason="Yêu cầu"
        )
    assert deletion.media_files == (name,)
    assert set(stored_photos(database)) == {kept}


def test_the_legacy_media_folder_is_imported_once_names_kept(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path(settings.media_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / NAME).write_bytes(b"\xff\xd8 photo")
    (folder / "notes.txt").write_text("not ours")
    (folder / ".upload-123").write_bytes(b"half")
    monkeypatch.setattr("danvan.kernel.settings.get_settings", lambda: settings)
    monkeypatch.setattr("danvan.kernel.db.get_database", lambda: database)
    runner = CliRunner()
    first = runner.invoke(app, ["media", "import"])
    again = runner.invoke(app, ["media", "import"])
    assert first.exit_code == 0, first.output
    assert "Imported 1 photo(s)" in first.output
    assert "Imported 0 photo(s)" in again.output
    assert "1 already stored" in again.output
    assert stored_photos(database) == {NAME: b"\xff\xd8 photo"}
    assert (folder / NAME).exists()  # read, not changed
    with database.session() as session:
        found = media_store.read(session, NAME)
        assert found is not None
        assert found.content_type == "image/jpeg"
        assert media_store.read(session, "../etc/passwd") is None
