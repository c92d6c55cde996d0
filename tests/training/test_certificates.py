"""Certificates: issued only when the rules are met; the public page confirms them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from danvan.kernel.db import Database
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


def _course(
    client: TestClient, personas: Personas
) -> tuple[dict[str, Any], list[dict[str, Any]], int, list[dict[str, Any]]]:
    """A course of two sessions (attendance needed: 50%) and one quiz."""
    admin = personas.admin.headers
    course = create_course(client, admin, min_attendance_percent=50)
    sessions = [create_session(client, admin, course["id"]) for _ in range(2)]
    add_question(client, admin, course["topics"][0]["id"])
    quiz = client.post(
        f"{API}/courses/{course['id']}/quizzes",
        json={"title": "Cuối khoá", "max_attempts": 0},
        headers=admin,
    ).json()
    trainees = upload(client, course["id"], xlsx(PEOPLE), admin).json()["trainees"]
    return course, sessions, int(quiz["id"]), trainees


def _attend(client: TestClient, personas: Personas, session_id: int, trainee_id: int) -> None:
    response = client.post(
        f"{API}/sessions/{session_id}/checkins",
        json={"trainee_id": trainee_id},
        headers=personas.admin.headers,
    )
    assert response.status_code == 201


def _take(client: TestClient, database: Database, quiz: int, key: str, *, right: bool) -> None:
    attempt = client.post(f"{API}/quizzes/{quiz}/attempts", headers=bearer(key)).json()
    answers = right_answers(database, attempt) if right else []
    client.post(
        f"{API}/attempts/{attempt['id']}/answers", json={"answers": answers}, headers=bearer(key)
    )


@pytest.mark.parametrize(
    ("attended", "passed", "eligible"),
    [(1, True, True), (2, True, True), (0, True, False), (2, False, False), (1, False, False)],
)
def test_a_certificate_is_issued_only_when_the_rules_are_met(
    client: TestClient,
    database: Database,
    personas: Personas,
    attended: int,
    passed: bool,
    eligible: bool,
) -> None:
    course, sessions, quiz, trainees = _course(client, personas)
    me = trainees[0]
    for s in sessions[:attended]:
        _attend(client, personas, s["id"], me["id"])
    _take(client, database, quiz, me["key"], right=passed)
    claim = client.post(f"{API}/courses/{course['id']}/certificate", headers=bearer(me["key"]))
    if eligible:
        assert claim.status_code == 201, claim.text
        assert claim.json()["holder_name"] == "Hoàng Thị Lan"
    else:
        assert claim.status_code == 422
        assert claim.json()["code"] == "not_eligible"
        assert "Chưa đủ điều kiện" in claim.json()["detail"]
    issued = client.post(
        f"{API}/courses/{course['id']}/certificates", headers=personas.admin.headers
    )
    assert issued.status_code == 201
    assert issued.json() == []  # the eligible one has it already; nobody else qualifies
    report = client.get(
        f"{API}/courses/{course['id']}/report", headers=personas.admin.headers
    ).json()
    holders = {p["full_name"] for p in report["people"] if p["certificate"]}
    assert holders == ({"Hoàng Thị Lan"} if eligible else set())


def test_organisers_issue_to_everyone_eligible_and_the_public_page_confirms(
    client: TestClient, database: Database, personas: Personas
) -> None:
    course, sessions, quiz, trainees = _course(client, personas)
    for t in trainees[:2]:
        _attend(client, personas, sessions[0]["id"], t["id"])
        _take(client, database, quiz, t["key"], right=True)
    issued = client.post(
        f"{API}/courses/{course['id']}/certificates", headers=personas.admin.headers
    ).json()
    assert sorted(c["holder_name"] for c in issued) == ["Hoàng Thị Lan", "Vàng A Dính"]
    code = issued[0]["code"]
    page = client.get(f"/chung-nhan/{code}")
    assert page.status_code == 200
    assert issued[0]["holder_name"] in page.text
    assert course["title"] in page.text
    assert "0912345601" not in page.text  # the name and the course only
    assert "Minh Quang" not in page.text
    assert (
        client.get(f"/chung-nhan/{code.lower().replace('-', '')}").status_code == 200
    )  # typed loosely
    assert client.get("/chung-nhan", params={"ma": code}, follow_redirects=False).status_code == 303
    missing = client.get("/chung-nhan/DV-AAAAA-AAAAA")
    assert missing.status_code == 404
    assert "Không có giấy chứng nhận" in missing.text
    pdf = client.get(f"/chung-nhan/{code}/pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_only_organisers_issue_certificates(
    client: TestClient, database: Database, personas: Personas
) -> None:
    course, _sessions, _quiz, _trainees = _course(client, personas)
    response = client.post(
        f"{API}/courses/{course['id']}/certificates", headers=personas.officer_a.headers
    )
    assert response.status_code == 403
