"""A case in a real browser: an officer opens the citizen's Zalo conversation, turns it into a
case from the conversation page's panel, and takes it to answered and then closed; the
worker delivers the notices, and the citizen's answer notice arrives at the Zalo stand-in."""

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

CITIZEN = "8421000000888"
QUESTION = "Tôi ở xã Minh Quang, đèn đường thôn Nà Lầu tắt cả tuần nay"
ANSWER = "Điện lực đã thay bóng đèn đường thôn Nà Lầu."


def test_an_officer_takes_a_message_to_a_closed_case(
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
    zalo = state_of(standin)

    page: Page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail").fill(personas.officer_a.user.email)
    page.get_by_label("Mật khẩu").fill(personas.officer_a.password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{live_server.url}/inbox")
    row = page.locator(".inbox-main .conv-row", has_text="đèn đường thôn Nà Lầu")
    expect(row).to_have_count(1)
    row.locator("a").click()
    expect(page.get_by_role("log")).to_contain_text(QUESTION)

    # The panel is loaded by htmx from the cases area.
    make = page.locator("#make-case")
    expect(make).to_be_visible()
    make.click()
    page.get_by_label("Tiêu đề").fill("Đèn đường thôn Nà Lầu không sáng")
    page.get_by_label("Lĩnh vực").select_option("utilities")
    page.get_by_role("button", name="Tạo phản ánh").click()
    expect(page.locator("#case-status")).to_have_text("Đã tiếp nhận")
    code = page.locator(".case-code").inner_text()
    assert code.startswith("TQ-")

    # The control starts at the current status: one careless click moves nothing backwards.
    expect(page.get_by_label("Trạng thái mới")).to_have_value("received")
    page.get_by_label("Trạng thái mới").select_option("answered")
    page.get_by_label("Trả lời công khai").fill(ANSWER)
    page.get_by_role("button", name="Lưu và thông báo").click()
    # The citizen is messaged: a dialog asks first, saying to how many.
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("1 cuộc hội thoại")
    dialog.get_by_role("button", name="Huỷ").click()
    expect(page.locator("#case-status")).to_have_text("Đã tiếp nhận")
    page.get_by_role("button", name="Lưu và thông báo").click()
    dialog.get_by_role("button", name="Xác nhận gửi").click()
    expect(page.locator("#case-status")).to_have_text("Đã trả lời")
    run(database, settings, once=True)
    answered = [m for m in zalo.messages(recipient=CITIZEN) if ANSWER in m.text]
    assert len(answered) == 1
    assert code in answered[0].text

    page.get_by_label("Trạng thái mới").select_option("closed")
    page.get_by_role("button", name="Lưu và thông báo").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Xác nhận gửi").click()
    expect(page.locator("#case-status")).to_have_text("Đã kết thúc")
    run(database, settings, once=True)
    texts = [m.text for m in zalo.messages(recipient=CITIZEN)]
    assert any(code in t and "Đã kết thúc" in t for t in texts)
    assert any(code in t and "/phan-hoi?t=" in t for t in texts)  # the rating request

    # The public page shows the answer to anyone with the code.
    page.goto(f"{live_server.url}/tra-cuu/{code}")
    expect(page.locator(".case-answer")).to_have_text(ANSWER)
    page.screenshot(path=str(tmp_path / "case_public.png"), full_page=True)
    assert failed == []  # the favicon too is there now
    assert [e for e in errors if "status of 404" not in e] == []
