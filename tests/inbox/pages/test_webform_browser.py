"""The public form in a real (headless) browser on a phone-sized screen: the live counter, the
commune search, no CSP violations, and a submission through to the thank-you page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from danvan.inbox import webform
from danvan.inbox.models import Conversation
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs /usr/bin/chromium"),
]


@pytest.fixture
def phone_page(live_server: ThreadedServer) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
        page = context.new_page()
        page.problems = []  # console errors (CSP violations among them) and missing resources

        def on_console(message: Any) -> None:
            # Browsers ask for /favicon.ico on their own; the app has none.
            if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
                page.problems.append(f"{message.text} ({message.location['url']})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: page.problems.append(str(error)))
        page.on(
            "response",
            lambda r: page.problems.append(f"{r.status} {r.url}") if r.status == 404 else None,
        )
        yield page
        browser.close()


def test_a_citizen_fills_the_form_on_a_phone(
    phone_page: Any, live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    page = phone_page
    page.goto(f"{live_server.url}/gop-y")
    assert page.locator("html").get_attribute("lang") == "vi"

    page.get_by_label("Tìm nhanh").fill("minh quang")
    assert page.locator("#f-commune").input_value() == "2302"

    page.get_by_label("Nội dung phản ánh, kiến nghị").fill("Cầu tràn thôn Bản Pài ngập")
    assert page.locator("#c-text").inner_text() == "26 / 4000 ký tự"
    # One line of the page fits the screen: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # A person takes longer than the minimum fill time; stand in for that wait.
    token = webform.issue_form_token(
        secret_key=settings.secret_key, now=utcnow() - timedelta(seconds=30)
    )
    page.locator("input[name=form_token]").evaluate("(el, t) => { el.value = t; }", token)
    page.get_by_role("button", name="Gửi phản ánh").click()
    page.wait_for_url("**/cam-on")
    code = page.locator("#ma").inner_text()
    assert webform.normalize_code(code) == code
    assert page.problems == []
    with database.session() as session:
        assert session.scalars(select(Conversation.commune_code)).one() == 2302
