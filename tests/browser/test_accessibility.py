"""axe-core in a real browser on the staff pages (inbox, a conversation, the case list, a case,
the dashboard, outreach: broadcasts and a broadcast, consultations, polls; training, admin) and
every public page (the form, a thread, the one lookup box and its refusal, a case's page and its
citizen's rating page, consultation, poll, certificates, the trainee's page, the error page) at
desktop (1280x800) and phone (390x844) sizes: no serious or critical violation. On the phone the
menu opens from a "Menu" button (keyboard too), nothing scrolls sideways and list tables become
labelled cards; at 1280 px the admin's bar fits.

axe-core is the script bundled in the pinned `axe-playwright-python` wheel (axe 4.12), injected
with Playwright; nothing is downloaded at test time. One browser, one context per size, one
sign-in (its cookies reused)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Browser, Page, expect

from danvan.cases import tracking
from danvan.inbox import webform
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.testing import citizens
from danvan.testing.servers import ThreadedServer

CITIZEN = "8421000000999"
QUESTION = "Tôi ở xã Minh Quang, đường vào bản Khuổi Vài sạt lở sau mưa, xe máy không qua được"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
BLOCKING = ("serious", "critical")

# One database: axe judges the pages' markup, contrast and layout, which the database does not
# change; the same pages' server side runs on both databases in the tests of each area and in
# tests/web/test_web_memory.py (every pinned page opened, no server error).
pytestmark = [pytest.mark.long, pytest.mark.one_backend]


def axe_problems(page: Page) -> list[str]:
    """Serious and critical violations on the page as it is now, one line each."""
    page.evaluate(AXE_SCRIPT)
    result: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['impact']} {v['id']}: {[n['target'] for n in v['nodes']][:5]}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


CONSULTATION = {
    "title": "Dự thảo quy ước thôn Bản Pài",
    "kind": "vote",
    "options": "Đồng ý\nKhông đồng ý",
    "communes": "2302",
    "closes_at": "2099-01-01T08:00",
}
POLL = {"question": "Bạn muốn họp dân lúc nào?", "options": "Sáng\nTối", "communes": "2302"}
COURSE = {"title": "Kỹ năng dân vận khéo", "topics": "Tiếp dân\nGhi biên bản", "communes": "2302"}
BROADCAST = {
    "text": "Thông báo lịch tiêm chủng tại trạm y tế xã Minh Quang sáng thứ Bảy",
    "communes": "2302",
    "window": "7d",
    "send_at": "2099-01-01T08:00",
    "confirmed": "1",
}
# Public pages that answer an error: the friendly error page, and the lookup box refusing a code.
PUBLIC_ERRORS = {"/khong-co-trang-nay": 404, "/y-kien/abc": 422, "/tra-cuu?ma=TQ-2601-9999": 404}


def post(page: Page, url: str, token: str, form: dict[str, str]) -> str:
    """Post a staff form with the page's session; the path it redirects to."""
    answer = page.request.post(url, form={"csrf_token": token, **form}, max_redirects=0)
    assert answer.status == 303, (url, answer.status, answer.text()[:300])
    return answer.headers["location"]


def web_citizen(database: Database) -> str:
    """A web-form citizen's tracking code (their thread page is public to the code's holder)."""
    code = webform.new_tracking_code()
    citizens.citizen_writes(
        database, text="Rác thải ven suối chưa được thu gom", channel="web", user_id=code
    )
    return code


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{base}/inbox")


def rating_page(database: Database, settings: Settings, code: str) -> str:
    """The citizen's own page of a case (the signed link they receive)."""
    with database.session() as session:
        case = tracking.find_by_code(session, code)
        assert case is not None
        return f"/tra-cuu/{code}/phan-hoi?t={tracking.rating_token(settings, case)}"


