"""The Zalo stand-in speaks the documented protocols, can be scripted, and shows what citizens'
phones received. Driven over HTTP on a real socket, as the demo and the benchmark drive it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from danvan.devtools.zalo_standin.control import StandinControl
from danvan.devtools.zalo_standin.protocol import (
    ACCESS_TOKEN,
    BOT_SEND,
    CONVERSATION,
    MESSAGE_CS,
    UPLOAD_IMAGE,
)
from danvan.devtools.zalo_standin.state import StandinState, state_of
from danvan.testing.servers import ThreadedServer


@pytest.fixture
def zalo(standin: ThreadedServer) -> StandinState:
    return state_of(standin)


@pytest.fixture
def http(standin: ThreadedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=standin.url, timeout=10) as client:
        yield client


def send(
    http: httpx.Client,
    text: str,
    *,
    token: str = "any",  # noqa: S107
    user: str = "u1",
) -> dict[str, Any]:
    response = http.post(
        MESSAGE_CS,
        headers={"access_token": token},
        json={"recipient": {"user_id": user}, "message": {"text": text}},
    )
    assert response.status_code == 200
    return response.json()


def refresh(http: httpx.Client, token: str) -> dict[str, Any]:
    response = http.post(
        ACCESS_TOKEN,
        headers={"secret_key": "s"},
        data={"app_id": "1", "refresh_token": token, "grant_type": "refresh_token"},
    )
    return response.json()


def test_a_message_is_accepted_recorded_and_listed_on_the_phone_page(
    http: httpx.Client, zalo: StandinState
) -> None:
    answer = send(http, "<script>alert(1)</script> Chào bạn", user="u-9")

    assert answer["error"] == 0
    [received] = zalo.messages("u-9")
    assert answer["data"]["message_id"] == received.message_id
    [request] = zalo.requests_to(MESSAGE_CS)
    assert request.headers["access_token"] == "any"
    page = http.get("/")
    assert page.status_code == 200
    assert "Tin nhắn người dân nhận được" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Chào bạn" in page.text
    assert "<script>alert" not in page.text
    assert 'http-equiv="refresh"' in page.text


def test_the_phone_page_lists_the_newest_message_first(
    http: httpx.Client, zalo: StandinState
) -> None:
    send(http, "tin thứ nhất")
    send(http, "tin thứ hai")

    page = http.get("/").text

    assert page.index("tin thứ hai") < page.index("tin thứ nhất")


def test_texts_over_2000_characters_are_refused_like_zalo_does(http: httpx.Client) -> None:
    assert send(http, "a" * 2001)["error"] == -201


def test_in_strict_mode_only_issued_tokens_are_accepted(
    http: httpx.Client, zalo: StandinState
) -> None:
    zalo.strict(refresh_tokens=("rt-0",))

    assert send(http, "x", token="made-up") == {"error": -216, "message": "Access token is invalid"}
    pair = refresh(http, "rt-0")
    assert pair["expires_in"] == "90000"
    assert send(http, "x", token=pair["access_token"])["error"] == 0


def test_a_refresh_token_works_once(http: httpx.Client) -> None:
    first = refresh(http, "rt-any")
    again = refresh(http, "rt-any")

    assert "access_token" in first
    assert again["error"] == -14014
    assert "access_token" not in again
    assert "access_token" in refresh(http, first["refresh_token"])


def test_scripted_answers_are_played_in_order_then_normal_service_resumes(
    http: httpx.Client, zalo: StandinState
) -> None:
    zalo.script(MESSAGE_CS, {"error": -216, "message": "Access token is invalid"})
    zalo.script(MESSAGE_CS, status=503)

    assert send(http, "1")["error"] == -216
    assert http.post(MESSAGE_CS, json={}).status_code == 503
    assert send(http, "3")["error"] == 0
    assert [m.text for m in zalo.messages()] == ["3"]
    assert len(zalo.requests_to(MESSAGE_CS)) == 3


def test_the_conversation_history_pages_ten_at_a_time_newest_first(
    http: httpx.Client, zalo: StandinState
) -> None:
    for n in range(12):
        send(http, f"tin {n}", user="u-h")
    zalo.add_citizen_message("u-h", "câu hỏi của người dân")

    def page(offset: int) -> list[dict[str, Any]]:
        data = json.dumps({"user_id": "u-h", "offset": offset, "count": 10})
        answer = http.get(CONVERSATION, params={"data": data}, headers={"access_token": "t"})
        return answer.json()["data"]

    first, second = page(0), page(10)
    assert len(first) == 10
    assert len(second) == 3
    assert first[0]["src"] == 1  # the citizen wrote last
    assert [e["message"] for e in first[1:3]] == ["tin 11", "tin 10"]
    assert {e["src"] for e in first[1:] + second} == {0}


def test_an_uploaded_image_gets_an_attachment_id_and_big_ones_are_refused(
    http: httpx.Client, zalo: StandinState
) -> None:
    small = http.post(
        UPLOAD_IMAGE, headers={"access_token": "t"}, files={"file": ("a.png", b"png", "image/png")}
    ).json()
    big = http.post(
        UPLOAD_IMAGE,
        headers={"access_token": "t"},
        files={"file": ("b.jpg", b"x" * (1024 * 1024 + 1), "image/jpeg")},
    ).json()

    assert small["error"] == 0
    assert small["data"]["attachment_id"] in zalo.uploads
    assert big["error"] == -210


def test_the_bot_api_accepts_messages_and_refuses_blocked_chats(
    http: httpx.Client, zalo: StandinState
) -> None:
    zalo.blocked.add("chat-blocked")

    ok = http.post("/bot123:abc/sendMessage", json={"chat_id": "chat-1", "text": "Chào"})
    blocked = http.post("/bot123:abc/sendMessage", json={"chat_id": "chat-blocked", "text": "x"})

    assert ok.status_code == 200
    assert ok.json()["ok"] is True
    assert ok.json()["result"]["message_id"] == zalo.messages("chat-1")[0].message_id
    assert blocked.status_code == 403
    assert blocked.json() == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    assert len(zalo.requests_to(BOT_SEND)) == 2


def test_the_control_endpoints_drive_it_from_another_process(
    standin: ThreadedServer, http: httpx.Client, zalo: StandinState
) -> None:
    control = StandinControl(standin.url)
    try:
        control.script(MESSAGE_CS, {"error": -230, "message": "No interaction"})
        assert send(http, "một")["error"] == -230
        send(http, "hai")

        assert [m["text"] for m in control.messages()] == ["hai"]
        assert [r["body"]["message"]["text"] for r in control.requests(MESSAGE_CS)] == [
            "một",
            "hai",
        ]
        control.configure(accept_any_token=False, access_tokens=["only-this"])
        assert send(http, "ba", token="other")["error"] == -216
        assert send(http, "ba", token="only-this")["error"] == 0

        control.reset()
        assert control.messages() == []
        assert zalo.accept_any_token is True
    finally:
        control.close()
