"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright
(nothing is downloaded). Every test here is marked `browser` and skipped without Chromium."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from danvan.channels.zalo_oa.signature import sign
from danvan.devtools.zalo_standin.protocol import OA_ID
from danvan.kernel import clock
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    no_chromium = pytest.mark.skip(reason="needs Debian's chromium")
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if not Path(CHROMIUM).exists():
                item.add_marker(no_chromium)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def citizen_says(live_server: ThreadedServer, settings: Settings) -> Callable[[str, str], None]:
    """`citizen_says(user_id, text)`: a signed Zalo OA text message posted to the live server."""

    def send(user_id: str, text: str) -> None:
        timestamp = str(int(clock.timestamp() * 1000))
        body = json.dumps(
            {
                "app_id": settings.zalo_oa_app_id,
                "event_name": "user_send_text",
                "timestamp": timestamp,
                "sender": {"id": user_id},
                "recipient": {"id": OA_ID},
                "message": {"text": text, "msg_id": uuid.uuid4().hex},
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        signature = sign(settings.zalo_oa_app_id, body, timestamp, settings.zalo_oa_secret_key)
        response = httpx.post(
            live_server.url + "/webhooks/zalo-oa",
            content=body,
            headers={"Content-Type": "application/json", "X-ZEvent-Signature": signature},
        )
        assert response.status_code == 200, response.text

    return send
