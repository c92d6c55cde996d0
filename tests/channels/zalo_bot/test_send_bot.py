"""The Bot API sender against the stand-in on a real socket: `POST /bot<token>/sendMessage`
`{"chat_id","text"}`, answered `{"ok":true,"result":{...}}` or
`{"ok":false,"error_code","description"}`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from danvan.channels.base import OutboundMessage, SendStatus
from danvan.channels.http import SentState
from danvan.channels.zalo_bot.outbound import ZaloBotSender
from danvan.devtools.zalo_standin.protocol import BOT_SEND
from danvan.devtools.zalo_standin.state import StandinState, state_of
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer

CHAT = "chat-4242"


@pytest.fixture
def zalo(standin: ThreadedServer) -> StandinState:
    return state_of(standin)


@pytest.fixture
def sender(settings: Settings, zalo: StandinState) -> Iterator[ZaloBotSender]:
    bot = ZaloBotSender(settings=settings)
    yield bot
    bot.close()


def hello(text: str = "Xã đã nhận ý kiến của bạn.") -> OutboundMessage:
    return OutboundMessage(recipient=CHAT, text=text, idempotency_key="bot-key-1")


def refusal(code: int, description: str, **extra: Any) -> dict[str, Any]:
    return {
        "body": {"ok": False, "error_code": code, "description": description, **extra},
        "status": code,
    }


@dataclass
class Case:
    name: str
    answers: list[dict[str, Any]] = field(default_factory=list)
    status: SendStatus = SendStatus.SENT
    error_code: str | None = None
    reason_has: str = ""
    retry_after: float | None = None


CASES = [
    Case("accepted"),
    Case(
        "blocked by the citizen",
        [refusal(403, "Forbidden: bot was blocked by the user")],
        SendStatus.UNREACHABLE,
        "403",
        "bot was blocked by the user",
    ),
    Case(
        "chat not found",
        [refusal(400, "Bad Request: chat not found")],
        SendStatus.UNREACHABLE,
        "400",
    ),
    Case(
        "bad request",
        [refusal(400, "Bad Request: text is empty")],
        SendStatus.FAILED,
        "400",
        "text is empty",
    ),
    Case(
        "wrong token",
        [refusal(401, "Unauthorized")],
        SendStatus.FAILED,
        "401",
        "Token Zalo Bot không hợp lệ",
    ),
    Case(
        "rate limited",
        [refusal(429, "Too Many Requests", parameters={"retry_after": 7})],
        SendStatus.RETRY,
        "429",
        retry_after=7.0,
    ),
    Case("server error", [refusal(500, "Internal Server Error")], SendStatus.RETRY, "500"),
    Case("bad gateway without JSON", [{"status": 502}], SendStatus.RETRY, "502"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_bot_api_answer_gives_its_send_result_after_one_expected_request(
    sender: ZaloBotSender, zalo: StandinState, settings: Settings, case: Case
) -> None:
    for answer in case.answers:
        zalo.script(BOT_SEND, **answer)

    result = sender.send(hello())

    [request] = zalo.requests
    assert request.method == "POST"
    assert request.path == f"/bot{settings.zalo_bot_token}/sendMessage"
    assert request.body == {"chat_id": CHAT, "text": "Xã đã nhận ý kiến của bạn."}
    assert request.headers["x-idempotency-key"] == "bot-key-1"
    assert result.status == case.status
    assert result.error_code == case.error_code
    assert case.reason_has in (result.reason or "")
    assert result.retry_after == case.retry_after
    if case.status == SendStatus.SENT:
        [received] = zalo.messages(CHAT)
        assert result.platform_message_id == received.message_id
    else:
        assert zalo.messages() == []


def test_a_text_over_2000_characters_is_refused_by_the_bot_api(
    sender: ZaloBotSender, zalo: StandinState
) -> None:
    result = sender.send(hello("a" * 2001))

    assert (result.status, result.error_code) == (SendStatus.FAILED, "400")
    assert "too long" in (result.reason or "")


def test_a_timeout_is_a_retry(sender: ZaloBotSender, zalo: StandinState) -> None:
    sender.transport.client.timeout = httpx.Timeout(0.3)
    zalo.script(BOT_SEND, {"ok": True, "result": {"message_id": "late"}}, delay=1.0)

    result = sender.send(hello())

    assert (result.status, result.error_code) == (SendStatus.RETRY, "timeout")


def test_without_a_bot_token_nothing_is_sent(settings: Settings, zalo: StandinState) -> None:
    settings.zalo_bot_token = ""
    bot = ZaloBotSender(settings=settings)
    try:
        result = bot.send(hello())
    finally:
        bot.close()

    assert (result.status, result.error_code) == (SendStatus.FAILED, "no_token")
    assert zalo.requests == []


def test_the_bot_api_cannot_tell_whether_a_message_went_out(sender: ZaloBotSender) -> None:
    check = sender.was_sent(recipient=CHAT, text="x", since=utcnow(), exclude=frozenset())
    assert check.state == SentState.UNKNOWN


def test_the_bot_token_in_the_url_never_reaches_the_logs(
    sender: ZaloBotSender,
    zalo: StandinState,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    zalo.script(BOT_SEND, **refusal(500, "oops"))

    sender.send(hello())
    sender.send(hello())

    secret = settings.zalo_bot_token.split(":", 1)[1]
    assert secret not in caplog.text
    assert "POST /bot***/sendMessage -> 500 error=500" in caplog.text
    assert "POST /bot***/sendMessage -> 200" in caplog.text
