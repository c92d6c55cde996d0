"""The citizen's thread page (replies, answering, lookups) and who may see stored photos."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image
from sqlalchemy import select

from danvan.channels.web.outbound import WebSender
from danvan.inbox import conversations as inbox
from danvan.inbox import refusals, webform
from danvan.inbox.models import Conversation, Message
from danvan.inbox.worker import run as run_worker
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing.media import stored_photos

if TYPE_CHECKING:
    from tests.conftest import Persona, Personas

COMMUNE_A = 2302  # Xã Minh Quang
CODE = re.compile(r"GY-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def post(
    client: TestClient,
    settings: Settings,
    path: str,
    *,
    photo: tuple[str, bytes, str] | None = None,
    **fields: Any,
) -> Response:
    data: dict[str, Any] = {
        "csrf_token": csrf_of(client.get("/gop-y").text),
        "form_token": webform.issue_form_token(
            secret_key=settings.secret_key, now=utcnow() - timedelta(seconds=30)
        ),
        **fields,
    }
    return client.post(
        path, data=data, files={"photo": photo} if photo else None, follow_redirects=False
    )


def submit(client: TestClient, settings: Settings, text: str, **fields: Any) -> str:
    response = post(client, settings, "/gop-y", commune_code=str(COMMUNE_A), text=text, **fields)
    assert response.status_code == 303, response.text
    found = CODE.search(response.headers["location"])
    assert found
    return found.group(0)


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 10, 200)).save(out, format="PNG")
    return out.getvalue()


def conversation_of(session: Any, code: str) -> Conversation:
    return webform.access_thread(session, code=code, ip="test")


def sign_in(client: TestClient, persona: Persona) -> None:
    response = client.post(
        "/login",
        data={
            "email": persona.user.email,
            "password": persona.password,
            "csrf_token": csrf_of(client.get("/gop-y").text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def other_client(app: FastAPI) -> Iterator[TestClient]:
    """A second browser (its own cookies)."""
    with TestClient(app) as second:
        yield second


# --- the thread -------------------------------------------------------------------------------


def test_the_thread_shows_staff_replies_once_sent_and_never_notes_or_staff_names(
    client: TestClient, settings: Settings, database: Database, personas: Personas
) -> None:
    code = submit(client, settings, "Cống thoát nước thôn Nà Lừa bị tắc")
    with database.session() as session:
        conversation = conversation_of(session, code)
        actor = personas.officer_a.actor
        inbox.do_reply(session, actor=actor, conversation=conversation, text="Xã đã cử người")
        inbox.do_add_note(session, actor=actor, conversation=conversation, text="Nhà ông Tư, nợ")
    before = client.get(f"/gop-y/{code}")
    assert before.status_code == 200
    assert "Cống thoát nước thôn Nà Lừa bị tắc" in before.text
    assert "Xã đã cử người" not in before.text  # still in the outbox
    assert "Cán bộ chưa trả lời" in before.text

    assert run_worker(database, settings, once=True, senders={"web": WebSender()}) == 1

    after = client.get(f"/gop-y/{code}")
    assert "Xã đã cử người" in after.text
    assert "Cán bộ xã Minh Quang" in after.text
    assert personas.officer_a.user.full_name not in after.text
    assert personas.officer_a.user.email not in after.text
    assert "Nhà ông Tư" not in after.text
    assert after.headers["cache-control"] == "no-store"


def test_the_thread_never_shows_another_citizens_messages(
    client: TestClient, settings: Settings
) -> None:
    mine = submit(client, settings, "Tin của tôi")
    submit(client, settings, "Tin của người khác")
    page = client.get(f"/gop-y/{mine}").text
    assert "Tin của tôi" in page
    assert "Tin của người khác" not in page


def test_hostile_text_is_escaped_on_the_thread_page(client: TestClient, settings: Settings) -> None:
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    code = submit(client, settings, hostile)
    page = client.get(f"/gop-y/{code}").text
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_answering_on_the_thread_adds_a_message_unread_for_staff(
    client: TestClient, settings: Settings, database: Database
) -> None:
    code = submit(client, settings, "Đèn đường hỏng")
    with database.session() as session:
        inbox.mark_read(session, conversation=conversation_of(session, code))
    response = post(
        client,
        settings,
        f"/gop-y/{code}",
        text="Bổ sung: cột số 12",
        photo=("a.png", photo_bytes(), "image/png"),
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/gop-y/{code}")
    with database.session() as session:
        conversation = conversation_of(session, code)
        assert conversation.unread_count == 1
        texts = session.scalars(
            select(Message.text)
            .where(Message.conversation_id == conversation.id)
            .order_by(Message.id)
        ).all()
        assert texts == ["Đèn đường hỏng", "Bổ sung: cột số 12"]
    page = client.get(f"/gop-y/{code}").text
    assert "Bổ sung: cột số 12" in page
    assert re.search(rf'<img src="/gop-y/{code}/media/[0-9a-f]{{32}}\.png"', page)


def test_a_bad_answer_keeps_the_text_and_adds_nothing(
    client: TestClient, settings: Settings, database: Database
) -> None:
    code = submit(client, settings, "Đèn đường hỏng")
    response = post(client, settings, f"/gop-y/{code}", text="x" * 5000)
    assert response.status_code == 422
    assert "Nội dung dài quá 4000 ký tự" in response.text
    assert "x" * 5000 + "</textarea>" in response.text
    no_csrf = client.post(
        f"/gop-y/{code}",
        data={"text": "Không có CSRF", "form_token": "x"},
        follow_redirects=False,
    )
    assert no_csrf.status_code == 403
    assert ">Không có CSRF</textarea>" in no_csrf.text
    with database.session() as session:
        assert len(session.scalars(select(Message)).all()) == 1


# --- codes and lookups ------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["GY-AAAA-BBBB-CCCC", "not-a-code", "GY-0000-1111-IIII"])
def test_an_unknown_or_malformed_code_gets_a_404_that_leaks_nothing(
    client: TestClient, settings: Settings, code: str
) -> None:
    submit(client, settings, "Một phản ánh có thật")
    for path in (f"/gop-y/{code}", f"/gop-y/{code}/cam-on"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Không tìm thấy phản ánh với mã này" in response.text
        assert "Một phản ánh có thật" not in response.text
    answer = post(client, settings, f"/gop-y/{code}", text="Tôi trả lời")
    assert answer.status_code == 404


def test_the_lookup_box_accepts_the_code_without_dashes_in_any_case(
    client: TestClient, settings: Settings
) -> None:
    code = submit(client, settings, "Phản ánh")
    typed = code.replace("-", "").lower()
    response = client.get("/tra-cuu", params={"ma": typed}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/gop-y/{code}"
    assert client.get(f"/gop-y/{typed}").status_code == 200
    missing = client.get("/tra-cuu", params={"ma": "GY-AAAA-BBBB-CCCC"})
    assert missing.status_code == 404
    assert "Không tìm thấy phản ánh với mã này" in missing.text
    assert 'value="GY-AAAA-BBBB-CCCC"' in missing.text  # kept in the box, to correct it


def test_the_old_lookup_address_sends_on_to_the_one_box_with_the_code(
    client: TestClient, settings: Settings
) -> None:
    code = submit(client, settings, "Phản ánh")
    old = client.get("/gop-y/tra-cuu", params={"ma": code}, follow_redirects=False)
    assert old.status_code == 301
    assert old.headers["location"] == f"/tra-cuu?ma={code}"
    assert client.get("/gop-y/tra-cuu", follow_redirects=False).headers["location"] == "/tra-cuu"
    assert client.get("/gop-y/tra-cuu", params={"ma": code}).url.path == f"/gop-y/{code}"


def test_guessing_codes_is_stopped_after_a_few_wrong_ones(
    client: TestClient, settings: Settings
) -> None:
    code = submit(client, settings, "Phản ánh")
    for _ in range(refusals.LOOKUP_FAILURES_PER_HOUR):
        guess = webform.new_tracking_code()
        assert client.get("/tra-cuu", params={"ma": guess}).status_code == 404
    # From now on even the right code is refused from this address: no more guesses to test.
    blocked = client.get(f"/gop-y/{code}")
    assert blocked.status_code == 429
    assert "nhập sai mã quá nhiều lần" in blocked.text
    assert client.get("/tra-cuu", params={"ma": code}).status_code == 429


# --- stored photos ----------------------------------------------------------------------------


@pytest.fixture
def photo_thread(client: TestClient, settings: Settings, database: Database) -> tuple[str, str]:
    """A submission with a photo: (tracking code, media name)."""
    code = submit(client, settings, "Ảnh cây đổ", photo=("cay.png", photo_bytes(), "image/png"))
    [name] = stored_photos(database)
    return code, name


def test_photos_are_not_served_to_anonymous_visitors(
    other_client: TestClient, photo_thread: tuple[str, str]
) -> None:
    _code, name = photo_thread
    response = other_client.get(f"/media/{name}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert b"PNG" not in response.content


def test_photos_are_not_served_to_staff_of_another_commune(
    other_client: TestClient, personas: Personas, photo_thread: tuple[str, str]
) -> None:
    _code, name = photo_thread
    sign_in(other_client, personas.officer_b)
    assert other_client.get(f"/media/{name}").status_code == 404


def test_staff_of_the_commune_get_the_photo_with_its_type_and_nosniff(
    other_client: TestClient, personas: Personas, photo_thread: tuple[str, str]
) -> None:
    _code, name = photo_thread
    sign_in(other_client, personas.viewer_a)
    response = other_client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert Image.open(io.BytesIO(response.content)).size == (32, 32)


def test_the_citizen_sees_their_photo_only_through_their_own_code(
    client: TestClient, settings: Settings, photo_thread: tuple[str, str]
) -> None:
    code, name = photo_thread
    other = submit(client, settings, "Một phản ánh khác")
    own = client.get(f"/gop-y/{code}/media/{name}")
    assert own.status_code == 200
    assert own.headers["content-type"] == "image/png"
    assert own.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/gop-y/{other}/media/{name}").status_code == 404


@pytest.mark.parametrize(
    "name", ["..%2F..%2Fetc%2Fpasswd", "%2e%2e", "ABCDEF.png", "0" * 32 + ".svg", "0" * 32 + ".png"]
)
def test_unsafe_or_unknown_media_names_are_404(
    other_client: TestClient,
    personas: Personas,
    photo_thread: tuple[str, str],
    name: str,
) -> None:
    code, _name = photo_thread
    sign_in(other_client, personas.admin)
    assert other_client.get(f"/media/{name}").status_code == 404
    assert other_client.get(f"/gop-y/{code}/media/{name}").status_code == 404
