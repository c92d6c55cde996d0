"""The worker delivers replies through the Zalo stand-in on a real socket: each test states what
Zalo answers and which requests it expects to have been made."""

from __future__ import annotations

from datetime import timedelta

import pytest
from outbox_helpers import ACCESS, CITIZEN, REFRESH, delivered, make_due
from sqlalchemy import select

from danvan.channels.models import PlatformToken
from danvan.channels.tokens import get_tokens
from danvan.channels.zalo_oa.oauth import EXPIRED_REASON, MISSING_REASON
from danvan.devtools.zalo_standin.protocol import ACCESS_TOKEN, BOT_SEND, CONVERSATION, MESSAGE_CS
from danvan.devtools.zalo_standin.state import StandinState
from danvan.inbox.worker import run
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings


def test_a_reply_is_sent_once_with_the_stored_token_and_marked_sent(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    message_id = make_reply("Xã đã nhận phản ánh và cử người kiểm tra.")

    assert run(database, settings, once=True) == 1

    [request] = zalo.requests_to(MESSAGE_CS)
    assert request.method == "POST"
    assert request.headers["access_token"] == ACCESS
    assert request.body == {
        "recipient": {"user_id": CITIZEN},
        "message": {"text": "Xã đã nhận phản ánh và cử người kiểm tra."},
    }
    [received] = zalo.messages(CITIZEN)
    state = delivered(database, message_id)
    assert state.item.status == "sent"
    assert state.item.platform_message_ids == [received.message_id]
    assert request.headers["x-idempotency-key"] == state.item.idempotency_key
    assert state.message.delivery_status == "sent"
    assert state.message.external_id == received.message_id
    assert state.message.sent_at is not None
    assert [(a.outcome, a.finished_at is not None) for a in state.attempts] == [("sent", True)]


def test_run_once_returns_how_many_items_it_processed(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    for n in range(3):
        make_reply(f"Trả lời số {n}", user_id=f"84210000000{n}")

    assert run(database, settings, once=True) == 3
    assert run(database, settings, once=True) == 0
    assert len(zalo.requests_to(MESSAGE_CS)) == 3


@pytest.mark.parametrize(
    "answer",
    [
        {"error": -216, "message": "Access token is invalid"},
        {"error": -220, "message": "access_token is expired or removed"},
    ],
    ids=["-216", "-220"],
)
def test_a_refused_token_is_refreshed_once_and_the_send_retried_with_the_new_one(
    database: Database,
    settings: Settings,
    zalo: StandinState,
    oa_tokens: object,
    make_reply,
    answer: dict[str, object],
) -> None:
    zalo.script(MESSAGE_CS, answer)
    message_id = make_reply()

    assert run(database, settings, once=True) == 1

    [refresh] = zalo.requests_to(ACCESS_TOKEN)
    assert refresh.headers["secret_key"] == settings.zalo_app_secret_key
    assert refresh.body == {
        "app_id": settings.zalo_oa_app_id,
        "refresh_token": REFRESH,
        "grant_type": "refresh_token",
    }
    first, second = zalo.requests_to(MESSAGE_CS)
    assert first.headers["access_token"] == ACCESS
    with database.session() as session:
        tokens = get_tokens(session, platform="zalo_oa")
        assert tokens is not None
        assert tokens.access_token.startswith("oa-at-")
        assert tokens.refresh_token.startswith("oa-rt-")
        assert tokens.access_expires_at is not None
        assert tokens.access_expires_at > utcnow() + timedelta(hours=24)
        assert second.headers["access_token"] == tokens.access_token
    assert delivered(database, message_id).message.delivery_status == "sent"


def test_a_rate_limit_backs_off_then_sends_on_the_next_due_run(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    zalo.script(MESSAGE_CS, {"error": -32, "message": "Reached limit call api"})
    message_id = make_reply()

    before = utcnow()
    assert run(database, settings, once=True) == 1

    state = delivered(database, message_id)
    assert state.item.status == "pending"
    assert state.item.attempts == 1
    # 10 s ± 20 % jitter
    assert before + timedelta(seconds=7) < state.item.next_attempt_at
    assert state.item.next_attempt_at < utcnow() + timedelta(seconds=13)
    assert state.message.delivery_status == "retrying"
    assert "(-32)" in (state.message.delivery_error or "")
    assert state.attempts[0].outcome == "retry"
    assert state.attempts[0].error_code == "-32"
    # Not due yet: nothing happens.
    assert run(database, settings, once=True) == 0
    assert len(zalo.requests_to(MESSAGE_CS)) == 1

    make_due(database, message_id)
    assert run(database, settings, once=True) == 1

    assert len(zalo.requests_to(MESSAGE_CS)) == 2
    assert len(zalo.messages(CITIZEN)) == 1
    state = delivered(database, message_id)
    assert (state.item.status, state.message.delivery_status) == ("sent", "sent")
    assert state.message.delivery_error is None


def test_the_bot_api_delivers_a_reply_to_a_bot_chat(
    database: Database, settings: Settings, zalo: StandinState, make_reply
) -> None:
    message_id = make_reply("Cảm ơn bạn, xã đã ghi nhận.", channel="zalo_bot", user_id="chat-77")

    assert run(database, settings, once=True) == 1

    [request] = zalo.requests_to(BOT_SEND)
    assert request.path == f"/bot{settings.zalo_bot_token}/sendMessage"
    assert request.body == {"chat_id": "chat-77", "text": "Cảm ơn bạn, xã đã ghi nhận."}
    [received] = zalo.messages("chat-77")
    state = delivered(database, message_id)
    assert state.message.delivery_status == "sent"
    assert state.message.external_id == received.message_id


def test_a_web_form_reply_is_sent_without_any_platform_call(
    database: Database, settings: Settings, zalo: StandinState, make_reply
) -> None:
    message_id = make_reply("Xã đã xử lý xong.", channel="web", user_id="WEB-REF-1")

    assert run(database, settings, once=True) == 1

    assert zalo.requests == []
    state = delivered(database, message_id)
    assert (state.item.status, state.message.delivery_status) == ("sent", "sent")
    assert state.message.external_id is None


def test_exhausted_retries_end_as_failed_with_the_reason(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    settings.outbox_max_attempts = 2
    message_id = make_reply()
    zalo.script(MESSAGE_CS, status=503)
    zalo.script(MESSAGE_CS, status=503)

    run(database, settings, once=True)
    make_due(database, message_id)
    run(database, settings, once=True)

    state = delivered(database, message_id)
    assert len(zalo.requests_to(MESSAGE_CS)) == 2
    assert (state.item.status, state.message.delivery_status) == ("failed", "failed")
    assert "HTTP 503" in (state.message.delivery_error or "")
    assert "2 lần" in (state.message.delivery_error or "")
    assert zalo.messages() == []


def test_the_stored_token_rows_are_untouched_by_a_plain_send(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    make_reply()
    run(database, settings, once=True)
    assert zalo.requests_to(ACCESS_TOKEN) == []
    with database.session() as session:
        row = session.scalars(select(PlatformToken)).one()
        assert (row.access_token, row.version) == (ACCESS, 1)


def test_a_failed_refresh_fails_the_reply_with_a_reason_for_the_admin(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    zalo.script(MESSAGE_CS, {"error": -216, "message": "Access token is invalid"})
    zalo.script(
        ACCESS_TOKEN,
        {"error": -14014, "error_name": "Invalid refresh token", "error_reason": "expired"},
    )
    message_id = make_reply()

    assert run(database, settings, once=True) == 1

    assert len(zalo.requests_to(MESSAGE_CS)) == 1  # no retry without a new token
    [refresh] = zalo.requests_to(ACCESS_TOKEN)
    assert refresh.body["refresh_token"] == REFRESH
    state = delivered(database, message_id)
    assert (state.item.status, state.message.delivery_status) == ("failed", "failed")
    assert state.message.delivery_error == EXPIRED_REASON
    assert "danvan zalo set-tokens" in EXPIRED_REASON
    assert state.item.last_error_code == "-14014"
    with database.session() as session:
        row = session.scalars(select(PlatformToken)).one()
        assert (row.access_token, row.refresh_token, row.version) == (ACCESS, REFRESH, 1)


def test_without_any_stored_token_the_reply_fails_with_a_reason_instead_of_crashing(
    database: Database, settings: Settings, zalo: StandinState, make_reply
) -> None:
    message_id = make_reply()

    assert run(database, settings, once=True) == 1

    assert zalo.requests == []
    state = delivered(database, message_id)
    assert (state.item.status, state.message.delivery_status) == ("failed", "failed")
    assert state.message.delivery_error == MISSING_REASON


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            {"error": -230, "message": "User has not interacted with the OA in the past 7 days"},
            "Người dân không tương tác với OA trong 7 ngày qua (-230)",
        ),
        (
            {"error": -213, "message": "User has not followed OA"},
            "Người dân chưa quan tâm OA (-213)",
        ),
    ],
    ids=["-230", "-213"],
)
def test_an_unreachable_citizen_is_not_retried_and_staff_see_why(
    database: Database,
    settings: Settings,
    zalo: StandinState,
    oa_tokens: object,
    make_reply,
    answer: dict[str, object],
    reason: str,
) -> None:
    zalo.script(MESSAGE_CS, answer)
    message_id = make_reply()

    assert run(database, settings, once=True) == 1
    make_due(database, message_id)
    assert run(database, settings, once=True) == 0

    assert len(zalo.requests_to(MESSAGE_CS)) == 1
    state = delivered(database, message_id)
    assert (state.item.status, state.message.delivery_status) == ("unreachable", "unreachable")
    assert state.message.delivery_error == reason
    assert state.attempts[0].outcome == "unreachable"


def test_a_bad_request_fails_without_retry(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    zalo.script(MESSAGE_CS, {"error": -201, "message": "user_id is invalid"})
    message_id = make_reply()

    run(database, settings, once=True)

    state = delivered(database, message_id)
    assert (state.item.status, state.message.delivery_status) == ("failed", "failed")
    assert state.message.delivery_error == "Tham số gửi tin không hợp lệ (-201)"


def test_a_server_error_is_retried_later(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    zalo.script(MESSAGE_CS, status=502)
    message_id = make_reply()

    run(database, settings, once=True)

    state = delivered(database, message_id)
    assert (state.item.status, state.message.delivery_status) == ("pending", "retrying")
    assert state.item.next_attempt_at > utcnow()
    assert state.attempts[0].error_code == "http_502"
    make_due(database, message_id)
    run(database, settings, once=True)
    assert len(zalo.requests_to(MESSAGE_CS)) == 2
    assert len(zalo.messages(CITIZEN)) == 1
    assert delivered(database, message_id).message.delivery_status == "sent"


def test_a_timeout_that_zalo_never_processed_is_sent_again_later(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    settings.http_timeout = 0.3
    zalo.script(MESSAGE_CS, {"error": -200, "message": "late"}, delay=1.0)
    message_id = make_reply()

    run(database, settings, once=True)

    state = delivered(database, message_id)
    assert (state.item.status, state.message.delivery_status) == ("pending", "retrying")
    assert state.attempts[0].error_code == "timeout"
    assert zalo.messages() == []

    make_due(database, message_id)
    run(database, settings, once=True)

    # The history was read first (the lost answer might have been an accepted message).
    assert len(zalo.requests_to(CONVERSATION)) == 1
    assert len(zalo.requests_to(MESSAGE_CS)) == 2
    assert len(zalo.messages(CITIZEN)) == 1
    assert delivered(database, message_id).message.delivery_status == "sent"


def test_a_timeout_whose_message_did_arrive_is_found_in_the_history_and_not_sent_twice(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    settings.http_timeout = 0.3
    zalo.script(MESSAGE_CS, delay=1.0)  # accepted, but the answer comes too late
    message_id = make_reply()

    run(database, settings, once=True)
    assert delivered(database, message_id).item.status == "pending"
    [received] = zalo.messages(CITIZEN)

    make_due(database, message_id)
    run(database, settings, once=True)

    assert len(zalo.requests_to(MESSAGE_CS)) == 1
    [history] = zalo.requests_to(CONVERSATION)
    assert history.headers["access_token"] == ACCESS
    assert len(zalo.messages(CITIZEN)) == 1
    state = delivered(database, message_id)
    assert (state.item.status, state.message.delivery_status) == ("sent", "sent")
    assert state.message.external_id == received.message_id


def test_a_long_reply_goes_out_in_two_parts_and_a_retry_resumes_after_the_accepted_one(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    first = "Thông báo của xã về việc sửa đường thôn. " * 40  # about 1,640 characters
    second = "Lịch thi công dự kiến và đầu mối liên hệ. " * 30
    text = first.strip() + "\n\n" + second.strip()
    assert len(text) > 2000
    message_id = make_reply(text)
    # Part 1 is accepted; part 2 meets a server error.
    zalo.script(MESSAGE_CS)  # normal answer
    zalo.script(MESSAGE_CS, status=500)

    run(database, settings, once=True)

    state = delivered(database, message_id)
    [part_one] = zalo.messages(CITIZEN)
    assert part_one.text == first.strip()
    assert (state.item.status, state.item.parts_sent) == ("pending", 1)
    assert state.item.platform_message_ids == [part_one.message_id]
    assert state.message.external_id == part_one.message_id

    make_due(database, message_id)
    run(database, settings, once=True)

    texts = [r.body["message"]["text"] for r in zalo.requests_to(MESSAGE_CS)]
    assert texts == [first.strip(), second.strip(), second.strip()]
    part_one, part_two = zalo.messages(CITIZEN)
    assert [len(m.text) <= 2000 for m in (part_one, part_two)] == [True, True]
    state = delivered(database, message_id)
    assert (state.item.status, state.item.parts_sent) == ("sent", 2)
    assert state.item.platform_message_ids == [part_one.message_id, part_two.message_id]
    assert state.message.external_id == part_one.message_id
    keys = [m.idempotency_key for m in (part_one, part_two)]
    assert keys == [f"{state.item.idempotency_key}:1", f"{state.item.idempotency_key}:2"]
