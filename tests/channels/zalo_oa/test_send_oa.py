"""The OA sender against the stand-in on a real socket. Each case states what Zalo answers and
the request expected: `POST /v3.0/oa/message/cs`, header `access_token`, JSON
`{"recipient":{"user_id"},"message":{"text"}}`; errors come with HTTP 200 and `error != 0`."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from danvan.channels.base import Attachment, OutboundMessage, SendStatus
from danvan.channels.http import HttpTransport, SentState
from danvan.channels.tokens import store_tokens
from danvan.channels.zalo_oa.oauth import OATokenProvider, ZaloOAuthClient
from danvan.channels.zalo_oa.outbound import ZaloOASender
from danvan.devtools.zalo_standin.protocol import CONVERSATION, MESSAGE_CS, UPLOAD_IMAGE
from danvan.devtools.zalo_standin.state import StandinState, state_of
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer

ACCESS = "AT-oa-test-1"
REFRESH = "RT-oa-test-1"
USER = "8421000000042"


@pytest.fixture
def zalo(standin: ThreadedServer) -> StandinState:
    return state_of(standin)


@pytest.fixture
def sender(settings: Settings, database: Database, zalo: StandinState) -> Iterator[ZaloOASender]:
    with database.session() as session:
        store_tokens(
            session,
            platform="zalo_oa",
            access_token=ACCESS,
            refresh_token=REFRESH,
            expires_at=utcnow() + timedelta(hours=25),
        )
    tokens = OATokenProvider(database=database, oauth=ZaloOAuthClient(settings=settings))
    oa = ZaloOASender(settings=settings, tokens=tokens)
    yield oa
    oa.close()


def text(body: str = "Xã đã nhận phản ánh.") -> OutboundMessage:
    return OutboundMessage(recipient=USER, text=body, idempotency_key="key-1")


@dataclass
class Case:
    """One outgoing case: Zalo's scripted answers and the result expected."""

    name: str
    answers: list[dict[str, Any]] = field(default_factory=list)  # Scripted kwargs, FIFO
    status: SendStatus = SendStatus.SENT
    error_code: str | None = None
    reason: str | None = None
    retry_later: bool = False  # retry_after set


CASES = [
    Case("accepted"),
    Case(
        "not a follower",
        [{"body": {"error": -213, "message": "User has not followed OA"}}],
        SendStatus.UNREACHABLE,
        "-213",
        "Người dân chưa quan tâm OA (-213)",
    ),
    Case(
        "no interaction in 7 days",
        [{"body": {"error": -230, "message": "User has not interacted in 7 days"}}],
        SendStatus.UNREACHABLE,
        "-230",
        "Người dân không tương tác với OA trong 7 ngày qua (-230)",
    ),
    Case(
        "interaction window expired",
        [{"body": {"error": -232, "message": "No interaction"}}],
        SendStatus.UNREACHABLE,
        "-232",
    ),
    Case(
        "user banned or inactive",
        [{"body": {"error": -227, "message": "User banned"}}],
        SendStatus.UNREACHABLE,
        "-227",
    ),
    Case(
        "user restricted this type",
        [{"body": {"error": -244, "message": "User restricted"}}],
        SendStatus.UNREACHABLE,
        "-244",
    ),
    Case(
        "user blocked",
        [{"body": {"error": -217, "message": "User blocked invitation"}}],
        SendStatus.UNREACHABLE,
        "-217",
    ),
    Case(
        "user receive quota",
        [{"body": {"error": -218, "message": "Out of quota receive"}}],
        SendStatus.UNREACHABLE,
        "-218",
    ),
    Case(
        "rate limited",
        [{"body": {"error": -32, "message": "Reached limit call api"}}],
        SendStatus.RETRY,
        "-32",
        "Zalo giới hạn tần suất gọi API, sẽ gửi lại sau (-32)",
    ),
    Case(
        "night window",
        [{"body": {"error": -234, "message": "Cannot send at night"}}],
        SendStatus.RETRY,
        "-234",
        retry_later=True,
    ),
    Case(
        "bad params",
        [{"body": {"error": -201, "message": "user_id is invalid"}}],
        SendStatus.FAILED,
        "-201",
        "Tham số gửi tin không hợp lệ (-201)",
    ),
    Case(
        "unknown error keeps Zalo's words",
        [{"body": {"error": -999, "message": "Something new"}}],
        SendStatus.FAILED,
        "-999",
        "Zalo báo lỗi: Something new (-999)",
    ),
    Case("server error", [{"status": 500}], SendStatus.RETRY, "http_500"),
    Case("too many requests", [{"status": 429}], SendStatus.RETRY, "http_429"),
    Case("unreadable 200", [{"status": 200}], SendStatus.RETRY, "bad_response"),
    Case("refused by a proxy", [{"status": 403}], SendStatus.FAILED, "http_403"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_zalo_answer_gives_its_send_result_after_one_expected_request(
    sender: ZaloOASender, zalo: StandinState, case: Case
) -> None:
    for answer in case.answers:
        zalo.script(MESSAGE_CS, **answer)

    result = sender.send(text("Xã đã nhận phản ánh."))

    [request] = zalo.requests
    assert (request.method, request.path) == ("POST", MESSAGE_CS)
    assert request.headers["access_token"] == ACCESS
    assert request.headers["x-idempotency-key"] == "key-1"
    assert request.headers["content-type"] == "application/json"
    assert request.body == {
        "recipient": {"user_id": USER},
        "message": {"text": "Xã đã nhận phản ánh."},
    }
    assert result.status == case.status
    assert result.error_code == case.error_code
    if case.reason is not None:
        assert result.reason == case.reason
    assert (result.retry_after is not None and result.retry_after > 0) == case.retry_later
    if case.status == SendStatus.SENT:
        [received] = zalo.messages(USER)
        assert result.platform_message_id == received.message_id
    else:
        assert zalo.messages() == []


def test_a_timeout_is_a_retry_with_the_timeout_code(
    sender: ZaloOASender, zalo: StandinState
) -> None:
    sender.transport.client.timeout = httpx.Timeout(0.3)
    zalo.script(MESSAGE_CS, {"error": -200}, delay=1.0)

    result = sender.send(text())

    assert (result.status, result.error_code) == (SendStatus.RETRY, "timeout")
    assert len(zalo.requests_to(MESSAGE_CS)) == 1


def test_an_unreachable_server_is_a_retry(sender: ZaloOASender) -> None:
    sender.transport.close()
    sender.transport = HttpTransport(name="zalo_oa", base_url="http://127.0.0.1:9", timeout=1)

    result = sender.send(text())

    assert (result.status, result.error_code) == (SendStatus.RETRY, "connection")


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_an_image_is_uploaded_then_sent_in_a_media_template(
    sender: ZaloOASender, zalo: StandinState, settings: Settings
) -> None:
    media = Path(settings.media_dir)
    media.mkdir(parents=True, exist_ok=True)
    (media / "so-do.png").write_bytes(tiny_png())

    result = sender.send(
        OutboundMessage(
            recipient=USER,
            text="Sơ đồ tuyến đường",
            idempotency_key="key-2",
            attachments=(Attachment(type="image", url="so-do.png"),),
        )
    )

    assert result.status == SendStatus.SENT
    upload, send = zalo.requests
    assert (upload.method, upload.path) == ("POST", UPLOAD_IMAGE)
    assert upload.headers["access_token"] == ACCESS
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert upload.body["file"] == {"filename": "so-do.png", "size": len(tiny_png())}
    [attachment_id] = zalo.uploads
    assert send.body == {
        "recipient": {"user_id": USER},
        "message": {
            "text": "Sơ đồ tuyến đường",
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "media",
                    "elements": [{"media_type": "image", "attachment_id": attachment_id}],
                },
            },
        },
    }
    [received] = zalo.messages(USER)
    assert received.attachment_id == attachment_id


