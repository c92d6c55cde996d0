"""The public web form over HTTP: submitting, refusals that keep the form, spam and rate limits."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from PIL import ExifTags, Image
from sqlalchemy import func, select

from danvan.inbox import webform
from danvan.inbox.models import Contact, Conversation, InboundEvent, Message
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing.images import jpeg_with_gps, png_declaring
from danvan.testing.media import stored_photos

COMMUNE_A = 2302  # Xã Minh Quang
CODE = re.compile(r"GY-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")


# --- helpers ----------------------------------------------------------------------------------


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def old_token(settings: Settings, seconds: int = 30) -> str:
    """A form token as if the form had been rendered `seconds` ago (people take that long)."""
    return webform.issue_form_token(
        secret_key=settings.secret_key, now=utcnow() - timedelta(seconds=seconds)
    )


def post_form(
    client: TestClient,
    settings: Settings,
    *,
    photo: tuple[str, bytes, str] | None = None,
    csrf: bool = True,
    path: str = "/gop-y",
    **fields: Any,
) -> Response:
    data: dict[str, Any] = {
        "commune_code": str(COMMUNE_A),
        "text": "Đường liên thôn Bản Pài bị sạt lở",
        "form_token": old_token(settings),
        "website": "",
    }
    if csrf:
        data["csrf_token"] = csrf_of(client.get("/gop-y").text)
    data.update(fields)
    files = {"photo": photo} if photo else None
    return client.post(path, data=data, files=files, follow_redirects=False)


def submitted_code(response: Response) -> str:
    assert response.status_code == 303, response.text
    found = CODE.search(response.headers["location"])
    assert found
    return found.group(0)


def counts(database: Database) -> dict[str, int]:
    with database.session() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Contact, Conversation, Message, InboundEvent)
        }


def media_files(database: Database) -> list[tuple[str, bytes]]:
    return list(stored_photos(database).items())


NOTHING = {"Contact": 0, "Conversation": 0, "Message": 0, "InboundEvent": 0}


# --- the page ---------------------------------------------------------------------------------


def test_the_form_page_is_in_vietnamese_and_lists_the_province_communes(
    client: TestClient,
) -> None:
    page = client.get("/gop-y")
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert "Gửi phản ánh, kiến nghị" in page.text
    assert f'<option value="{COMMUNE_A}">Xã Minh Quang</option>' in page.text
    assert 'name="website"' in page.text  # the honeypot
    assert '<label for="f-text">' in page.text
    assert '<label for="f-phone">' in page.text
    assert "Nghị định 13/2023" in page.text
    assert page.cookies.get("danvan_session")  # anonymous visitors get a CSRF session too


def test_the_form_speaks_english_when_the_visitor_chooses_it(client: TestClient) -> None:
    page = client.get("/gop-y?lang=en")
    assert '<html lang="en">' in page.text
    assert "Send feedback or a request" in page.text
    assert '<html lang="en">' in client.get("/gop-y/tra-cuu").text


# --- submitting -------------------------------------------------------------------------------


def test_submitting_stores_contact_conversation_and_message_under_a_tracking_code(
    client: TestClient, settings: Settings, database: Database
) -> None:
    response = post_form(client, settings, name="Hoàng Thị Mai", phone="0912 345 678", consent="1")
    code = submitted_code(response)
    assert response.headers["location"] == f"/gop-y/{code}/cam-on"
    thanks = client.get(response.headers["location"])
    assert thanks.status_code == 200
    assert code in thanks.text
    assert f'href="/gop-y/{code}"' in thanks.text
    with database.session() as session:
        contact = session.scalars(select(Contact)).one()
        conversation = session.scalars(select(Conversation)).one()
        message = session.scalars(select(Message)).one()
        assert (contact.channel, contact.external_id) == ("web", code)
        assert (contact.commune_code, contact.commune_source) == (COMMUNE_A, "citizen")
        assert (contact.display_name, contact.phone) == ("Hoàng Thị Mai", "0912345678")
        assert (conversation.commune_code, conversation.unread_count) == (COMMUNE_A, 1)
        assert (message.direction, message.channel) == ("in", "web")
        assert message.text == "Đường liên thôn Bản Pài bị sạt lở"


def test_without_consent_the_name_is_not_kept(
    client: TestClient, settings: Settings, database: Database
) -> None:
    submitted_code(post_form(client, settings, name="Hoàng Thị Mai"))
    with database.session() as session:
        contact = session.scalars(select(Contact)).one()
        assert (contact.display_name, contact.phone, contact.consent_at) == ("", None, None)


def test_a_commune_typed_without_diacritics_is_matched(
    client: TestClient, settings: Settings, database: Database
) -> None:
    submitted_code(post_form(client, settings, commune_code="", commune_text="minh quang"))
    with database.session() as session:
        assert session.scalars(select(Conversation.commune_code)).one() == COMMUNE_A


def test_a_stored_photo_has_no_exif_gps_left(
    client: TestClient, settings: Settings, database: Database
) -> None:
    original = jpeg_with_gps((80, 60))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    submitted_code(post_form(client, settings, photo=("IMG_0001.jpg", original, "image/jpeg")))
    [(name, data)] = media_files(database)
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", name)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert image.size == (80, 60)
    assert not image.getexif()
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"SpyCam" not in data
    with database.session() as session:
        message = session.scalars(select(Message)).one()
        assert message.attachments == [
            {
                "type": "image",
                "url": f"/media/{name}",
                "name": name,
                "size": len(data),
            }
        ]


def test_a_long_text_typed_decomposed_is_measured_after_nfc(
    client: TestClient, settings: Settings
) -> None:
    # 4000 characters once composed, three times as many code points as typed.
    text = unicodedata.normalize("NFD", "ệ") * settings.webform_max_text
    submitted_code(post_form(client, settings, text=text))


# --- bad input: a clear error, the form kept, nothing stored ----------------------------------


BAD_INPUT = {
    "empty message": ({"text": "   "}, None, "Vui lòng nhập nội dung phản ánh"),
    "too long after NFC": (
        {"text": unicodedata.normalize("NFD", "ệ") * 4001},
        None,
        "Nội dung dài quá 4000 ký tự",
    ),
    "bad phone": ({"phone": "12345", "consent": "1"}, None, "Số điện thoại không hợp lệ"),
    "phone without consent": (
        {"phone": "0912345678"},
        None,
        "Để lưu số điện thoại, vui lòng đánh dấu ô đồng ý",
    ),
    "unknown commune": (
        {"commune_code": "", "commune_text": "Xã Không Có Thật"},
        None,
        "Không tìm thấy xã/phường này trong tỉnh",
    ),
    "commune of another province": ({"commune_code": "1"}, None, "Không tìm thấy xã/phường"),
    "too many links": (
        {"text": "http://a.vn http://b.vn http://c.vn"},
        None,
        "quá nhiều đường link",
    ),
    "oversize photo": (
        {},
        ("big.jpg", b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), "image/jpeg"),
        "Ảnh quá lớn (tối đa 5 MB)",
    ),
    "not an image renamed .jpg": (
        {},
        ("anh.jpg", b"#!/bin/sh\nrm -rf /\n" * 20, "image/jpeg"),
        "không phải ảnh JPEG, PNG hoặc WebP hợp lệ",
    ),
    "PNG with a huge declared size": (
        {},
        ("bomb.png", png_declaring(100_000, 100_000), "image/png"),
        "Kích thước ảnh quá lớn",
    ),
}


@pytest.mark.parametrize(("fields", "photo", "error"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_gets_a_clear_error_keeps_the_form_and_stores_nothing(
    client: TestClient,
    settings: Settings,
    database: Database,
    fields: dict[str, str],
    photo: tuple[str, bytes, str] | None,
    error: str,
) -> None:
    values = {"name": "Người <b>dân</b>", **fields}
    if "text" not in fields:
        values["text"] = "Nội dung tôi đã gõ kỹ"
    response = post_form(client, settings, photo=photo, **values)
    assert response.status_code == 422
    assert error in response.text
    assert 'role="alert"' in response.text
    # What the citizen typed comes back (escaped), except the photo.
    assert "Người &lt;b&gt;dân&lt;/b&gt;" in response.text
    if "text" not in fields:
        assert ">Nội dung tôi đã gõ kỹ</textarea>" in response.text
    if photo:
        assert "vui lòng chọn lại ảnh" in response.text
    assert counts(database) == NOTHING
    assert media_files(database) == []


def test_a_body_far_beyond_the_photo_limit_is_refused_unread(
    client: TestClient, settings: Settings, database: Database
) -> None:
    settings.webform_max_photo_bytes = 1024
    photo = ("big.jpg", b"\xff\xd8" + b"\x00" * 2 * 1024 * 1024, "image/jpeg")
    response = post_form(client, settings, photo=photo)
    assert response.status_code == 413
    assert "quá lớn" in response.text
    assert counts(database) == NOTHING


# --- spam -------------------------------------------------------------------------------------


def test_a_filled_honeypot_is_refused(
    client: TestClient, settings: Settings, database: Database
) -> None:
    response = post_form(client, settings, website="http://cheap-pills.example")
    assert response.status_code == 400
    assert "Không thể gửi biểu mẫu này" in response.text
    assert ">Đường liên thôn Bản Pài bị sạt lở</textarea>" in response.text
    assert counts(database) == NOTHING


def test_a_form_sent_faster_than_a_person_can_is_refused(
    client: TestClient, settings: Settings, database: Database
) -> None:
    page = client.get("/gop-y").text
    token = re.search(r'name="form_token" value="([^"]+)"', page)
    assert token
    response = post_form(client, settings, form_token=token.group(1))
    assert response.status_code == 400
    assert "Bạn gửi quá nhanh" in response.text
    # The re-rendered form keeps the same token, so sending again a little later works.
    assert f'value="{token.group(1)}"' in response.text
    assert counts(database) == NOTHING


@pytest.mark.parametrize(
    ("token", "error"),
    [("", "Biểu mẫu không hợp lệ"), ("forged.token", "Biểu mẫu không hợp lệ")],
)
def test_a_missing_or_forged_form_token_is_refused(
    client: TestClient, settings: Settings, database: Database, token: str, error: str
) -> None:
    response = post_form(client, settings, form_token=token)
    assert response.status_code == 400
    assert error in response.text
    assert counts(database) == NOTHING


def test_a_form_left_open_for_days_is_refused_and_can_be_sent_again_at_once(
    client: TestClient, settings: Settings, database: Database
) -> None:
    response = post_form(client, settings, form_token=old_token(settings, 3 * 24 * 3600))
    assert response.status_code == 400
    assert "Biểu mẫu đã mở quá lâu" in response.text
    assert counts(database) == NOTHING
    # The page carries a fresh token, good at once: the citizen only has to press send again.
    fresh = re.search(r'name="form_token" value="([^"]+)"', response.text)
    assert fresh
    submitted_code(post_form(client, settings, form_token=fresh.group(1)))


def test_the_same_text_twice_from_one_address_is_refused(
    client: TestClient, settings: Settings, database: Database
) -> None:
    submitted_code(post_form(client, settings))
    again = post_form(client, settings, text="  đường liên thôn bản pài bị sạt lở ")
    assert again.status_code == 409
    assert "Bạn vừa gửi nội dung này" in again.text
    assert counts(database)["Message"] == 1


def test_a_missing_csrf_token_gets_403_with_the_form_kept(
    client: TestClient, settings: Settings, database: Database
) -> None:
    client.get("/gop-y")
    response = post_form(client, settings, csrf=False)
    assert response.status_code == 403
    assert ">Đường liên thôn Bản Pài bị sạt lở</textarea>" in response.text
    assert counts(database) == NOTHING


def test_submissions_beyond_the_hourly_limit_per_address_get_429(
    client: TestClient, settings: Settings, database: Database
) -> None:
    settings.webform_per_hour = 3
    for n in range(3):
        submitted_code(post_form(client, settings, text=f"Phản ánh số {n}"))
    refused = post_form(client, settings, text="Phản ánh số 3")
    assert refused.status_code == 429
    assert "Bạn đã gửi nhiều lần trong một giờ" in refused.text
    assert ">Phản ánh số 3</textarea>" in refused.text
    assert counts(database)["Message"] == 3


def test_all_addresses_together_are_limited_too(
    client: TestClient,
    settings: Settings,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(webform, "GLOBAL_PER_HOUR", 2)
    for n in range(2):
        submitted_code(post_form(client, settings, text=f"Phản ánh số {n}"))
    refused = post_form(client, settings, text="Phản ánh số 2")
    assert refused.status_code == 429
    assert "quá nhiều phản ánh" in refused.text
    assert counts(database)["Message"] == 2
