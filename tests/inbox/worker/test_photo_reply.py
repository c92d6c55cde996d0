"""A staff reply with a photo goes out through the Zalo stand-in: the photo is uploaded, then
sent as a media template carrying the returned attachment_id (and the text, if any)."""

from __future__ import annotations

import io
from pathlib import Path

from outbox_helpers import ACCESS, CITIZEN, delivered
from PIL import Image

from danvan.channels.web.inbound import MEDIA_PREFIX
from danvan.devtools.zalo_standin.protocol import MESSAGE_CS, UPLOAD_IMAGE
from danvan.devtools.zalo_standin.state import StandinState
from danvan.inbox.models import Message
from danvan.inbox.worker import run
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.testing.media import forget_photo, stored_photo


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


def stored_name(database: Database, message_id: int) -> str:
    with database.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        url = str(message.attachments[0]["url"])
    assert url.startswith(MEDIA_PREFIX)
    return url[len(MEDIA_PREFIX) :]


def test_an_image_reply_uploads_the_photo_once_and_sends_its_attachment_id_with_the_text(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    message_id = make_reply("Ảnh hiện trường sau khi sửa", photo=photo())
    name = stored_name(database, message_id)

    assert run(database, settings, once=True) == 1

    [upload] = zalo.requests_to(UPLOAD_IMAGE)
    assert upload.headers["access_token"] == ACCESS
    size = len(stored_photo(database, name) or b"")
    assert upload.body == {"file": {"filename": name, "size": size}}
    [attachment_id] = zalo.uploads
    [send] = zalo.requests_to(MESSAGE_CS)
    assert send.body == {
        "recipient": {"user_id": CITIZEN},
        "message": {
            "text": "Ảnh hiện trường sau khi sửa",
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "media",
                    "elements": [{"media_type": "image", "attachment_id": attachment_id}],
                },
            },
        },
    }
    [received] = zalo.messages(CITIZEN)
    assert received.attachment_id == attachment_id
    state = delivered(database, message_id)
    assert state.message.delivery_status == "sent"
    assert state.message.external_id == received.message_id


def test_a_photo_without_text_is_sent_as_the_image_alone(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    message_id = make_reply("", photo=photo())

    assert run(database, settings, once=True) == 1

    assert len(zalo.requests_to(UPLOAD_IMAGE)) == 1
    [send] = zalo.requests_to(MESSAGE_CS)
    assert "text" not in send.body["message"]
    [attachment_id] = zalo.uploads
    assert send.body["message"]["attachment"]["payload"]["elements"][0]["attachment_id"] == (
        attachment_id
    )
    assert delivered(database, message_id).message.delivery_status == "sent"


def test_a_stored_photo_that_went_missing_fails_without_calling_zalo(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    message_id = make_reply("Ảnh", photo=photo())
    forget_photo(database, stored_name(database, message_id))

    assert run(database, settings, once=True) == 1

    assert zalo.requests_to(UPLOAD_IMAGE) == []
    assert zalo.requests_to(MESSAGE_CS) == []
    state = delivered(database, message_id)
    assert state.message.delivery_status == "failed"
    assert state.message.delivery_error == "Không tìm thấy ảnh đính kèm"


def test_a_media_url_that_is_not_a_plain_stored_name_is_never_read(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    message_id = make_reply("Ảnh", photo=photo())
    secret = Path(settings.media_dir).parent / "secret.jpg"
    secret.write_bytes(photo())
    with database.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        message.attachments = [{"type": "image", "url": MEDIA_PREFIX + "../secret.jpg"}]

    assert run(database, settings, once=True) == 1

    assert zalo.requests_to(UPLOAD_IMAGE) == []
    assert delivered(database, message_id).message.delivery_status == "failed"