def test_staff_and_public_pages_pass_axe_on_desktop_and_phone(
    browser: Browser,
    live_server: ThreadedServer,
    database: Database,
    settings: Settings,
    personas,
    citizen_says: Callable[[str, str], None],
) -> None:
    base = live_server.url
    citizen_says(CITIZEN, QUESTION)
    for n in range(1, 13):  # enough for the message log to scroll: it must take the keyboard
        citizen_says(CITIZEN, f"Bổ sung lần {n}: nước vẫn chảy qua mặt đường, đất đá lấp rãnh")

    # Desktop first: sign in, make a case from the citizen's conversation.
    desktop = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = desktop.new_page()
    sign_in(page, base, personas.admin.user.email, personas.admin.password)
    conversation = page.locator(".inbox-main .conv-row a").first.get_attribute("href")
    assert conversation is not None
    conversation_id = conversation.rsplit("/", 1)[1]
    page.goto(f"{base}/cases/new?conversation={conversation_id}")
    page.get_by_label("Tiêu đề").fill("Sạt lở đường vào bản Khuổi Vài")
    page.get_by_role("button", name="Tạo phản ánh").click()
    expect(page.locator(".case-code")).to_be_visible()
    case_url = page.url.removeprefix(base)
    code = page.locator(".case-code").inner_text()
    # A consultation, a poll and a course, through the staff forms (the page's CSRF token).
    token = page.locator("input[name=csrf_token]").first.input_value()
    made = {
        "consultation": post(page, base + "/outreach/consultations", token, CONSULTATION),
        "poll": post(page, base + "/outreach/polls", token, POLL),
        "course": post(page, base + "/training/courses", token, COURSE),
        "broadcast": post(page, base + "/outreach/broadcasts", token, BROADCAST),
    }
    tracking = web_citizen(database)
    signed_in_state = desktop.storage_state()

    staff_pages = [
        "/inbox",
        conversation,
        "/cases",
        case_url,
        "/cases/new",
        "/cases/report",
        "/cases/admin",
        "/dashboard",
        "/outreach",
        "/outreach/broadcasts/new",
        made["broadcast"],
        "/outreach/consultations",
        made["consultation"],
        "/outreach/polls",
        made["poll"],
        "/training",
        made["course"],
        "/account",
        "/admin/users",
        "/admin/audit",
    ]
    public_pages = [
        "/login",
        "/gop-y",
        "/gop-y/tra-cuu",
        "/tra-cuu",
        f"/tra-cuu/{code}",
        rating_page(database, settings, code),
        f"/gop-y/{tracking}",
        f"/gop-y/{tracking}/cam-on",
        "/y-kien/" + made["consultation"].rsplit("/", 1)[1],
        "/tham-do/" + made["poll"].rsplit("/", 1)[1],
        "/chung-nhan",
        "/hoc",
        *PUBLIC_ERRORS,
    ]
    problems: list[str] = []
    for size, context in (
        ("desktop", desktop),
        ("phone", browser.new_context(viewport=PHONE, storage_state=signed_in_state)),
    ):
        page = context.pages[0] if context.pages else context.new_page()
        anonymous = browser.new_context(viewport=DESKTOP if size == "desktop" else PHONE)
        for path, on in [(p, page) for p in staff_pages] + [
            (p, anonymous.new_page()) for p in public_pages
        ]:
            response = on.goto(base + path)
            assert response is not None
            assert response.status == PUBLIC_ERRORS.get(path, 200), (size, path, response.status)
            problems += [f"{size} {path} {p}" for p in axe_problems(on)]
            width = on.evaluate("document.documentElement.scrollWidth")
            if width > (DESKTOP if size == "desktop" else PHONE)["width"]:
                problems.append(f"{size} {path} scrolls sideways ({width}px)")
        anonymous.close()
        check_no_script_moves_the_inbox(browser, base, size, signed_in_state)
        if size == "phone":
            check_phone_menu_and_cards(page, base)
        else:
            check_desktop_bar_fits(page, base)
        context.close()
    assert problems == []


def assert_bar_fits(page: Page, width: int) -> None:
    """Nothing in the bar overlaps or sticks out: the menu (or the Menu button) ends before the
    language, name and sign-out begin, or, when the server gave it a row of its own
    (body.nav-long), sits wholly under them."""
    bar = page.locator(".topbar")
    assert bar.evaluate("el => el.scrollWidth <= el.clientWidth"), width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    end = page.locator(".topbar-end").evaluate("el => el.getBoundingClientRect().toJSON()")
    for box in page.locator(".mainnav:visible .nav-bar > li, .nav-phone:visible").evaluate_all(
        "els => els.map(el => el.getBoundingClientRect().toJSON())"
    ):
        assert box["right"] <= end["left"] or box["top"] >= end["bottom"], (width, box, end)
        assert box["right"] <= width, (width, box)
    # The bar is as tall as the pages think (sticky offsets and the conversation's height).
    height = bar.evaluate("el => el.getBoundingClientRect().height")
    expected = page.evaluate(
        "parseFloat(getComputedStyle(document.body).getPropertyValue('--topbar'))"
    )
    assert abs(height - expected) <= 1, (width, height, expected)


