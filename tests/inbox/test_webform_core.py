"""The web form's core: tracking codes, phone numbers, photos, the form token, and storing."""

from __future__ import annotations

import io
import unicodedata
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select

from danvan.inbox import conversations as inbox
from danvan.inbox import media, refusals, webform
from danvan.inbox.models import Contact, Conversation, InboundEvent, Message, Note
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing.images import jpeg_with_gps, png_declaring
from danvan.testing.media import stored_photo

if TYPE_CHECKING:
    from tests.conftest import Personas

COMMUNE_A = 2302  # Xã Minh Quang, as in the personas

# --- helpers (test folders are not packages: the web tests keep their own copy) -----


def old_token(settings: Settings, seconds: int = 30) -> str:
    """A form token as if the form had been rendered `seconds` ago."""
    return webform.issue_form_token(
        secret_key=settings.secret_key, now=utcnow() - timedelta(seconds=seconds)
    )


# --- tracking codes ---------------------------------------------------------------------------


def test_a_tracking_code_is_grouped_and_uses_only_unambiguous_characters() -> None:
    codes = {webform.new_tracking_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        prefix, *groups = code.split("-")
        assert prefix == "GY"
        assert [len(g) for g in groups] == [4, 4, 4]
        assert not set("".join(groups)) & set("01ILO")


@pytest.mark.parametrize(
    "typed",
    [
        "GY-7K3M-9QPX-W4TR",
        "gy-7k3m-9qpx-w4tr",
        "GY7K3M9QPXW4TR",
        "7k3m 9qpx w4tr",
        " 7K3M-9QPX-W4TR ",
    ],
)
def test_a_code_is_recognised_with_or_without_dashes_in_any_case(typed: str) -> None:
    assert webform.normalize_code(typed) == "GY-7K3M-9QPX-W4TR"


@pytest.mark.parametrize("typed", ["", "GY-7K3M-9QPX", "GY-7K3M-9QPX-W4T0", "../../etc/passwd"])
def test_what_cannot_be_a_code_is_recognised_as_none(typed: str) -> None:
    assert webform.normalize_code(typed) is None


# --- fields -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("091.234.5678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0207 382 1234", "02073821234"),
        ("", None),
    ],
)
def test_vietnamese_phone_numbers_are_accepted_and_normalised(typed: str, stored: str) -> None:
    assert webform.check_phone(typed) == stored


@pytest.mark.parametrize(
    "typed", ["12345", "0112345678", "091234567", "0912-abc-678", "+1 202 555 0100"]
)
def test_other_phone_numbers_are_refused(typed: str) -> None:
    with pytest.raises(refusals.FormInvalid) as caught:
        webform.check_phone(typed)
    assert caught.value.errors == {"phone": "phone_invalid"}


def test_a_commune_is_found_in_the_list_or_by_its_name_without_diacritics() -> None:
    by_code = webform.check_commune(province_code=8, commune_code="2302", commune_text="")
    by_text = webform.check_commune(province_code=8, commune_code="", commune_text="xa minh quang")
    assert by_code.code == by_text.code == COMMUNE_A


@pytest.mark.parametrize(
    ("code", "text", "error"),
    [
        ("", "", "commune_required"),
        ("", "Xã Không Có", "commune_unknown"),
        ("1", "", "commune_unknown"),  # Phường Ba Đình: another province
        ("99999999999999999999", "", "commune_unknown"),
    ],
)
def test_a_missing_or_foreign_commune_is_refused(code: str, text: str, error: str) -> None:
    with pytest.raises(refusals.FormInvalid) as caught:
        webform.check_commune(province_code=8, commune_code=code, commune_text=text)
    assert caught.value.errors == {"commune": error}


def test_the_length_limit_is_measured_after_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "ệ") * 10  # 30 code points, 10 characters
    assert len(decomposed) == 30
    assert webform.check_message_text(decomposed, max_text=10) == "ệ" * 10
    with pytest.raises(refusals.FormInvalid) as caught:
        webform.check_message_text(decomposed + "a", max_text=10)
    assert caught.value.errors == {"text": "text_too_long"}


def test_more_links_than_allowed_are_refused() -> None:
    two = "xem https://a.vn và www.b.vn"
    assert webform.check_message_text(two, max_text=100) == two
    with pytest.raises(refusals.FormInvalid):
        webform.check_message_text(two + " http://c.vn", max_text=100)


# --- photos -----------------------------------------------------------------------------------