def test_an_image_over_one_megabyte_fails_before_any_request(
    sender: ZaloOASender, zalo: StandinState, settings: Settings
) -> None:
    media = Path(settings.media_dir)
    media.mkdir(parents=True, exist_ok=True)
    (media / "big.jpg").write_bytes(b"\xff" * (1024 * 1024 + 1))

    result = sender.send(
        OutboundMessage(
            recipient=USER,
            text="Ảnh lớn",
            idempotency_key="key-3",
            attachments=(Attachment(type="image", url="big.jpg"),),
        )
    )

    assert result.status == SendStatus.FAILED
    assert result.error_code == "too_big"
    assert zalo.requests == []


# --- the conversation history, asked after a crash ------------------------------------------


def test_the_history_finds_a_text_the_oa_sent_after_the_attempt_started(
    sender: ZaloOASender, zalo: StandinState
) -> None:
    since = utcnow()
    sent = sender.send(text("Lịch tiếp dân: thứ Năm."))

    check = sender.was_sent(recipient=USER, text="Lịch tiếp dân: thứ Năm.", since=since)

    assert check.state == SentState.FOUND
    assert check.message_id == sent.platform_message_id
    [history] = zalo.requests_to(CONVERSATION)
    assert history.method == "GET"
    assert history.headers["access_token"] == ACCESS
    assert json.loads(history.query["data"]) == {"user_id": USER, "offset": 0, "count": 10}


def test_the_history_says_not_found_when_only_the_citizen_wrote_those_words(
    sender: ZaloOASender, zalo: StandinState
) -> None:
    zalo.add_citizen_message(USER, "Cảm ơn")

    check = sender.was_sent(recipient=USER, text="Cảm ơn", since=utcnow())

    assert check.state == SentState.NOT_FOUND


def test_the_history_ignores_ids_known_to_belong_to_other_replies(
    sender: ZaloOASender, zalo: StandinState
) -> None:
    since = utcnow()
    earlier = sender.send(text("Cảm ơn bạn."))
    assert earlier.platform_message_id is not None

    check = sender.was_sent(
        recipient=USER,
        text="Cảm ơn bạn.",
        since=since,
        exclude=frozenset({earlier.platform_message_id}),
    )

    assert check.state == SentState.NOT_FOUND


def test_the_history_reads_further_pages_until_it_reaches_back_far_enough(
    sender: ZaloOASender, zalo: StandinState
) -> None:
    since = utcnow()
    sender.send(text("Tin cần tìm"))
    for n in range(12):
        sender.send(text(f"Tin sau số {n}"))

    check = sender.was_sent(recipient=USER, text="Tin cần tìm", since=since)

    assert check.state == SentState.FOUND
    offsets = [json.loads(r.query["data"])["offset"] for r in zalo.requests_to(CONVERSATION)]
    assert offsets == [0, 10]


def test_the_history_cannot_tell_when_zalo_answers_an_error(
    sender: ZaloOASender, zalo: StandinState
) -> None:
    zalo.script(CONVERSATION, {"error": -32, "message": "Reached limit call api"})

    check = sender.was_sent(recipient=USER, text="Xã đã nhận", since=utcnow())

    assert check.state == SentState.UNKNOWN
    assert "(-32)" in check.reason
