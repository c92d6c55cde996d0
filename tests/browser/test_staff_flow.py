"""The staff flow in a real browser: a signed Zalo OA webhook brings a citizen's message, an
officer signs in, finds it in the inbox, opens it and replies; the worker delivers the reply to
the Zalo stand-in and the page shows "Đã gửi" without being reloaded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from danvan.channels.tokens import store_tokens
from danvan.devtools.zalo_standin.state import state_of
from danvan.inbox.worker import run
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer

CITIZEN = "8421000000777"
QUESTION = "Tôi ở xã Minh Quang, cầu treo bản Khuổi Vài bị gãy một nhịp"
REPLY = "Xã đã nhận phản ánh, chiều nay cán bộ địa chính xuống kiểm tra cầu."


def test_an_officer_answers_a_citizen_and_sees_the_reply_delivered(
    browser: Browser,
    live_server: ThreadedServer,
    standin: ThreadedServer,
    database: Database,
    settings: Settings,
    personas,
    tmp_path: Path,
    citizen_says: Callable[[str, str], None],
) -> None:
    with database.session() as session:
        store_tokens(
            session,
            platform="zalo_oa",
            access_token="AT-browser",
            refresh_token="RT-browser",
            expires_at=utcnow() + timedelta(hours=25),
        )
    citizen_says(CITIZEN, QUESTION)

    page: Page = browser.new_page(viewport={"width": 1366, "height": 860}, locale="vi-VN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(live_server.url + "/inbox")
    expect(page).to_have_url(f"{live_server.url}/login?next=/inbox")
    page.get_by_label("E-mail").fill(personas.officer_a.user.email)
    page.get_by_label("Mật khẩu").fill(personas.officer_a.password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{live_server.url}/inbox")

    row = page.locator(".inbox-main .conv-row", has_text="cầu treo bản Khuổi Vài")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Xã Minh Quang")
    expect(row).to_contain_text("Zalo OA")
    row.locator("a").click()
    expect(page.get_by_role("log")).to_contain_text(QUESTION)

    page.get_by_label("Nội dung trả lời").fill(REPLY)
    page.get_by_role("button", name="Gửi", exact=True).click()
    reply = page.locator("#messages .msg-out", has_text=REPLY)
    expect(reply).to_have_count(1)
    expect(reply.locator(".state-label")).to_have_text("Đang chờ gửi")
    page.screenshot(path=str(tmp_path / "queued.png"))

    # From here on the page must not reload: the poller alone brings the changes.
    page.evaluate("window.__sameDocument = true")
    processed = run(database, settings, once=True)
    assert processed >= 1
    expect(reply.locator(".state-label")).to_have_text("Đã gửi", timeout=15_000)

    received = [m for m in state_of(standin).messages(recipient=CITIZEN) if m.text == REPLY]
    assert len(received) == 1
    assert len(state_of(standin).messages(recipient=CITIZEN)) == 1  # nothing else was sent

    # The citizen answers: the new message appears too, and the draft being typed stays.
    page.get_by_label("Nội dung trả lời").fill("Bản nháp đang gõ")
    citizen_says(CITIZEN, "Cảm ơn xã, tôi sẽ chờ")
    expect(page.locator("#messages .msg-in", has_text="Cảm ơn xã, tôi sẽ chờ")).to_have_count(
        1, timeout=15_000
    )
    expect(page.get_by_label("Nội dung trả lời")).to_have_value("Bản nháp đang gõ")
    assert page.evaluate("window.__sameDocument") is True

    page.screenshot(path=str(tmp_path / "staff_flow.png"), full_page=True)
    assert (tmp_path / "staff_flow.png").stat().st_size > 10_000
    assert errors == []


def test_the_conversation_page_works_on_a_phone(
    browser: Browser,
    live_server: ThreadedServer,
    database: Database,
    settings: Settings,
    personas,
    tmp_path: Path,
    citizen_says: Callable[[str, str], None],
) -> None:
    citizen_says(CITIZEN, QUESTION)
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail").fill(personas.officer_a.user.email)
    page.get_by_label("Mật khẩu").fill(personas.officer_a.password)
    page.get_by_role("button", name="Đăng nhập").click()
    row = page.locator(".inbox-main .conv-row", has_text="cầu treo")
    expect(row).to_be_visible()
    # On a phone the filters fold away and the list comes first.
    expect(page.locator(".filters-panel form")).to_be_hidden()
    row.locator("a").click()
    expect(page.locator(".conv-sidebar")).to_be_hidden()
    expect(page.get_by_label("Nội dung trả lời")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing sticks out sideways
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
