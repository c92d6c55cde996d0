"""POST /webhooks/zalo-oa with recorded payloads and real signatures: one test per condition.

The main cases go through the whole stack on a real socket (`live_server`); the rest use the
in-process client. What was stored is read back from the database.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from danvan.channels.base import EventKind
from danvan.channels.zalo_oa.inbound import parse
from danvan.channels.zalo_oa.payloads import FIXTURES, MAX_BODY
from danvan.channels.zalo_oa.signature import sign
from danvan.inbox.models import (
    Contact,
    Conversation,
    Delivery,
    Direction,
    InboundEvent,
    Message,
    OutboxItem,
)
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer
from danvan.web.app import create_app

URL = "/webhooks/zalo-oa"
USER = "2512523625412515"  # the citizen in every recorded payload
OA = "579745863508352884"


# The recorded payloads were sent on 2025-11-29 (08:00-09:37 UTC): their signed timestamps are
# fresh (inbound._check_fresh) only on that day, so this module's tests run from it.
RECORDED_DAY = datetime(2025, 11, 29, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _recorded_day(settings: Settings) -> Iterator[None]:
    settings.clock_start = RECORDED_DAY  # the app factory starts the clock from it too
    with clock.running_from(RECORDED_DAY):
        yield


def recorded(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def variant(name: str, **changes: Any) -> bytes:
    """A recorded payload with some top-level fields replaced, as compact JSON (as Zalo sends)."""
    data = json.loads(recorded(name))
    data.update(changes)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def signed(
    body: bytes, settings: Settings, *, secret: str | None = None, first_id: str | None = None
) -> dict[str, str]:
    timestamp = str(json.loads(body)["timestamp"])
    value = sign(
        first_id or settings.zalo_oa_app_id,
        body,
        timestamp,
        secret or settings.zalo_oa_secret_key,
    )
    return {"X-ZEvent-Signature": value, "Content-Type": "application/json"}


def post_live(server: ThreadedServer, body: bytes, headers: dict[str, Any]) -> httpx.Response:
    return httpx.post(server.url + URL, content=body, headers=headers, timeout=10)


def count(database: Database, model: type[Any]) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def counts(database: Database) -> tuple[int, ...]:
    return tuple(count(database, m) for m in (InboundEvent, Contact, Message, OutboxItem))


def messages(database: Database) -> list[Message]:
    with database.session() as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


def inbound(database: Database) -> Message:
    (message,) = [m for m in messages(database) if m.direction == Direction.IN]
    return message


def contact(database: Database) -> Contact:
    with database.session() as session:
        return session.scalars(select(Contact)).one()


# --- Messages ------------------------------------------------------------------------------------


def test_a_text_message_creates_a_contact_a_conversation_and_a_message(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    body = recorded("user_send_text")
    response = post_live(live_server, body, signed(body, settings))
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    # Committed before the 200: another connection sees it at once.
    message = inbound(database)
    assert message.text == "Chào cán bộ xã, đường liên thôn bị sạt lở sau mưa lớn."
    assert message.external_id == "cb31dff1c39642cc1b83"
    assert message.kind == "text"
    assert message.created_at.isoformat() == "2025-11-29T08:00:00+00:00"
    citizen = contact(database)
    assert (citizen.channel, citizen.external_id) == ("zalo_oa", USER)
    assert citizen.app_user_id == "5833716869612383681"
    with database.session() as session:
        event = session.scalars(select(InboundEvent)).one()
        assert event.raw == body.decode()
        assert event.event_name == "user_send_text"
        assert event.outcome == "processed"
        assert session.scalars(select(Conversation)).one().unread_count == 1


def test_an_image_is_stored_with_its_url_thumbnail_and_caption(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    body = recorded("user_send_image")
    assert post_live(live_server, body, signed(body, settings)).status_code == 200
    message = inbound(database)
    assert message.kind == "image"
    assert message.text == "Ảnh đoạn đường bị sạt"
    assert message.attachments == [
        {
            "type": "image",
            "url": "https://photo-stal-1.zdn.vn/full/abc.jpg",
            "thumbnail": "https://photo-stal-1.zdn.vn/thumb/abc.jpg",
        }
    ]


def test_a_file_is_stored_with_its_name_and_size(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = recorded("user_send_file")
    assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    message = inbound(database)
    assert message.kind == "file"
    assert message.attachments == [
        {
            "type": "file",
            "url": "https://f21-zpc.zdn.vn/2563/don-de-nghi.pdf",
            "name": "don-de-nghi.pdf",
            "size": 183204,
        }
    ]


def test_a_location_is_stored_with_its_coordinates(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    body = recorded("user_send_location")
    assert post_live(live_server, body, signed(body, settings)).status_code == 200
    message = inbound(database)
    assert message.kind == "location"
    assert message.attachments == [
        {"type": "location", "latitude": 22.7961234, "longitude": 105.1234567}
    ]


def test_a_location_given_as_message_location_is_stored_too(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = variant(
        "user_send_location",
        message={"msg_id": "loc-2", "location": {"latitude": "21.8", "longitude": 105.2}},
    )
    assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    assert inbound(database).attachments == [
        {"type": "location", "latitude": 21.8, "longitude": 105.2}
    ]


def test_a_sticker_is_stored_with_its_id_and_url(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = recorded("user_send_sticker")
    assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    message = inbound(database)
    assert message.kind == "sticker"
    (sticker,) = message.attachments
    assert sticker["name"] == "bfe458bf64fa8da4d4eb"
    assert sticker["url"].startswith("https://zalo-api.zadn.vn/api/emoticon/sticker/")


def test_a_link_is_stored_with_its_url_title_and_thumbnail(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = recorded("user_send_link")
    assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    message = inbound(database)
    assert message.kind == "link"
    assert message.attachments == [
        {
            "type": "link",
            "url": "https://baotuyenquang.com.vn/tin-tuc/duong-sat-lo.html",
            "thumbnail": "https://baotuyenquang.com.vn/thumb.jpg",
            "title": "Sạt lở đường liên thôn",
        }
    ]


def test_a_javascript_link_is_not_kept_as_a_link(
    client: TestClient, settings: Settings, database: Database
) -> None:
    attachment = {"type": "link", "payload": {"url": "javascript:alert(1)", "title": "Xem"}}
    body = variant("user_send_link", message={"msg_id": "js-1", "attachments": [attachment]})
    assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    assert inbound(database).attachments == [{"type": "link", "title": "Xem"}]
    # The raw event keeps what was sent, for the record.
    with database.session() as session:
        assert "javascript:alert(1)" in session.scalars(select(InboundEvent.raw)).one()


def test_an_audio_message_is_stored_with_its_url(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = recorded("user_send_audio")
    assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    message = inbound(database)
    assert message.kind == "audio"
    assert message.attachments == [
        {"type": "audio", "url": "https://voice-stal.zdn.vn/2563/voice.aac"}
    ]


def test_a_video_is_stored_with_its_url_thumbnail_and_caption(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = recorded("user_send_video")
    assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    message = inbound(database)
    assert (message.kind, message.text) == ("video", "Nước tràn qua cầu")
    assert message.attachments == [
        {
            "type": "video",
            "url": "https://video-stal.zdn.vn/2563/clip.mp4",
            "thumbnail": "https://video-stal.zdn.vn/thumb.jpg",
        }
    ]


@pytest.mark.parametrize("kind", ["gif", "business_card"])
def test_a_gif_and_a_business_card_are_stored_with_their_kind(
    client: TestClient, settings: Settings, database: Database, kind: str
) -> None:
    attachment = {"type": kind, "payload": {"thumbnail": "https://zdn.vn/t.jpg"}}
    body = variant(
        "user_send_image",
        event_name=f"user_send_{kind}",
        message={"msg_id": f"{kind}-1", "attachments": [attachment]},
    )
    assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    message = inbound(database)
    assert message.kind == kind
    assert message.attachments == [{"type": kind, "thumbnail": "https://zdn.vn/t.jpg"}]


def test_nfd_text_is_stored_as_nfc(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    nfd = unicodedata.normalize("NFD", "Tôi ở xã Minh Quang, đường bị hỏng")
    assert nfd != unicodedata.normalize("NFC", nfd)
    body = variant("user_send_text", message={"msg_id": "nfd-1", "text": nfd})
    assert post_live(live_server, body, signed(body, settings)).status_code == 200
    message = inbound(database)
    assert message.text == "Tôi ở xã Minh Quang, đường bị hỏng"
    assert unicodedata.is_normalized("NFC", message.text)
    # ... and the NFC text is what the commune is recognised in.
    assert contact(database).commune_code == 2302


def test_numeric_ids_are_kept_exact_as_strings(
    client: TestClient, settings: Settings, database: Database
) -> None:
    # 2^63 - 1 does not survive a float; it must come through digit for digit.
    raw = recorded("user_send_text").replace(b'"2512523625412515"', b"9223372036854775807")
    assert b"9223372036854775807" in raw
    assert client.post(URL, content=raw, headers=signed(raw, settings)).status_code == 200
    assert contact(database).external_id == "9223372036854775807"


def test_a_first_message_asks_the_citizen_for_their_commune(
    client: TestClient, settings: Settings, database: Database
) -> None:
    settings.ask_commune_automatically = True
    body = recorded("user_send_text")
    assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    assert count(database, OutboxItem) == 1
    (prompt,) = [m for m in messages(database) if m.direction == Direction.OUT]
    assert prompt.source == "system"


# --- Echoes, follows, shared info, receipts ------------------------------------------------------


def test_an_echo_is_recorded_as_sent_from_the_oa_inbox_and_not_answered(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    body = recorded("oa_send_text")
    assert post_live(live_server, body, signed(body, settings)).status_code == 200
    (message,) = messages(database)
    assert message.direction == Direction.OUT
    assert message.source == "oa_inbox"
    assert message.delivery_status == Delivery.SENT
    assert message.text == "Xã đã cử cán bộ xuống kiểm tra đoạn đường."
    assert message.external_id == "e0e1e2e3e4e5e6e7e8e9"
    # The citizen is the recipient (not the OA), and nothing is sent back.
    assert contact(database).external_id == USER
    assert count(database, OutboxItem) == 0


def test_the_echo_of_a_reply_danvan_sent_is_not_stored_twice(
    client: TestClient, settings: Settings, database: Database
) -> None:
    reply_id = _our_reply(database, "e0e1e2e3e4e5e6e7e8e9")
    body = recorded("oa_send_text")
    assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    assert [m.id for m in messages(database)] == [reply_id]
    assert count(database, InboundEvent) == 1


def test_a_follow_marks_the_contact_as_a_follower(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    body = recorded("follow")
    assert post_live(live_server, body, signed(body, settings)).status_code == 200
    citizen = contact(database)
    assert citizen.external_id == USER
    assert citizen.is_follower is True
    assert count(database, Message) == 0


def test_an_unfollow_marks_the_contact_as_no_longer_following(
    client: TestClient, settings: Settings, database: Database
) -> None:
    for name in ("follow", "unfollow"):
        body = recorded(name)
        assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    assert contact(database).is_follower is False


def test_shared_info_fills_the_contact_and_routes_it_to_its_commune(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = recorded("user_submit_info")
    assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    citizen = contact(database)
    assert citizen.display_name == "Nguyễn Thị Hoa"
    assert citizen.phone == "84912345678"
    # address, ward, district and city joined: the empty district is left out.
    assert citizen.address == "Thôn Nà Lầu, Xã Minh Quang, Tuyên Quang"
    assert citizen.commune_code == 2302
    assert citizen.consent_at is not None


def _our_reply(database: Database, external_id: str) -> int:
    """A reply danvan sent earlier, as the worker leaves it: sent, with the platform's id."""
    with database.session() as session:
        citizen = Contact(channel="zalo_oa", external_id=USER)
        session.add(citizen)
        session.flush()
        conversation = Conversation(contact_id=citizen.id, channel="zalo_oa")
        session.add(conversation)
        session.flush()
        reply = Message(
            conversation_id=conversation.id,
            channel="zalo_oa",
            direction=Direction.OUT,
            text="Xã đã nhận phản ánh.",
            source="staff",
            external_id=external_id,
            delivery_status=Delivery.SENT,
        )
        session.add(reply)
        session.flush()
        return reply.id


