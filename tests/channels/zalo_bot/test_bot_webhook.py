"""POST /webhooks/zalo-bot with recorded updates and the secret token: one test per condition."""

from __future__ import annotations

import json
import logging
import unicodedata
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from danvan.channels.zalo_bot.payloads import FIXTURES
from danvan.channels.zalo_oa.payloads import MAX_BODY
from danvan.inbox.models import Contact, Direction, InboundEvent, Message
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer
from danvan.web.app import create_app

URL = "/webhooks/zalo-bot"
CHAT = "6ede9afa66b88fe6d6a9"


def recorded(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def variant(name: str, **message: Any) -> bytes:
    data = json.loads(recorded(name))
    data["message"].update(message)
    return json.dumps(data, ensure_ascii=False).encode()


def token(settings: Settings) -> dict[str, str]:
    return {"X-Bot-Api-Secret-Token": settings.zalo_bot_secret}


def post_live(server: ThreadedServer, body: bytes, headers: dict[str, Any]) -> httpx.Response:
    return httpx.post(server.url + URL, content=body, headers=headers, timeout=10)


def count(database: Database, model: type[Any]) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def inbound(database: Database) -> Message:
    with database.session() as session:
        return session.scalars(select(Message).where(Message.direction == Direction.IN)).one()


def test_a_text_update_creates_a_contact_for_the_chat_and_a_message(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    body = recorded("text")
    response = post_live(live_server, body, token(settings))
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    message = inbound(database)
    assert message.channel == "zalo_bot"
    assert message.text == "Xin chào, tôi muốn phản ánh về đèn đường ở thôn Bản Thàng."
    assert message.external_id == "2d758cb5e2c8b53a"
    assert message.created_at.isoformat() == "2025-11-29T08:00:00+00:00"
    with database.session() as session:
        contact = session.scalars(select(Contact)).one()
        assert (contact.channel, contact.external_id) == ("zalo_bot", CHAT)
        assert contact.display_name == "Nguyễn Văn Bình"
        event = session.scalars(select(InboundEvent)).one()
        assert event.dedupe_key == "message.text.received:2d758cb5e2c8b53a"
        assert event.raw == body.decode()


def test_an_image_is_stored_with_its_url_and_caption(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    body = recorded("image")
    assert post_live(live_server, body, token(settings)).status_code == 200
    message = inbound(database)
    assert (message.kind, message.text) == ("image", "Đèn hỏng ở đầu cầu")
    assert message.attachments == [
        {"type": "image", "url": "https://bot-media.zaloplatforms.com/img/3e869dc6.jpg"}
    ]


def test_an_image_given_as_photo_is_stored_too(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = variant("image", photo_url=None, photo="https://bot-media.zaloplatforms.com/p.jpg")
    assert client.post(URL, content=body, headers=token(settings)).status_code == 200
    assert inbound(database).attachments == [
        {"type": "image", "url": "https://bot-media.zaloplatforms.com/p.jpg"}
    ]


def test_a_sticker_is_stored_with_its_id_and_url(
    client: TestClient, settings: Settings, database: Database
) -> None:
    assert client.post(URL, content=recorded("sticker"), headers=token(settings)).status_code == 200
    message = inbound(database)
    assert message.kind == "sticker"
    (sticker,) = message.attachments
    assert sticker["name"] == "bfe458bf64fa8da4d4eb"
    assert sticker["url"].startswith("https://zalo-api.zadn.vn/")


def test_a_voice_message_is_stored_as_audio_and_its_date_in_seconds_is_understood(
    client: TestClient, settings: Settings, database: Database
) -> None:
    assert client.post(URL, content=recorded("voice"), headers=token(settings)).status_code == 200
    message = inbound(database)
    assert message.kind == "audio"
    assert message.attachments == [
        {"type": "audio", "url": "https://bot-media.zaloplatforms.com/voice/50a8bfe8.aac"}
    ]
    assert message.created_at.isoformat() == "2025-11-29T08:03:00+00:00"


def test_an_unsupported_message_is_stored_without_content(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = recorded("unsupported")
    assert client.post(URL, content=body, headers=token(settings)).status_code == 200
    message = inbound(database)
    assert (message.kind, message.text, message.attachments) == ("unsupported", "", [])


def test_a_wrapped_update_is_understood_like_a_flat_one(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    body = recorded("wrapped_text")
    assert post_live(live_server, body, token(settings)).status_code == 200
    assert inbound(database).text == "Cho hỏi lịch tiêm phòng tháng này?"
    with database.session() as session:
        # `from.name` when there is no `display_name`.
        assert session.scalars(select(Contact.display_name)).one() == "Nguyễn Văn Bình"


def test_nfd_text_is_stored_as_nfc(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = variant("text", text=unicodedata.normalize("NFD", "Đèn đường hỏng"))
    assert client.post(URL, content=body, headers=token(settings)).status_code == 200
    assert inbound(database).text == "Đèn đường hỏng"


def test_an_unknown_event_is_stored_raw_and_acknowledged(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    body = recorded("unknown_event")
    assert post_live(live_server, body, token(settings)).status_code == 200
    with database.session() as session:
        event = session.scalars(select(InboundEvent)).one()
        assert (event.event_name, event.outcome) == ("message.location.received", "stored")
        assert event.raw == body.decode()
    assert count(database, Message) == 0


def test_a_redelivered_update_stores_nothing_new(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    settings.ask_commune_automatically = True
    for _ in range(3):
        assert post_live(live_server, recorded("text"), token(settings)).status_code == 200
    assert count(database, InboundEvent) == 1
    assert count(database, Contact) == 1
    # The message and the one prompt asking for the commune.
    assert count(database, Message) == 2


def test_the_same_message_under_another_event_name_is_stored_once(
    client: TestClient, settings: Settings, database: Database
) -> None:
    data = json.loads(recorded("text"))
    assert client.post(URL, json=data, headers=token(settings)).status_code == 200
    data["event_name"] = "message.unsupported.received"
    assert client.post(URL, json=data, headers=token(settings)).status_code == 200
    assert count(database, InboundEvent) == 2  # both kept raw
    assert inbound(database).text.startswith("Xin chào")


def test_a_wrong_token_gets_401_and_stores_nothing(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    body = recorded("text")
    for headers in (
        {"X-Bot-Api-Secret-Token": "not-the-secret"},
        {"X-Bot-Api-Secret-Token": settings.zalo_bot_secret + "x"},
        {"X-Bot-Api-Secret-Token": "bí-mật".encode()},  # not ASCII
        {"X-ZEvent-Signature": "mac=00"},
    ):
        assert post_live(live_server, body, headers).status_code == 401
    assert count(database, InboundEvent) == 0


def test_a_missing_token_gets_401(
    client: TestClient, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.post(URL, content=recorded("text"))
    assert response.status_code == 401
    assert "X-Bot-Api-Secret-Token" in response.json()["detail"]
    assert count(database, InboundEvent) == 0


def test_the_secret_never_reaches_the_logs(
    client: TestClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        client.post(URL, content=recorded("text"), headers=token(settings))
        client.post(URL, content=recorded("text"), headers={"X-Bot-Api-Secret-Token": "guess"})
    assert settings.zalo_bot_secret not in caplog.text


def test_an_unconfigured_bot_refuses_every_call_with_503(
    settings: Settings, database: Database
) -> None:
    unconfigured = settings.model_copy(update={"zalo_bot_secret": ""})
    with TestClient(create_app(unconfigured, database)) as client:
        for headers in ({}, {"X-Bot-Api-Secret-Token": ""}, token(settings)):
            response = client.post(URL, content=recorded("text"), headers=headers)
            assert response.status_code == 503
    assert count(database, InboundEvent) == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param(b'{"event_name":"message.text.received"\xff}', 400, id="invalid-utf8"),
        pytest.param(b'{"event_name":', 400, id="malformed-json"),
        pytest.param(b"[]", 400, id="json-array"),
        pytest.param(b'{"message":{"chat":{"id":"c"}}}', 422, id="no-event-name"),
        pytest.param(b'{"ok":true,"result":"x"}', 422, id="result-not-object"),
        pytest.param(
            b'{"event_name":"message.text.received","message":"hi"}', 422, id="message-not-object"
        ),
        pytest.param(
            b'{"event_name":"message.text.received","message":{"message_id":"m","text":"hi"}}',
            422,
            id="no-chat",
        ),
        pytest.param(
            b'{"event_name":"message.text.received","message":{"chat":{"id":"c"},"text":5}}',
            422,
            id="text-a-number",
        ),
        pytest.param(
            b'{"event_name":"message.text.received","message":{"chat":{"id":"c"},"date":"soon"}}',
            422,
            id="date-not-epoch",
        ),
        pytest.param(
            b'{"event_name":"message.text.received","message":{"chat":{"id":[1]},"text":"hi"}}',
            422,
            id="chat-id-a-list",
        ),
    ],
)
def test_a_bad_body_gets_a_clear_4xx_and_stores_nothing(
    client: TestClient, settings: Settings, database: Database, body: bytes, status: int
) -> None:
    response = client.post(URL, content=body, headers=token(settings))
    assert response.status_code == status
    assert response.json()["detail"]
    assert count(database, InboundEvent) == 0


def test_a_body_over_256_kib_gets_413_and_stores_nothing(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = variant("text", text="x" * MAX_BODY)
    assert client.post(URL, content=body, headers=token(settings)).status_code == 413
    assert count(database, InboundEvent) == 0
