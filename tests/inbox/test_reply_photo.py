"""Staff attach one photo to a reply: checked, stripped of metadata, at most 1 MB, stored."""

from __future__ import annotations

import io
import itertools
import random

import pytest
from PIL import Image
from sqlalchemy import select

from danvan.accounts.models import AuditEntry
from danvan.channels.base import EventKind, InboundEvent
from danvan.channels.web.inbound import MEDIA_PREFIX
from danvan.inbox import conversations as inbox
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Contact, Conversation, Message, OutboxItem
from danvan.kernel.db import Database
from danvan.kernel.errors import Forbidden, Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing.images import jpeg_with_gps
from danvan.testing.media import stored_photo, stored_photos

_counter = itertools.count(1)


def conversation_on(database: Database, channel: str) -> int:
    """A citizen of Xã Minh Quang writes on `channel`; returns the conversation id."""
    n = next(_counter)
    user_id = f"photo-citizen-{n}"
    event = InboundEvent(
        channel=channel,
        kind=EventKind.MESSAGE,
        event_name="user_send_text",
        dedupe_key=f"{channel}-photo-{n}",
        occurred_at=utcnow(),
        user_id=user_id,
        message_id=f"in-photo-{n}",
        text="Tôi ở xã Minh Quang, đường thôn bị sạt lở",
        raw="{}",
    )
    with database.session() as session:
        ingest_events(session, events=[event], province_code=8)
        return session.scalars(
            select(Conversation.id)
            .join(Contact)
            .where(Contact.channel == channel, Contact.external_id == user_id)
        ).one()


def noisy(fmt: str, size: tuple[int, int], mode: str = "RGB") -> bytes:
    """Random pixels: they barely compress, so the re-encoded photo stays over 1 MB."""
    rng = random.Random(7)
    channels = len(mode)
    pixels = rng.randbytes(size[0] * size[1] * channels)
    out = io.BytesIO()
    Image.frombytes(mode, size, pixels).save(out, format=fmt, quality=98)
    return out.getvalue()


def reply(
    database: Database, settings: Settings, persona: object, conversation_id: int, **kwargs: object
) -> int:
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        message = inbox.do_reply(
            session,
            actor=persona.actor,  # type: ignore[attr-defined]
            conversation=conversation,
            **kwargs,  # type: ignore[arg-type]
        )
        return message.id


def stored(database: Database, settings: Settings, message_id: int) -> tuple[Message, bytes]:
    with database.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        session.expunge(message)
    [attachment] = message.attachments
    name = attachment["name"]
    data = stored_photo(database, name)
    assert data is not None
    return message, data


def test_a_photo_reply_is_stored_without_exif_and_queued_as_an_image(
    database: Database, settings: Settings, personas
) -> None:
    conversation_id = conversation_on(database, "zalo_oa")
    message_id = reply(
        database,
        settings,
        personas.officer_a,
        conversation_id,
        text="Ảnh hiện trường",
        photo=jpeg_with_gps(),
    )

    message, data = stored(database, settings, message_id)
    [attachment] = message.attachments
    assert message.kind == "image"
    assert message.text == "Ảnh hiện trường"
    assert attachment["type"] == "image"
    assert attachment["url"] == MEDIA_PREFIX + attachment["name"]
    assert attachment["size"] == len(data)
    assert attachment["name"].endswith(".jpg")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "exif" not in image.info
    assert b"SpyCam" not in data
    with database.session() as session:
        item = session.scalars(select(OutboxItem).where(OutboxItem.message_id == message_id)).one()
        assert item.status == "pending"
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "reply")).one()
        assert entry.detail == {"message_id": message_id, "photo": attachment["name"]}


def test_a_photo_may_go_without_text(database: Database, settings: Settings, personas) -> None:
    conversation_id = conversation_on(database, "web")
    message_id = reply(
        database, settings, personas.officer_a, conversation_id, text="  ", photo=jpeg_with_gps()
    )
    message, _ = stored(database, settings, message_id)
    assert message.text == ""
    assert message.kind == "image"
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        assert conversation.last_message_preview == "[image]"


@pytest.mark.parametrize(
    ("fmt", "size", "mode"),
    [("JPEG", (1800, 1400), "RGB"), ("PNG", (900, 900), "RGBA"), ("WEBP", (400, 300), "RGB")],
    ids=["big-jpeg", "big-png-with-alpha", "webp"],
)
def test_what_is_stored_is_a_jpeg_or_png_of_at_most_1_mb(
    database: Database, settings: Settings, personas, fmt: str, size: tuple[int, int], mode: str
) -> None:
    upload = noisy(fmt, size, mode)
    conversation_id = conversation_on(database, "zalo_oa")
    message_id = reply(
        database, settings, personas.officer_a, conversation_id, text="", photo=upload
    )

    message, data = stored(database, settings, message_id)
    assert len(data) <= inbox.MAX_SENT_PHOTO_BYTES
    assert message.attachments[0]["size"] == len(data)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format in ("JPEG", "PNG")


def test_a_photo_on_the_zalo_bot_channel_is_refused_and_nothing_is_stored(
    database: Database, settings: Settings, personas
) -> None:
    conversation_id = conversation_on(database, "zalo_bot")
    with pytest.raises(Invalid, match="Kênh này chưa gửi được ảnh"):
        reply(
            database, settings, personas.officer_a, conversation_id, text="x", photo=jpeg_with_gps()
        )
    assert stored_photos(database) == {}
    with database.session() as session:
        assert session.scalars(select(OutboxItem)).all() == []


def test_a_viewer_cannot_reply_with_a_photo(
    database: Database, settings: Settings, personas
) -> None:
    conversation_id = conversation_on(database, "zalo_oa")
    with pytest.raises(Forbidden):
        reply(
            database, settings, personas.viewer_a, conversation_id, text="x", photo=jpeg_with_gps()
        )
    assert stored_photos(database) == {}


def test_a_file_that_is_not_a_photo_is_refused_with_the_reason(
    database: Database, settings: Settings, personas
) -> None:
    conversation_id = conversation_on(database, "zalo_oa")
    with pytest.raises(Invalid, match="không phải ảnh"):
        reply(database, settings, personas.officer_a, conversation_id, text="x", photo=b"%PDF-1.4")


def test_text_is_still_required_without_a_photo(
    database: Database, settings: Settings, personas
) -> None:
    conversation_id = conversation_on(database, "zalo_oa")
    with pytest.raises(Invalid, match="không được để trống"):
        reply(database, settings, personas.officer_a, conversation_id, text=" ")