def test_a_photo_is_reencoded_without_exif_or_gps() -> None:
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    photo = media.check_photo(original, max_bytes=1_000_000)
    assert (photo.extension, photo.content_type) == ("jpg", "image/jpeg")
    stored = Image.open(io.BytesIO(photo.data))
    assert stored.size == (64, 48)
    assert not stored.getexif()
    assert "exif" not in stored.info
    assert b"SpyCam" not in photo.data


def test_bytes_appended_after_a_photo_are_dropped() -> None:
    payload = b"<?php system($_GET['c']); ?>"
    photo = media.check_photo(jpeg_with_gps() + payload, max_bytes=1_000_000)
    assert payload not in photo.data


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_png_and_webp_photos_keep_their_format(image_format: str) -> None:
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 255, 128)).save(out, format=image_format)
    photo = media.check_photo(out.getvalue(), max_bytes=1_000_000)
    assert Image.open(io.BytesIO(photo.data)).format == image_format


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"MZ\x90\x00 this is not a photo", "photo_invalid"),
        (b"GIF89a" + b"\x00" * 100, "photo_invalid"),
        (jpeg_with_gps()[:200], "photo_invalid"),  # truncated
        (png_declaring(100_000, 100_000), "photo_dimensions"),
        (png_declaring(9_000, 9_000), "photo_dimensions"),
        (b"\xff\xd8" + b"\x00" * 2000, "photo_too_big"),
    ],
    ids=["executable", "gif", "truncated", "png-bomb", "png-too-many-pixels", "oversize"],
)
def test_what_is_not_an_acceptable_photo_is_refused(data: bytes, error: str) -> None:
    with pytest.raises(refusals.FormInvalid) as caught:
        media.check_photo(data, max_bytes=1000 if error == "photo_too_big" else 1_000_000)
    assert caught.value.errors == {"photo": error}


# --- the form token ---------------------------------------------------------------------------


def test_the_form_token_refuses_bots_that_are_too_fast_late_or_forge_it() -> None:
    key = "test-secret-key-0123456789"
    now = utcnow()
    rendered = webform.issue_form_token(secret_key=key, now=now - timedelta(seconds=10))
    webform.check_spam(secret_key=key, token=rendered, honeypot="", now=now)
    cases = {
        "too_fast": (webform.issue_form_token(secret_key=key, now=now), ""),
        "expired": (webform.issue_form_token(secret_key=key, now=now - timedelta(days=2)), ""),
        "bad_token": (webform.issue_form_token(secret_key="another-key-012345", now=now), ""),
        "honeypot": (rendered, "http://spam.example"),
    }
    for code, (token, honeypot) in cases.items():
        with pytest.raises(refusals.Refused) as caught:
            webform.check_spam(secret_key=key, token=token, honeypot=honeypot, now=now)
        assert caught.value.code == code


# --- storing ----------------------------------------------------------------------------------


def _form(settings: Settings, **fields: object) -> webform.FormInput:
    values: dict[str, object] = {
        "text": "Đèn đường thôn Bản Pài hỏng",
        "commune_code": str(COMMUNE_A),
        "token": old_token(settings),
    }
    values.update(fields)
    return webform.FormInput(**values)  # type: ignore[arg-type]


def test_a_submission_opens_a_conversation_in_the_declared_commune(
    database: Database, settings: Settings
) -> None:
    with database.session() as session:
        code = webform.do_submit(
            session,
            settings=settings,
            form=_form(settings, name="Lò Văn Páo", phone="0912345678", consent=True),
            ip="1.2.3.4",
        )
    with database.session() as session:
        contact = session.scalars(select(Contact)).one()
        assert (contact.channel, contact.external_id) == ("web", code)
        assert (contact.commune_code, contact.commune_source) == (COMMUNE_A, "citizen")
        assert (contact.display_name, contact.phone) == ("Lò Văn Páo", "0912345678")
        assert contact.consent_at is not None
        conversation = session.scalars(select(Conversation)).one()
        assert (conversation.commune_code, conversation.unread_count) == (COMMUNE_A, 1)
        message = session.scalars(select(Message)).one()
        assert (message.direction, message.text) == ("in", "Đèn đường thôn Bản Pài hỏng")
        event = session.scalars(select(InboundEvent)).one()
        assert event.dedupe_key == message.external_id
        assert "0912345678" not in event.raw


