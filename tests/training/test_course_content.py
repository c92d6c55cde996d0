"""Course content and reports: materials (links, texts, files), staff enrolment, XLSX report."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]

from danvan.kernel.db import Database
from training.training_helpers import (
    API,
    PEOPLE,
    bearer,
    create_course,
    create_session,
    sign_in_staff,
    upload,
    xlsx,
)

if TYPE_CHECKING:
    from tests.conftest import Personas


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"kind": "link", "title": "Nghị quyết", "url": "https://tuyenquang.gov.vn/nq"}, 201),
        ({"kind": "text", "title": "Ghi nhớ", "body": "Dân biết, dân bàn"}, 201),
        ({"kind": "link", "title": "Xấu", "url": "javascript:alert(1)"}, 422),
        ({"kind": "text", "title": "Trống", "body": "   "}, 422),
        ({"kind": "text", "title": "Dài", "body": "x" * 20_001}, 422),
    ],
    ids=["link", "text", "script link", "empty text", "too long"],
)
def test_materials_are_checked(
    client: TestClient, database: Database, personas: Personas, body: dict[str, str], status: int
) -> None:
    course = create_course(client, personas.admin.headers)
    topic = course["topics"][0]["id"]
    response = client.post(
        f"{API}/topics/{topic}/materials", json=body, headers=personas.admin.headers
    )
    assert response.status_code == status, response.text
    shown = client.get(f"{API}/courses/{course['id']}", headers=personas.admin.headers).json()
    assert len(shown["topics"][0]["materials"]) == (1 if status == 201 else 0)


def test_a_file_material_is_served_to_the_course_only(
    app: FastAPI, client: TestClient, database: Database, personas: Personas
) -> None:
    course = create_course(client, personas.admin.headers, audience_communes=[2302])
    topic = course["topics"][0]["id"]
    with TestClient(app) as browser:
        csrf = sign_in_staff(browser, personas.admin.user.email, personas.admin.password)
        added = browser.post(
            f"/training/topics/{topic}/materials",
            data={"csrf_token": csrf, "kind": "file", "title": "Bài giảng"},
            files={"file": ("bai-giang.pdf", b"%PDF-1.4 demo", "application/pdf")},
            follow_redirects=False,
        )
        assert added.status_code == 303, added.text
    material = client.get(f"{API}/courses/{course['id']}", headers=personas.admin.headers).json()
    material_id = material["topics"][0]["materials"][0]["id"]
    with TestClient(app) as officer_a:
        sign_in_staff(officer_a, personas.officer_a.user.email, personas.officer_a.password)
        got = officer_a.get(f"/training/materials/{material_id}")
        assert got.status_code == 200
        assert got.content == b"%PDF-1.4 demo"
        assert got.headers["content-disposition"] == 'attachment; filename="bai-giang.pdf"'
    with TestClient(app) as officer_b:
        sign_in_staff(officer_b, personas.officer_b.user.email, personas.officer_b.password)
        assert officer_b.get(f"/training/materials/{material_id}").status_code == 404
    with TestClient(app) as stranger:
        assert stranger.get(f"/training/materials/{material_id}").status_code == 404


def test_staff_accounts_are_enrolled_once(
    client: TestClient, database: Database, personas: Personas
) -> None:
    course = create_course(client, personas.admin.headers)
    body = {"user_id": personas.officer_b.user.id, "phone": "0912 000 777"}
    url = f"{API}/courses/{course['id']}/trainees"
    first = client.post(url, json=body, headers=personas.admin.headers)
    assert first.status_code == 201
    assert first.json()["staff_account"] is True
    assert first.json()["commune_code"] == 2269
    assert client.post(url, json=body, headers=personas.admin.headers).status_code == 422
    quiz_list = client.get(
        f"{API}/courses/{course['id']}/quizzes", headers=personas.officer_b.headers
    )
    assert quiz_list.status_code == 200


def test_the_xlsx_report_has_communes_people_and_sessions(
    client: TestClient, database: Database, personas: Personas
) -> None:
    course = create_course(client, personas.admin.headers)
    session = create_session(client, personas.admin.headers, course["id"])
    rows = [*PEOPLE, (4, "@SUM(A1) Tư", "", "Minh Quang", "0912345604")]
    trainees = upload(client, course["id"], xlsx(rows), personas.admin.headers).json()["trainees"]
    code = client.get(
        f"{API}/sessions/{session['id']}/code", headers=personas.admin.headers
    ).json()["code"]
    client.post(
        f"{API}/sessions/{session['id']}/checkins",
        json={"code": code},
        headers=bearer(trainees[0]["key"]),
    )
    response = client.get(
        f"{API}/courses/{course['id']}/report",
        params={"format": "xlsx"},
        headers=personas.admin.headers,
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Theo xã", "Học viên", "Buổi học"]
    communes = {row[0]: row for row in book["Theo xã"].iter_rows(min_row=2, values_only=True)}
    assert communes["Xã Minh Quang"][1:3] == (3, 33.3)
    assert communes["Xã Thượng Lâm"][1:3] == (1, 0.0)
    names = [row[0] for row in book["Học viên"].iter_rows(min_row=2, values_only=True)]
    assert "'@SUM(A1) Tư" in names  # never a formula in the organiser's sheet
    assert [row[3] for row in book["Buổi học"].iter_rows(min_row=2, values_only=True)] == [1]