def check_desktop_bar_fits(page: Page, base: str) -> None:
    page.goto(base + "/inbox")
    bar = page.locator(".topbar")
    assert bar.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert_bar_fits(page, DESKTOP["width"])
    # The admin's menu keeps one row at 1280 px: calls and label review fold under their parent.
    assert bar.evaluate("el => el.getBoundingClientRect().height") <= 53
    expect(page.get_by_role("link", name="Gọi điện")).to_be_hidden()
    page.locator(".nav-more > summary").first.click()
    page.get_by_role("link", name="Gọi điện").click()
    expect(page).to_have_url(f"{base}/inbox/calls")
    page.goto(base + "/inbox")
    for part in (".nav-bar > li", ".topbar-end > *"):
        boxes = (
            "els => els.map(e => [e.getBoundingClientRect().left, e.scrollWidth, e.clientWidth])"
        )
        for box in page.locator(part).evaluate_all(boxes):
            assert box[0] >= 0
            assert box[1] <= box[2] + 1, part
    # A tablet gets the Menu button too; the bar never overflows on its way there.
    for width in (1200, 1101, 1024, 800):
        page.set_viewport_size({"width": width, "height": 800})
        assert_bar_fits(page, width)
    expect(page.locator(".nav-phone > summary")).to_be_visible()
    page.set_viewport_size(DESKTOP)
    # The admin's links sit under one "Quản trị" entry.
    expect(page.get_by_role("link", name="Nhật ký")).to_be_hidden()
    page.locator(".nav-group:not(.nav-more) > summary").click()
    page.get_by_role("link", name="Nhật ký").click()
    expect(page).to_have_url(f"{base}/admin/audit")
    # Actions by name, not code.
    expect(page.locator("td[data-action=login]").first).to_have_text("Đăng nhập")


def check_phone_menu_and_cards(page: Page, base: str) -> None:
    page.goto(base + "/inbox")
    menu = page.locator(".nav-phone > summary")
    expect(menu).to_be_visible()
    expect(page.get_by_role("link", name="Vụ việc")).to_be_hidden()
    # Keyboard: focus the Menu button, Enter opens the list, Escape closes it.
    menu.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".nav-phone")).to_have_attribute("open", "")
    for name in ("Hộp thư", "Vụ việc", "Tình hình dư luận", "Tập huấn", "Tài khoản", "Nhật ký"):
        link = page.get_by_role("link", name=re.compile(rf"^{name}( \(|$)"))
        expect(link).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".nav-phone")).not_to_have_attribute("open", "")
    expect(menu).to_be_focused()
    menu.click()
    page.get_by_role("link", name="Vụ việc", exact=True).click()
    expect(page).to_have_url(f"{base}/cases")
    # The case list is one card per case, each value with its column's name before it.
    cell = page.locator(".cases-table tbody td").nth(1)
    label = cell.evaluate("el => getComputedStyle(el, '::before').content")
    assert re.sub(r'^"|"$', "", label) == "Tiêu đề"
    expect(page.locator(".cases-table thead")).to_have_css("position", "absolute")
    assert cell.bounding_box()["width"] > 300  # type: ignore[index]


def check_no_script_moves_the_inbox(browser: Browser, base: str, size: str, state: Any) -> None:
    """The list starts where the server put it: the filters are not folded or unfolded by
    script after the first paint (that was a layout shift of 0.46 on phones)."""
    tops = []
    for script in (False, True):
        viewport = DESKTOP if size == "desktop" else PHONE
        context = browser.new_context(
            viewport=viewport, storage_state=state, java_script_enabled=script
        )
        page = context.new_page()
        page.goto(base + "/inbox")
        page.wait_for_load_state("load")
        tops.append(page.locator(".inbox-main").evaluate("el => el.getBoundingClientRect().top"))
        search = page.locator(".filters-panel input[name=q]")
        if size == "desktop":
            expect(search).to_be_visible()  # wide screens show the filters, script or not
        else:
            expect(search).to_be_hidden()  # phones: folded from the server on
        context.close()
    assert tops[0] == tops[1], (size, tops)