def test_name_and_phone_are_not_kept_without_consent(
    database: Database, settings: Settings
) -> None:
    with database.session() as session:
        webform.do_submit(
            session, settings=settings, form=_form(settings, name="Lò Văn Páo"), ip="1.2.3.4"
        )
    with database.session() as session:
        contact = session.scalars(select(Contact)).one()
        assert (contact.display_name, contact.phone, contact.consent_at) == ("", None, None)


def test_a_phone_without_consent_is_refused_and_stores_nothing(
    database: Database, settings: Settings
) -> None:
    with database.session() as session, pytest.raises(refusals.FormInvalid) as caught:
        webform.do_submit(
            session, settings=settings, form=_form(settings, phone="0912345678"), ip="1.2.3.4"
        )
    assert caught.value.errors == {"phone": "phone_needs_consent"}
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 0


def test_a_photo_is_stored_under_a_random_name_and_attached(
    database: Database, settings: Settings
) -> None:
    with database.session() as session:
        webform.do_submit(
            session, settings=settings, form=_form(settings, photo=jpeg_with_gps()), ip="1.2.3.4"
        )
    with database.session() as session:
        message = session.scalars(select(Message)).one()
    assert message.kind == "image"
    [attachment] = message.attachments
    name = attachment["name"]
    assert attachment["url"] == f"/media/{name}"
    stored = stored_photo(database, name)
    assert stored is not None
    assert len(stored) == attachment["size"]
    assert not Image.open(io.BytesIO(stored)).getexif()


def test_a_reply_on_the_thread_makes_the_conversation_unread_again(
    database: Database, settings: Settings, personas: Personas
) -> None:
    with database.session() as session:
        code = webform.do_submit(session, settings=settings, form=_form(settings), ip="1.2.3.4")
    with database.session() as session:
        conversation = webform.access_thread(session, code=code, ip="1.2.3.4")
        inbox.mark_read(session, conversation=conversation)
        inbox.do_set_status(
            session, actor=personas.officer_a.actor, conversation=conversation, status="closed"
        )
    with database.session() as session:
        conversation = webform.access_thread(session, code=code.lower(), ip="1.2.3.4")
        webform.do_thread_reply(
            session,
            settings=settings,
            conversation=conversation,
            form=_form(settings, text="Đến nay vẫn chưa sửa"),
            ip="1.2.3.4",
        )
    with database.session() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert (conversation.unread_count, conversation.status) == (1, "open")
        texts = session.scalars(select(Message.text).order_by(Message.id)).all()
        assert texts == ["Đèn đường thôn Bản Pài hỏng", "Đến nay vẫn chưa sửa"]


def test_the_thread_holds_sent_replies_but_no_notes_drafts_or_failures(
    database: Database, settings: Settings, personas: Personas
) -> None:
    with database.session() as session:
        code = webform.do_submit(session, settings=settings, form=_form(settings), ip="1.2.3.4")
    with database.session() as session:
        conversation = webform.access_thread(session, code=code, ip="1.2.3.4")
        actor = personas.officer_a.actor
        sent = inbox.do_reply(session, actor=actor, conversation=conversation, text="Đã sửa xong")
        sent.delivery_status = "sent"
        inbox.do_reply(session, actor=actor, conversation=conversation, text="Còn trong hàng đợi")
        failed = inbox.do_reply(session, actor=actor, conversation=conversation, text="Lỗi")
        failed.delivery_status = "failed"
        inbox.do_add_note(session, actor=actor, conversation=conversation, text="Ghi chú nội bộ")
    with database.session() as session:
        conversation = webform.access_thread(session, code=code, ip="1.2.3.4")
        entries = webform.thread_entries(session, conversation=conversation)
        assert session.scalar(select(func.count()).select_from(Note)) == 1
    assert [(e.mine, e.text) for e in entries] == [
        (True, "Đèn đường thôn Bản Pài hỏng"),
        (False, "Đã sửa xong"),
    ]


def test_unknown_codes_are_counted_and_lookups_stop_past_the_limit(
    database: Database, settings: Settings
) -> None:
    with database.session() as session:
        code = webform.do_submit(session, settings=settings, form=_form(settings), ip="1.2.3.4")
    for _ in range(refusals.LOOKUP_FAILURES_PER_HOUR):
        with database.session() as session, pytest.raises(webform.NotFound):
            webform.access_thread(session, code=webform.new_tracking_code(), ip="6.6.6.6")
    with database.session() as session:
        with pytest.raises(refusals.Refused) as caught:
            webform.access_thread(session, code=code, ip="6.6.6.6")
        assert caught.value.status == 429
        # Another address is not affected.
        assert webform.access_thread(session, code=code, ip="1.2.3.4")
