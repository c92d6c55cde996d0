"""The organisers' pages and the trainee's phone pages, through the HTML forms."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from danvan.kernel.db import Database
from danvan.training.models import Attendance, Question, QuizAttempt
from training.training_helpers import (
    API,
    PEOPLE,
    add_question,
    create_course,
    create_session,
    csrf_of,
    sign_in_staff,
    upload,
    xlsx,
)

if TYPE_CHECKING:
    from tests.conftest import Personas


def test_an_organiser_sets_up_a_course_from_the_pages(
    app: FastAPI, database: Database, personas: Personas
) -> None:
    with TestClient(app) as browser:
        csrf = sign_in_staff(browser, personas.admin.user.email, personas.admin.password)
        created = browser.post(
            "/training/courses",
            data={
                "csrf_token": csrf,
                "title": "Khoá <b>thử</b>",
                "topics": "Chuyên đề một\nChuyên đề hai\n",
                "trainers": "Đ/c Giảng",
                "communes": ["2302"],
                "min_attendance_percent": "80",
            },
            follow_redirects=False,
        )
        assert created.status_code == 303, created.text
        course_url = created.headers["location"]
        page = browser.get(course_url)
        assert page.status_code == 200
        assert "Khoá &lt;b&gt;thử&lt;/b&gt;" in page.text  # escaped, never markup
        assert "Chuyên đề hai" in page.text
        course_id = int(course_url.rsplit("/", 1)[1])
        day = browser.post(
            f"/training/courses/{course_id}/sessions",
            data={
                "csrf_token": csrf,
                "title": "Ngày 1",
                "day": "2026-12-01",
                "start": "07:30",
                "end": "11:30",
                "venue": "Hội trường",
            },
            follow_redirects=False,
        )
        assert day.status_code == 303
        topic_id = int(
            re.findall(r'href="/training/topics/(\d+)"', browser.get(course_url).text)[0]
        )
        question = browser.post(
            f"/training/topics/{topic_id}/questions",
            data={
                "csrf_token": csrf,
                "text": "Câu hỏi?",
                "options": "*Đúng\nSai\n*Cũng đúng",
                "explanation": "Vì vậy",
            },
            follow_redirects=False,
        )
        assert question.status_code == 303
        with database.session() as session:
            stored = session.scalars(select(Question)).one()
            assert stored.kind == "multiple"
            assert [o.is_correct for o in stored.options] == [True, False, True]
        bad = browser.post(
            f"/training/courses/{course_id}/import",
            data={"csrf_token": csrf},
            files={
                "file": (
                    "ds.xlsx",
                    xlsx([[1, "", "", "Minh Quang", "123"]]),
                    "application/octet-stream",
                )
            },
        )
        assert bad.status_code == 422
        assert "Họ và tên" in bad.text
        assert "Số điện thoại" in bad.text
        good = browser.post(
            f"/training/courses/{course_id}/import",
            data={"csrf_token": csrf},
            files={"file": ("ds.xlsx", xlsx(PEOPLE[:2]), "application/octet-stream")},
        )
        assert good.status_code == 200
        assert good.text.count("/hoc/vao/tk_") == 2  # printable sign-in cards
        session_page = browser.get(f"/training/courses/{course_id}")
        session_id = int(re.findall(r'href="/training/sessions/(\d+)"', session_page.text)[0])
        qr = browser.get(f"/training/sessions/{session_id}/qr.svg")
        assert qr.headers["content-type"].startswith("image/svg+xml")
        assert qr.headers["cache-control"] == "no-store"
        assert browser.get(f"/training/sessions/{session_id}/qr").status_code == 200
        for url in (
            "/training",
            "/training/summary",
            f"/training/courses/{course_id}/report",
            f"/training/topics/{topic_id}",
        ):
            assert browser.get(url).status_code == 200, url
        xlsx_report = browser.get(f"/training/courses/{course_id}/report.xlsx")
        assert xlsx_report.content[:2] == b"PK"


def test_officers_see_pages_but_cannot_organise(
    app: FastAPI, client: TestClient, database: Database, personas: Personas
) -> None:
    course = create_course(client, personas.admin.headers)
    session = create_session(client, personas.admin.headers, course["id"])
    trainee = upload(client, course["id"], xlsx(PEOPLE), personas.admin.headers).json()["trainees"][
        0
    ]
    with TestClient(app) as browser:
        csrf = sign_in_staff(browser, personas.officer_a.user.email, personas.officer_a.password)
        assert browser.get(f"/training/courses/{course['id']}").status_code == 200
        assert browser.get(f"/training/sessions/{session['id']}/qr").status_code == 403
        marked = browser.post(
            f"/training/sessions/{session['id']}/attendance",
            data={"csrf_token": csrf, "trainee_id": trainee["id"]},
        )
        assert marked.status_code == 403
    with database.session() as db:
        assert db.scalars(select(Attendance)).all() == []


def test_a_trainee_checks_in_and_takes_a_quiz_on_the_phone_pages(
    app: FastAPI, client: TestClient, database: Database, personas: Personas
) -> None:
    admin = personas.admin.headers
    course = create_course(client, admin)
    session = create_session(client, admin, course["id"])
    add_question(client, admin, course["topics"][0]["id"])
    quiz = client.post(
        f"{API}/courses/{course['id']}/quizzes", json={"title": "Kiểm tra"}, headers=admin
    ).json()
    trainee = upload(client, course["id"], xlsx(PEOPLE), admin).json()["trainees"][0]
    code = client.get(f"{API}/sessions/{session['id']}/code", headers=admin).json()
    with TestClient(app) as phone:
        assert "đường link cá nhân" in phone.get("/hoc").text  # not signed in yet
        home = phone.get(trainee["signin_url"].replace("http://127.0.0.1:8000", ""))
        assert home.status_code == 200
        assert "Hoàng Thị Lan" in home.text
        page = phone.get(code["url"].replace("http://127.0.0.1:8000", ""))
        assert page.status_code == 200
        done = phone.post(
            f"/hoc/diem-danh/{session['id']}",
            data={"csrf_token": csrf_of(page.text), "code": code["code"]},
        )
        assert done.status_code == 200
        assert "Đã điểm danh" in done.text
        stale = phone.post(
            f"/hoc/diem-danh/{session['id']}",
            data={"csrf_token": csrf_of(page.text), "code": "1-" + "a" * 20},
        )
        assert stale.status_code == 422
        assert "không hợp lệ" in stale.text
        home = phone.get("/hoc")
        started = phone.post(
            f"/hoc/bai-thi/{quiz['id']}",
            data={"csrf_token": csrf_of(home.text)},
            follow_redirects=False,
        )
        assert started.status_code == 303
        form = phone.get(started.headers["location"])
        with database.session() as db:
            question = db.scalars(select(Question)).one()
            right = next(o.id for o in question.options if o.is_correct)
        result = phone.post(
            started.headers["location"],
            data={"csrf_token": csrf_of(form.text), f"q{question.id}": str(right)},
        )
        assert result.status_code == 200
        assert 'data-percent="100.0"' in result.text
        assert "Theo Chỉ thị" in result.text  # the explanation
    with database.session() as db:
        assert db.scalars(select(QuizAttempt)).one().passed is True


def test_the_phone_pages_speak_english_on_request(
    app: FastAPI, client: TestClient, database: Database, personas: Personas
) -> None:
    course = create_course(client, personas.admin.headers)
    trainee = upload(client, course["id"], xlsx(PEOPLE), personas.admin.headers).json()["trainees"][
        0
    ]
    with TestClient(app) as phone:
        phone.get(f"/hoc/vao/{trainee['key']}")
        assert "Xin chào Hoàng Thị Lan" in phone.get("/hoc").text
        assert "Hello Hoàng Thị Lan" in phone.get("/hoc?lang=en").text
        assert "Hello Hoàng Thị Lan" in phone.get("/hoc").text  # kept for the session
