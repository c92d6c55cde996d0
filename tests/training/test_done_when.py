"""Issue 6, "Done when": a course with a session and a quiz is set up and run through the API;
trainees imported from XLSX check in with a valid code (an expired one is refused), an attempt
is graded, and the course report lists attendance and scores per commune."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.training.attendance import checkin_code
from training.training_helpers import (
    API,
    PEOPLE,
    add_question,
    bearer,
    create_course,
    create_session,
    right_answers,
    upload,
    xlsx,
)

if TYPE_CHECKING:
    from tests.conftest import Personas


def test_a_course_runs_through_the_api(
    client: TestClient, database: Database, settings: Settings, personas: Personas
) -> None:
    admin = personas.admin.headers
    course = create_course(client, admin)
    assert [t["position"] for t in course["topics"]] == list(range(1, 10))
    session = create_session(client, admin, course["id"])
    topic = course["topics"][0]["id"]
    for n in range(3):
        add_question(client, admin, topic, text=f"Câu hỏi {n}")
    add_question(
        client,
        admin,
        course["topics"][8]["id"],
        kind="multiple",
        text="Kênh nào tiếp nhận ý kiến người dân?",
        options=[("Zalo OA", True), ("Biểu mẫu web", True), ("Thư tay nặc danh", False)],
    )
    quiz = client.post(
        f"{API}/courses/{course['id']}/quizzes",
        json={"title": "Kiểm tra cuối khoá", "question_count": 4, "pass_percent": 75},
        headers=admin,
    )
    assert quiz.status_code == 201, quiz.text

    imported = upload(client, course["id"], xlsx(PEOPLE), admin)
    assert imported.status_code == 201, imported.text
    trainees = imported.json()["trainees"]
    assert [t["commune_code"] for t in trainees] == [2302, 2302, 2269]
    lan, dinh, _sang = (bearer(t["key"]) for t in trainees)

    code = client.get(f"{API}/sessions/{session['id']}/code", headers=admin).json()["code"]
    checked = client.post(
        f"{API}/sessions/{session['id']}/checkins", json={"code": code}, headers=lan
    )
    assert checked.status_code == 201, checked.text
    assert checked.json()["method"] == "qr"

    expired = checkin_code(
        secret_key=settings.resolve_secret_key(),
        session_id=session["id"],
        now=utcnow() - timedelta(seconds=3 * settings.training_qr_seconds),
        period=settings.training_qr_seconds,
    )
    refused = client.post(
        f"{API}/sessions/{session['id']}/checkins", json={"code": expired}, headers=dinh
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "qr_expired"
    assert "hết hạn" in refused.json()["detail"]

    attempt = client.post(f"{API}/quizzes/{quiz.json()['id']}/attempts", headers=lan)
    assert attempt.status_code == 201, attempt.text
    assert len(attempt.json()["questions"]) == 4
    graded = client.post(
        f"{API}/attempts/{attempt.json()['id']}/answers",
        json={"answers": right_answers(database, attempt.json())},
        headers=lan,
    )
    assert graded.status_code == 200, graded.text
    assert graded.json()["percent"] == 100.0
    assert graded.json()["passed"] is True

    report = client.get(f"{API}/courses/{course['id']}/report", headers=admin)
    assert report.status_code == 200, report.text
    communes = {c["commune_name"]: c for c in report.json()["communes"]}
    assert communes["Xã Minh Quang"]["trainees"] == 2
    assert communes["Xã Minh Quang"]["attendance_percent"] == 50.0
    assert communes["Xã Minh Quang"]["average_score"] == 100.0
    assert communes["Xã Minh Quang"]["passed"] == 1
    assert communes["Xã Thượng Lâm"]["attendance_percent"] == 0.0
    assert communes["Xã Thượng Lâm"]["average_score"] is None
    assert report.json()["sessions"][0]["attended"] == 1
