"""Every platform call is logged (method, path, status, error code, duration) and no secret ever
reaches the logs: access and refresh tokens, the app secret key, the bot token in the URL."""

from __future__ import annotations

import logging

import pytest
from outbox_helpers import ACCESS, REFRESH

from danvan.channels.tokens import get_tokens
from danvan.devtools.zalo_standin.protocol import BOT_SEND, MESSAGE_CS
from danvan.devtools.zalo_standin.state import StandinState
from danvan.inbox.worker import run
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings


def test_platform_calls_are_logged_without_any_secret(
    database: Database,
    settings: Settings,
    zalo: StandinState,
    oa_tokens: object,
    make_reply,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    zalo.script(MESSAGE_CS, {"error": -216, "message": "Access token is invalid"})
    zalo.script(BOT_SEND, {"ok": False, "error_code": 500, "description": "oops"}, status=500)
    make_reply("Trả lời qua OA")
    make_reply("Trả lời qua Bot", channel="zalo_bot", user_id="chat-1")
    make_reply("Trả lời qua Bot, lần hai", channel="zalo_bot", user_id="chat-2")
    settings.http_timeout = 0.3
    zalo.script(BOT_SEND, delay=1.0)  # a timeout: its exception text must be masked too

    run(database, settings, once=True)

    with database.session() as session:
        rotated = get_tokens(session, platform="zalo_oa")
        assert rotated is not None
    secrets = {
        ACCESS,
        REFRESH,
        rotated.access_token,
        rotated.refresh_token,
        settings.zalo_app_secret_key,
        settings.zalo_bot_token,
        settings.zalo_bot_token.split(":", 1)[1],
    }
    logged = caplog.text + "\n".join(repr(r.args) for r in caplog.records)
    for secret in secrets:
        assert secret not in logged
    # ...and the calls are there, redacted.
    assert "zalo_oa POST /v3.0/oa/message/cs -> 200 error=-216" in caplog.text
    assert "zalo_oauth POST /v4/oa/access_token -> 200" in caplog.text
    assert "zalo_bot POST /bot***/sendMessage -> 500 error=500" in caplog.text
    assert "zalo_bot POST /bot***/sendMessage -> timeout" in caplog.text
    assert "ms" in caplog.text
