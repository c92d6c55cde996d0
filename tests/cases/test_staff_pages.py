"""The staff pages of cases: list with filters and search, the case page, making a case from a
conversation, status changes with a public answer; escaping and scope."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cases.case_helpers import COMMUNE_A, COMMUNE_B, MakeCase, Writes
from danvan.cases.models import Case
from danvan.kernel.db import Database
from danvan.testing.staff import Staff


def _staff(app: FastAPI, persona: Any) -> Staff:
    return Staff.signed_in(TestClient(app), persona.user.email, persona.password)


def test_an_officer_makes_a_case_from_a_conversation_and_answers_it(
    app: FastAPI, database: Database, personas: Any, writes: Writes
) -> None:
    conversation = writes("Cầu treo thôn Bản Thàng bị gãy <script>alert(1)</script>")
    officer = _staff(app, personas.officer_a)
    page = officer.get(f"/conversations/{conversation}")
    assert f'hx-get="/cases/conversation/{conversation}/panel"' in page.text
    panel = officer.get(f"/cases/conversation/{conversation}/panel")
    assert "/cases/new?conversation=" in panel.text

    form = officer.get(f"/cases/new?conversation={conversation}")
    assert form.status_code == 200
    made = officer.post(
        "/cases/new",
        {
            "conversation_id": str(conversation),
            "title": "Cầu treo Bản Thàng gãy",
            "category": "roads",
            "commune_code": str(COMMUNE_A),
            "priority": "urgent",
        },
    )
    assert made.status_code == 303, made.text
    url = made.headers["location"]
    case_page = officer.get(url)
    assert case_page.status_code == 200
    assert "Cầu treo Bản Thàng gãy" in case_page.text
    assert "<script>alert(1)</script>" not in case_page.text
    assert "&lt;script&gt;" in case_page.text
    assert "Cầu treo Bản Thàng gãy" in officer.get(f"/cases/conversation/{conversation}/panel").text

    refused = officer.post(f"{url}/status", {"status": "answered", "answer": ""})
    assert refused.status_code == 422
    # The citizen is messaged: the first post only asks for a confirmation, saying to whom.
    asked = officer.post(f"{url}/status", {"status": "answered", "answer": "Đã sửa cầu."})
    assert asked.status_code == 200
    assert "Tin nhắn sẽ gửi tới 1 người dân." in asked.text
    assert 'name="confirmed" value="1"' in asked.text
    with database.session() as session:
        assert session.scalars(select(Case.status)).one() == "received"
    answered = officer.post(
        f"{url}/status", {"status": "answered", "answer": "Đã sửa cầu.", "confirmed": "1"}
    )
    assert answered.status_code == 303
    assert "Đã trả lời" in officer.get(url).text
    with database.session() as session:
        case = session.scalars(select(Case)).one()
        assert (case.status, case.public_answer, case.priority) == (
            "answered",
            "Đã sửa cầu.",
            "urgent",
        )


def test_the_list_filters_and_searches_with_or_without_diacritics(
    app: FastAPI, personas: Any, make_case: MakeCase
) -> None:
    make_case("Sạt lở đường liên thôn", title="Sạt lở đường liên thôn")
    make_case("Trạm y tế thiếu thuốc", title="Trạm y tế thiếu thuốc", category="health")
    make_case(
        "Đường Thượng Lâm hỏng",
        commune=COMMUNE_B,
        by=personas.officer_b,
        title="Đường Thượng Lâm hỏng",
    )
    officer = _staff(app, personas.officer_a)
    everything = officer.get("/cases").text
    assert "Sạt lở đường liên thôn" in everything
    assert "Trạm y tế thiếu thuốc" in everything
    assert "Đường Thượng Lâm hỏng" not in everything
    for q in ("sat lo", "Sạt lở", "SAT LO"):
        found = officer.get("/cases", params={"q": q}).text
        assert "Sạt lở đường liên thôn" in found, q
        assert "Trạm y tế thiếu thuốc" not in found, q
    health = officer.get("/cases", params={"category": "health"}).text
    assert "Trạm y tế" in health
    assert "Sạt lở đường" not in health
    assert "Sạt lở đường" not in officer.get("/cases", params={"overdue": "1"}).text
    assert officer.get("/cases/report").status_code == 200
    assert officer.get("/cases/export.xlsx").status_code == 200


def test_out_of_scope_case_pages_do_not_exist_and_viewers_cannot_act(
    app: FastAPI, personas: Any, make_case: MakeCase
) -> None:
    case = make_case()
    other = _staff(app, personas.officer_b)
    assert other.get(f"/cases/{case}").status_code == 404
    assert other.get("/cases/999999").status_code == 404
    viewer = _staff(app, personas.viewer_a)
    page = viewer.get(f"/cases/{case}")
    assert page.status_code == 200
    assert f'action="/cases/{case}/status"' not in page.text
    assert viewer.post(f"/cases/{case}/note", {"text": "x"}).status_code == 403


def test_admins_manage_units_rules_and_open311_keys_from_the_ui(
    app: FastAPI, database: Database, personas: Any
) -> None:
    officer = _staff(app, personas.officer_a)
    assert officer.get("/cases/admin").status_code == 403
    assert officer.post("/cases/admin/keys", {"name": "x"}).status_code == 403
    admin = _staff(app, personas.admin)
    assert admin.get("/cases/admin").status_code == 200
    made = admin.post(
        "/cases/admin/units",
        {
            "name": "UBND xã Minh Quang",
            "commune_code": str(COMMUNE_A),
            "head_id": str(personas.officer_a.user.id),
        },
    )
    assert made.status_code == 303
    assert "UBND xã Minh Quang" in admin.get("/cases/admin").text
    with database.session() as session:
        from danvan.cases.models import Open311Key, RoutingRule, Unit

        unit = session.scalars(select(Unit)).one()
    rule = admin.post(
        "/cases/admin/rules",
        {"category": "roads", "commune_code": str(COMMUNE_A), "unit_id": str(unit.id)},
    )
    assert rule.status_code == 303
    key = admin.post("/cases/admin/keys", {"name": "Cổng DVC tỉnh"})
    assert key.status_code == 200
    assert "o311_" in key.text
    with database.session() as session:
        assert session.scalars(select(RoutingRule)).one().unit_id == unit.id
        stored = session.scalars(select(Open311Key)).one()
    assert "o311_" not in admin.get("/cases/admin").text  # shown once only
    assert admin.post(f"/cases/admin/keys/{stored.id}/revoke").status_code == 303