def test_user_received_marks_our_message_delivered(
    client: TestClient, settings: Settings, database: Database
) -> None:
    reply_id = _our_reply(database, "oa-msg-0002")
    body = recorded("user_received_message")
    assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    with database.session() as session:
        reply = session.get(Message, reply_id)
        assert reply is not None
        assert reply.delivery_status == Delivery.DELIVERED
        assert reply.delivered_at is not None


def test_user_seen_marks_our_message_seen(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    reply_id = _our_reply(database, "oa-msg-0001")
    body = recorded("user_seen_message")
    assert post_live(live_server, body, signed(body, settings)).status_code == 200
    with database.session() as session:
        reply = session.get(Message, reply_id)
        assert reply is not None
        assert reply.delivery_status == Delivery.SEEN
        assert reply.seen_at is not None
        assert reply.seen_at.isoformat() == "2025-11-29T08:11:40+00:00"


def test_a_receipt_with_a_single_msg_id_is_understood(settings: Settings) -> None:
    body = variant("user_seen_message", message={"msg_id": "oa-msg-0009"})
    (event,) = parse(
        {"x-zevent-signature": signed(body, settings)["X-ZEvent-Signature"]},
        body,
        settings=settings,
    ).events
    assert event.kind == EventKind.SEEN
    assert event.message_ids == ("oa-msg-0009",)
    assert event.dedupe_key == "seen:oa-msg-0009:1764403900000"


def test_a_receipt_with_many_ids_gets_a_short_unique_key(settings: Settings) -> None:
    ids = [f"oa-msg-{n:06d}" for n in range(40)]
    keys = set()
    for timestamp in ("1764403900000", "1764403900001"):
        body = variant("user_seen_message", message={"msg_ids": ids}, timestamp=timestamp)
        headers = {"x-zevent-signature": signed(body, settings)["X-ZEvent-Signature"]}
        (event,) = parse(headers, body, settings=settings).events
        assert len(event.dedupe_key) <= 200
        assert event.message_ids == tuple(ids)
        keys.add(event.dedupe_key)
    assert len(keys) == 2


def test_a_zns_receipt_goes_to_the_template_messages_and_makes_no_contact(
    client: TestClient, settings: Settings, database: Database
) -> None:
    # Even without the X-ZEvent-Server header its shape (a phone as recipient, a tracking id)
    # tells a template message's receipt; it matches no notice here, so it marks nothing.
    body = recorded("zns_user_received_message")
    assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    with database.session() as session:
        event = session.scalars(select(InboundEvent)).one()
        assert (event.channel, event.outcome) == ("zalo_zns", "processed")
        assert event.raw == body.decode()
    assert count(database, Contact) == 0


def test_an_event_flagged_by_the_zns_header_is_stored_raw(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = recorded("user_send_text")
    headers = {**signed(body, settings), "X-ZEvent-Server": "ZNS"}
    assert client.post(URL, content=body, headers=headers).status_code == 200
    assert count(database, Message) == 0
    assert count(database, InboundEvent) == 1


def test_an_unknown_event_is_stored_raw_and_acknowledged(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    body = recorded("unknown_event")
    response = post_live(live_server, body, signed(body, settings))
    assert response.status_code == 200
    with database.session() as session:
        event = session.scalars(select(InboundEvent)).one()
        assert event.event_name == "user_reacted_message"
        assert event.outcome == "stored"
        assert event.raw == body.decode()
    assert count(database, Contact) == 0
    assert count(database, Message) == 0


def test_an_unknown_event_with_odd_fields_is_still_stored_raw(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = variant("unknown_event", sender=5, message=[1, 2])
    assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    assert count(database, InboundEvent) == 1


# --- Redelivery ----------------------------------------------------------------------------------


def test_a_redelivered_message_stores_nothing_new(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    settings.ask_commune_automatically = True
    body = recorded("user_send_image")
    for _ in range(3):
        assert post_live(live_server, body, signed(body, settings)).status_code == 200
    assert counts(database) == (1, 1, 2, 1)  # event; contact; message + commune prompt; prompt


def test_a_redelivered_follow_stores_nothing_new(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = recorded("follow")
    for _ in range(2):
        assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
    assert counts(database) == (1, 1, 0, 0)
    # A later follow (another timestamp) is a new event.
    later = variant("follow", timestamp="1764409999000")
    assert client.post(URL, content=later, headers=signed(later, settings)).status_code == 200
    assert count(database, InboundEvent) == 2


def test_a_redelivered_receipt_and_unknown_event_store_nothing_new(
    client: TestClient, settings: Settings, database: Database
) -> None:
    for name in ("user_seen_message", "unknown_event"):
        body = recorded(name)
        for _ in range(2):
            response = client.post(URL, content=body, headers=signed(body, settings))
            assert response.status_code == 200
    assert count(database, InboundEvent) == 2


# --- Signature -----------------------------------------------------------------------------------


def test_a_wrong_signature_gets_401_and_stores_nothing(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    body = recorded("user_send_text")
    for headers in (
        signed(body, settings, secret="not-the-secret"),
        signed(body, settings, first_id="1111111111111"),
        {"X-ZEvent-Signature": "mac=" + "0" * 64},
        {"X-ZEvent-Signature": signed(body, settings)["X-ZEvent-Signature"][4:]},  # no mac=
        {"X-ZEvent-Signature": "mac=ü".encode("latin-1")},  # not ASCII
    ):
        response = post_live(live_server, body, headers)
        assert response.status_code == 401
    # Signed over one body, sent with another.
    other = variant("user_send_text", message={"msg_id": "x", "text": "Giả mạo"})
    response = post_live(live_server, other, signed(body, settings))
    assert response.status_code == 401
    assert counts(database) == (0, 0, 0, 0)


def test_a_missing_signature_gets_401(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = recorded("user_send_text")
    response = client.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    assert "X-ZEvent-Signature" in response.json()["detail"]
    assert counts(database) == (0, 0, 0, 0)


def test_an_unsigned_empty_post_gets_401_and_the_url_check_get_gets_200(
    client: TestClient, database: Database
) -> None:
    assert client.post(URL, content=b"{}").status_code == 401
    assert client.get(URL).status_code == 200
    assert count(database, InboundEvent) == 0


def test_the_app_secret_variant_is_accepted_and_logged(
    client: TestClient, settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    body = recorded("user_send_text")
    headers = signed(body, settings, secret=settings.zalo_app_secret_key)
    with caplog.at_level(logging.INFO, logger="danvan.channels.zalo_oa"):
        assert client.post(URL, content=body, headers=headers).status_code == 200
    assert "app_id+app_secret" in caplog.text
    assert settings.zalo_app_secret_key not in caplog.text
    assert settings.zalo_oa_secret_key not in caplog.text
    assert count(database, Message) >= 1


def test_the_oa_id_first_variant_is_accepted_and_logged(
    client: TestClient, settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    body = recorded("follow")
    headers = signed(body, settings, first_id=OA)
    with caplog.at_level(logging.INFO, logger="danvan.channels.zalo_oa"):
        assert client.post(URL, content=body, headers=headers).status_code == 200
    assert "oa_id+oa_secret" in caplog.text
    assert count(database, Contact) == 1


def test_parse_says_which_variant_matched(settings: Settings) -> None:
    body = recorded("user_send_text")
    for secret, matched in (
        (settings.zalo_oa_secret_key, "app_id+oa_secret"),
        (settings.zalo_app_secret_key, "app_id+app_secret"),
    ):
        headers = {
            "x-zevent-signature": signed(body, settings, secret=secret)["X-ZEvent-Signature"]
        }
        assert parse(headers, body, settings=settings).matched == matched


def test_the_timestamp_header_is_used_only_when_the_body_has_none(
    client: TestClient, settings: Settings, database: Database
) -> None:
    data = json.loads(recorded("user_send_text"))
    del data["timestamp"]
    body = json.dumps(data, ensure_ascii=False).encode()
    mac = sign(settings.zalo_oa_app_id, body, "1764403200000", settings.zalo_oa_secret_key)
    headers = {"X-ZEvent-Signature": mac, "X-ZEvent-Timestamp": "1764403200000"}
    assert client.post(URL, content=body, headers=headers).status_code == 200
    assert inbound(database).created_at.isoformat() == "2025-11-29T08:00:00+00:00"
    # With a timestamp in the body, a signature over the header's timestamp is refused.
    other = variant("user_send_text", message={"msg_id": "m-2", "text": "Chào"})
    mac = sign(settings.zalo_oa_app_id, other, "1764403200999", settings.zalo_oa_secret_key)
    headers = {"X-ZEvent-Signature": mac, "X-ZEvent-Timestamp": "1764403200999"}
    assert client.post(URL, content=other, headers=headers).status_code == 401


def test_an_unconfigured_oa_refuses_every_call_with_503(
    settings: Settings, database: Database
) -> None:
    unconfigured = settings.model_copy(update={"zalo_oa_secret_key": ""})
    body = recorded("user_send_text")
    with TestClient(create_app(unconfigured, database)) as client:
        for headers in ({}, signed(body, settings), signed(body, settings, secret="")):
            response = client.post(URL, content=body, headers=headers)
            assert response.status_code == 503
            assert "DANVAN_ZALO_OA_SECRET_KEY" in response.json()["detail"]
    assert count(database, InboundEvent) == 0


# --- Bad bodies ----------------------------------------------------------------------------------


def _signed_raw(body: bytes, settings: Settings) -> dict[str, str]:
    """Signed over the body's timestamp when it has a usable one, else over the header's."""
    found = re.search(rb'"timestamp":"(\d+)"', body)
    timestamp = found.group(1).decode() if found else "1764403200000"
    mac = sign(settings.zalo_oa_app_id, body, timestamp, settings.zalo_oa_secret_key)
    return {"X-ZEvent-Signature": mac, "X-ZEvent-Timestamp": timestamp}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param(b'{"event_name":"user_send_text","x":"\xff\xfe"}', 400, id="invalid-utf8"),
        pytest.param(b'{"event_name":"x","x":"\xed\xa0\x80"}', 400, id="cesu-surrogate"),
        pytest.param(b'{"event_name": "user_send_text",', 400, id="malformed-json"),
        pytest.param(b'["user_send_text"]', 400, id="json-array"),
        pytest.param(b'"user_send_text"', 400, id="json-string"),
        pytest.param(b"", 400, id="empty"),
        pytest.param(b'{"event_name":"user_send_text","x":NaN}', 400, id="nan"),
        pytest.param(b'{"event_name":"user_send_text","x":"\\ud800"}', 400, id="lone-surrogate"),
        pytest.param(b"[" * 5000 + b"]" * 5000, 400, id="deep-nesting"),
        pytest.param(b'{"timestamp":"1764403200000","sender":{"id":"1"}}', 422, id="no-event-name"),
        pytest.param(b'{"event_name":42,"timestamp":"1764403200000"}', 422, id="event-name-number"),
        pytest.param(b'{"event_name":"follow","timestamp":true}', 422, id="timestamp-bool"),
        pytest.param(
            b'{"event_name":"user_send_text","timestamp":"1764403200000","sender":"u1",'
            b'"message":{"text":"hi","msg_id":"m1"}}',
            422,
            id="sender-not-object",
        ),
        pytest.param(
            b'{"event_name":"user_send_text","timestamp":"1764403200000","sender":{"id":"u1"},'
            b'"message":{"text":12,"msg_id":"m1"}}',
            422,
            id="text-a-number",
        ),
        pytest.param(
            b'{"event_name":"user_send_text","timestamp":"1764403200000","sender":{"id":1.5},'
            b'"message":{"text":"hi","msg_id":"m1"}}',
            422,
            id="id-a-float",
        ),
        pytest.param(
            b'{"event_name":"user_send_text","timestamp":"1764403200000","sender":{"id":"u1"}}',
            422,
            id="message-missing",
        ),
        pytest.param(
            b'{"event_name":"user_send_text","timestamp":"1764403200000","sender":{"id":"u\\u0000"},'
            b'"message":{"text":"hi","msg_id":"m1"}}',
            422,
            id="id-with-nul",
        ),
        pytest.param(
            b'{"event_name":"user_send_location","timestamp":"1764403200000","sender":{"id":"u1"},'
            b'"message":{"msg_id":"m1","attachments":[{"type":"location","payload":'
            b'{"coordinates":{"latitude":"north","longitude":"105"}}}]}}',
            422,
            id="latitude-not-a-number",
        ),
        pytest.param(
            b'{"event_name":"user_send_text","timestamp":"99999999999999999999",'
            b'"sender":{"id":"u1"},"message":{"text":"hi","msg_id":"m1"}}',
            422,
            id="timestamp-out-of-range",
        ),
        pytest.param(
            b'{"event_name":"follow","timestamp":"1764403200000"}',
            422,
            id="follow-without-follower",
        ),
        pytest.param(
            b'{"event_name":"user_seen_message","timestamp":"1764403200000","sender":{"id":"u1"},'
            b'"message":{}}',
            422,
            id="receipt-without-ids",
        ),
    ],
)
def test_a_bad_body_gets_a_clear_4xx_and_stores_nothing(
    client: TestClient, settings: Settings, database: Database, body: bytes, status: int
) -> None:
    response = client.post(URL, content=body, headers=_signed_raw(body, settings))
    assert response.status_code == status
    assert response.json()["detail"]
    assert counts(database) == (0, 0, 0, 0)


def test_a_body_over_256_kib_gets_413_and_stores_nothing(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = variant("user_send_text", padding="x" * MAX_BODY)
    response = client.post(URL, content=body, headers=signed(body, settings))
    assert response.status_code == 413
    # Without a Content-Length (chunked), the actual size is checked as it arrives.
    chunks = iter([body[:1000], body[1000:]])
    response = client.post(URL, content=chunks, headers=signed(body, settings))
    assert response.status_code == 413
    assert count(database, InboundEvent) == 0


def test_a_body_just_under_the_limit_is_accepted(
    client: TestClient, settings: Settings, database: Database
) -> None:
    body = variant("user_send_text", padding="")
    body = variant("user_send_text", padding="x" * (MAX_BODY - len(body)))
    assert len(body) == MAX_BODY
    assert client.post(URL, content=body, headers=signed(body, settings)).status_code == 200
