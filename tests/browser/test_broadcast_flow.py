"""Composing and sending a broadcast in a real browser: an officer of Xã Minh Quang opens
/outreach, writes the text, picks the commune, sees how many followers Zalo lets us reach, sends;
the worker delivers through the Zalo stand-in and the page's totals follow without a reload."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from danvan.channels.base import EventKind, InboundEvent
from danvan.channels.tokens import store_tokens
from danvan.devtools.zalo_standin.state import state_of
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Contact
from danvan.inbox.worker import run
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer

TEXT = "Thông báo: thứ Bảy này tiêm chủng mở rộng tại trạm y tế xã, mang theo sổ tiêm."
COMMUNES = {"fan-a1": 2302, "fan-a2": 2302, "fan-b1": 2269}


def followers(database: Database) -> None:
    """Three citizens follow the OA (two in Minh Quang, one in Thượng Lâm)."""
    at = utcnow() - timedelta(hours=1)
    with database.session() as session:
        for user_id, commune in COMMUNES.items():
            event = InboundEvent(
                channel="zalo_oa",
                kind=EventKind.FOLLOW,
                event_name="follow",
                dedupe_key=f"follow:{user_id}",
                occurred_at=at,
                user_id=user_id,
                raw=json.dumps({"event_name": "follow", "follower": {"id": user_id}}),
            )
            ingest_events(session, events=[event], province_code=8)
            contact = session.scalar(select(Contact).where(Contact.external_id == user_id))
            assert contact is not None
            contact.commune_code = commune
        store_tokens(
            session,
            platform="zalo_oa",
            access_token="AT-broadcast",
            refresh_token="RT-broadcast",
            expires_at=utcnow() + timedelta(hours=25),
        )


def test_an_officer_composes_and_sends_a_broadcast(
    browser: Browser,
    live_server: ThreadedServer,
    standin: ThreadedServer,
    database: Database,
    settings: Settings,
    personas,
    tmp_path: Path,
) -> None:
    followers(database)
    page = browser.new_page(viewport={"width": 1366, "height": 860}, locale="vi-VN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(live_server.url + "/login?next=/outreach")
    page.get_by_label("E-mail").fill(personas.officer_a.user.email)
    page.get_by_label("Mật khẩu").fill(personas.officer_a.password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{live_server.url}/outreach")
    page.get_by_role("link", name="Soạn thông báo").click()

    page.get_by_label("Nội dung").fill(TEXT)
    page.get_by_label("Xã Minh Quang").check()
    page.get_by_label("Khẩn cấp").check()  # whatever the hour the test runs at
    preview = page.locator("#preview-facts")
    expect(preview.locator("[data-k=reachable]")).to_have_text("2")
    expect(preview.locator("[data-k=followers]")).to_have_text("2")
    page.screenshot(path=str(tmp_path / "compose.png"), full_page=True)
    page.get_by_role("button", name="Gửi thông báo").click()
    # One more step that says how many people it goes to; nothing is sent before it.
    expect(page.locator("#confirm-count")).to_have_text("Thông báo sẽ gửi tới 2 người.")
    assert state_of(standin).messages() == []
    page.get_by_role("button", name="Xác nhận gửi cho 2 người").click()

    expect(page.locator("h1")).to_contain_text("Thông báo #")
    expect(page.locator(".outreach-text")).to_have_text(TEXT)
    page.evaluate("window.__sameDocument = true")
    for _ in range(50):
        run(database, settings, once=True)
        if len(state_of(standin).messages()) >= 2:
            break
        time.sleep(0.1)
    run(database, settings, once=True)
    expect(page.locator("[data-k=reached]")).to_have_text("2", timeout=15_000)
    expect(page.locator("#by-commune")).to_contain_text("Xã Minh Quang")
    assert page.evaluate("window.__sameDocument") is True

    received = state_of(standin).messages()
    assert Counter(m.recipient for m in received) == {"fan-a1": 1, "fan-a2": 1}
    assert all(m.text == TEXT for m in received)
    page.screenshot(path=str(tmp_path / "broadcast.png"), full_page=True)
    assert errors == []
