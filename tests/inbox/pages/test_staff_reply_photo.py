"""The reply form takes one photo: it is queued with the reply, shown in the conversation,
served to staff in scope only, and shown to a web-form citizen on their thread page."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image
from sqlalchemy import select

from danvan.channels.web.inbound import MEDIA_PREFIX
from danvan.inbox.models import Direction, Message, OutboxItem
from danvan.inbox.worker import run as run_worker
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.testing.citizens import citizen_writes
from danvan.testing.media import stored_photo
from danvan.testing.staff import Staff

A = 2302
B = 2269


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 32), (200, 100, 0)).save(out, format="JPEG")
    return out.getvalue()


def send_photo(staff: Staff, conversation_id: int, text: str, data: bytes) -> object:
    return staff.post(
        f"/conversations/{conversation_id}/reply",
        {"text": text},
        files={"photo": ("hien-truong.jpg", data, "image/jpeg")},
    )


def replies(database: Database, conversation_id: int) -> list[Message]:
    with database.session() as session:
        found = list(
            session.scalars(
                select(Message).where(
                    Message.conversation_id == conversation_id,
                    Message.direction == Direction.OUT,
                )
            )
        )
        session.expunge_all()
        return found


def test_a_reply_with_a_photo_is_queued_and_the_page_shows_the_image(
    database: Database, settings: Settings, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)
    page = officer.get(f"/conversations/{conversation_id}").text
    assert 'enctype="multipart/form-data"' in page
    assert 'name="photo"' in page
    assert 'accept="image/jpeg,image/png,image/webp"' in page

    response = send_photo(officer, conversation_id, "Ảnh hiện trường", jpeg())

    assert response.status_code == 303, response.text
    [reply] = replies(database, conversation_id)
    assert reply.kind == "image"
    assert reply.text == "Ảnh hiện trường"
    url = reply.attachments[0]["url"]
    assert url.startswith(MEDIA_PREFIX)
    assert stored_photo(database, url[len(MEDIA_PREFIX) :])
    with database.session() as session:
        item = session.scalars(select(OutboxItem).where(OutboxItem.message_id == reply.id)).one()
        assert item.status == "pending"
    page = officer.get(f"/conversations/{conversation_id}").text
    article = page[page.index(f'id="msg-{reply.id}"') :]
    assert f'<img src="{url}"' in article


def test_the_staff_media_route_serves_a_reply_photo_in_scope_and_404_to_officer_b(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    data = jpeg()
    send_photo(staff_client(personas.officer_a), conversation_id, "", data)
    [reply] = replies(database, conversation_id)
    url = reply.attachments[0]["url"]

    for persona in (personas.officer_a, personas.colleague_a, personas.viewer_a, personas.admin):
        response = staff_client(persona).get(url)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        assert response.content.startswith(b"\xff\xd8")
    assert staff_client(personas.officer_b).get(url).status_code == 404


def test_a_photo_on_the_zalo_bot_channel_is_refused_with_the_reason(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A, channel="zalo_bot")
    officer = staff_client(personas.officer_a)
    page = officer.get(f"/conversations/{conversation_id}").text
    assert 'name="photo"' not in page  # the form offers no photo where it cannot be sent

    response = send_photo(officer, conversation_id, "Ảnh hiện trường", jpeg())

    assert response.status_code == 422
    assert "Kênh này chưa gửi được ảnh" in response.text
    assert "Ảnh hiện trường" in response.text  # the typed text is kept
    assert replies(database, conversation_id) == []


def test_a_file_that_is_not_a_photo_redisplays_the_form_with_the_reason(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)

    response = send_photo(officer, conversation_id, "Xem tệp", b"not an image at all")

    assert response.status_code == 422
    assert "không phải ảnh JPEG, PNG hoặc WebP" in response.text
    assert replies(database, conversation_id) == []


def test_an_oversized_upload_is_refused_before_it_is_read(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)

    response = send_photo(officer, conversation_id, "", b"\xff" * (11 * 1024 * 1024))

    assert response.status_code == 413
    assert replies(database, conversation_id) == []


def test_an_empty_file_field_sends_a_plain_text_reply(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)

    response = officer.post(
        f"/conversations/{conversation_id}/reply",
        {"text": "Chỉ có chữ"},
        files={"photo": ("", b"", "application/octet-stream")},
    )

    assert response.status_code == 303
    [reply] = replies(database, conversation_id)
    assert (reply.kind, reply.attachments) == ("text", [])


def test_a_web_citizen_sees_the_photo_of_a_reply_on_their_thread_page(
    database: Database,
    settings: Settings,
    personas,
    staff_client: Callable[..., Staff],
    app,
) -> None:
    code = "GY-ABCD-EFGH-JKMN"
    conversation_id = citizen_writes(database, commune=A, channel="web", user_id=code)
    data = jpeg()
    send_photo(staff_client(personas.officer_a), conversation_id, "Xã đã sửa xong", data)
    [reply] = replies(database, conversation_id)
    name = reply.attachments[0]["name"]

    assert run_worker(database, settings, once=True) == 1  # the web "sender" marks it sent

    citizen = staff_client()  # no one signed in
    thread = citizen.get(f"/gop-y/{code}").text
    assert "Xã đã sửa xong" in thread
    assert f'src="/gop-y/{code}/media/{name}"' in thread
    served = citizen.get(f"/gop-y/{code}/media/{name}")
    assert served.status_code == 200
    assert served.content == stored_photo(database, name)
    # Another citizen's code does not open it.
    other = citizen_writes(database, commune=A, channel="web", user_id="GY-ZZZZ-YYYY-XXXX")
    assert other != conversation_id
    assert citizen.get(f"/gop-y/GY-ZZZZ-YYYY-XXXX/media/{name}").status_code == 404
