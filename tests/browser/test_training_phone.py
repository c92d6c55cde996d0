"""A trainee on a 390-px-wide phone: opens their personal link, checks in by the hall's QR
link, takes a quiz and sees the result, with nothing wider than the screen."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from openpyxl import Workbook  # type: ignore[import-untyped]
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.testing.servers import ThreadedServer
from danvan.training.models import Question

if TYPE_CHECKING:
    from tests.conftest import Personas

PHONE = {"width": 390, "height": 844}


def _course(server: ThreadedServer, headers: dict[str, str]) -> dict[str, Any]:
    """A course with a session happening now, two questions and a quiz; one imported trainee."""
    api = httpx.Client(base_url=server.url + "/api/v1", headers=headers)
    course = api.post(
        "/courses",
        json={"title": "Bồi dưỡng dân vận khéo", "topics": ["Dân vận khéo", "Chuyển đổi số"]},
    ).json()
    now = clock.now()
    session = api.post(
        f"/courses/{course['id']}/sessions",
        json={
            "title": "Ngày 1 — sáng",
            "venue": "Hội trường Tỉnh uỷ",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=3)).isoformat(),
        },
    ).json()
    api.post(
        f"/topics/{course['topics'][0]['id']}/questions",
        json={
            "kind": "single",
            "text": "Phương châm “Dân biết, dân bàn, dân làm, dân kiểm tra” có thêm vế nào?",
            "explanation": "Thêm “dân giám sát, dân thụ hưởng”.",
            "options": [
                {"text": "Dân giám sát, dân thụ hưởng", "correct": True},
                {"text": "Dân tự quyết mọi việc", "correct": False},
            ],
        },
    )
    api.post(
        f"/topics/{course['topics'][1]['id']}/questions",
        json={
            "kind": "multiple",
            "text": "Người dân gửi ý kiến qua những kênh nào của tỉnh?",
            "options": [
                {"text": "Zalo OA của tỉnh", "correct": True},
                {"text": "Biểu mẫu góp ý trên web", "correct": True},
                {"text": "Tin nhắn nặc danh qua mạng xã hội lạ", "correct": False},
            ],
        },
    )
    quiz = api.post(
        f"/courses/{course['id']}/quizzes",
        json={"title": "Kiểm tra cuối buổi", "question_count": 2, "time_limit_minutes": 10},
    ).json()
    book = Workbook()
    book.active.append(["Họ và tên", "Chức vụ", "Xã/phường", "Số điện thoại"])
    book.active.append(["Hoàng Thị Lan", "Chủ tịch MTTQ xã", "Xã Minh Quang", "0912345601"])
    data = io.BytesIO()
    book.save(data)
    imported = api.post(
        f"/courses/{course['id']}/trainees/import",
        files={"file": ("ds.xlsx", data.getvalue(), "application/octet-stream")},
    )
    assert imported.status_code == 201, imported.text
    code = api.get(f"/sessions/{session['id']}/code").json()
    return {
        "signin": imported.json()["trainees"][0]["signin_url"],
        "checkin": code["url"],
        "quiz": quiz,
    }


def _local(url: str, server: ThreadedServer) -> str:
    return server.url + url.split("8000", 1)[1]


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide on a {PHONE['width']}px phone"


def _right_options(database: Database) -> dict[str, set[str]]:
    with database.session() as session:
        return {
            q.text: {o.text for o in q.options if o.is_correct}
            for q in session.scalars(select(Question))
        }


def test_a_trainee_checks_in_takes_a_quiz_and_sees_the_result_on_a_phone(
    browser: Browser, live_server: ThreadedServer, database: Database, personas: Personas
) -> None:
    setup = _course(live_server, personas.admin.headers)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN")
    page = context.new_page()

    page.goto(_local(setup["signin"], live_server))
    expect(page.get_by_text("Xin chào Hoàng Thị Lan")).to_be_visible()
    _fits(page)

    page.goto(_local(setup["checkin"], live_server))  # what the camera opens from the hall's QR
    page.get_by_role("button", name="Điểm danh").click()
    expect(page.get_by_role("status")).to_contain_text("Đã điểm danh")
    _fits(page)

    page.get_by_role("link", name="Về trang học").click()
    expect(page.get_by_text("Đã điểm danh 1/1 buổi")).to_be_visible()
    page.get_by_role("button", name="Làm bài").click()
    expect(page.locator("#tr-timer")).to_contain_text("Thời gian còn lại")
    _fits(page)
    right = _right_options(database)
    for question, answers in right.items():
        group = page.get_by_role("group", name=question)
        for text in answers:
            group.get_by_text(text, exact=True).click()
    page.get_by_role("button", name="Nộp bài").click()

    expect(page.locator(".tr-score")).to_have_text("100,0%")  # the Vietnamese decimal comma
    expect(page.get_by_text("Đạt", exact=True)).to_be_visible()
    expect(page.get_by_text("Thêm “dân giám sát, dân thụ hưởng”.")).to_be_visible()
    _fits(page)
    context.close()
