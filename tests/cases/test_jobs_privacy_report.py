"""The worker's case jobs, the citizen's data in export and erasure, and the figures."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import select

from cases.case_helpers import COMMUNE_A, COMMUNE_B, MakeCase
from danvan.cases import intake, lifecycle, reports
from danvan.cases import jobs as cases_jobs
from danvan.cases.models import Case, CaseEvent
from danvan.inbox import privacy
from danvan.inbox.models import Contact, Conversation
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings


def _events(database: Database, case_id: int) -> list[str]:
    with database.session() as session:
        return list(
            session.scalars(
                select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
            )
        )


def test_reminders_before_the_due_time_and_escalation_once_overdue(
    database: Database, settings: Settings, make_case: MakeCase, client: TestClient, personas: Any
) -> None:
    unit = client.post(
        "/api/v1/case-units",
        json={
            "name": "UBND xã Minh Quang",
            "commune_code": COMMUNE_A,
            "head_id": personas.colleague_a.user.id,
        },
        headers=personas.admin.headers,
    ).json()
    case = make_case()
    client.patch(
        f"/api/v1/cases/{case}",
        json={"unit_id": unit["id"], "reason": "Giao UBND xã"},
        headers=personas.officer_a.headers,
    )
    with database.session() as session:
        due = session.get(Case, case).due_at  # type: ignore[union-attr]
    early = due - timedelta(hours=settings.case_remind_hours + 1)
    assert cases_jobs.remind(database, settings, early) == 0
    soon = due - timedelta(hours=1)
    assert cases_jobs.remind(database, settings, soon) == 1
    assert cases_jobs.remind(database, settings, soon) == 0  # once
    assert cases_jobs.escalate(database, settings, soon) == 0
    late = due + timedelta(minutes=1)
    assert cases_jobs.escalate(database, settings, late) == 1
    assert cases_jobs.escalate(database, settings, late) == 0
    assert _events(database, case)[-2:] == ["reminded", "escalated"]
    with database.session() as session:
        escalated = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case, CaseEvent.kind == "escalated")
        ).one()
        assert escalated.detail["head_id"] == personas.colleague_a.user.id
        assert escalated.public is False


def test_export_and_erasure_cover_the_citizens_cases(
    database: Database, settings: Settings, make_case: MakeCase, personas: Any
) -> None:
    case = make_case("Nhà bà Lan ở thôn 5 bị nứt tường do nổ mìn")
    with database.session() as session:
        row = session.get(Case, case)
        assert row is not None
        lifecycle.do_add_note(
            session, actor=personas.officer_a.actor, case=row, text="Bà Lan 0912000111"
        )
        contact = session.get(Contact, session.get(Conversation, row.conversation_id).contact_id)  # type: ignore[union-attr]
        assert contact is not None
        exported = privacy.export_contact(session, actor=personas.officer_a.actor, contact=contact)
        cases = exported["areas"]["cases"]["cases"]
        assert [c["code"] for c in cases] == [row.code]
        assert "nứt tường" in cases[0]["description"]
        deletion = privacy.do_delete_contact(
            session, actor=personas.admin.actor, contact=contact, reason="Người dân yêu cầu"
        )
        assert deletion.areas["cases"] == {"cases": 1, "case_events": 1}
    with database.session() as session:
        row = session.get(Case, case)
        assert row is not None
        assert row.description == ""
        assert "Lan" not in row.title
        assert row.code.lower() in row.search_text
        texts = session.scalars(select(CaseEvent.text).where(CaseEvent.case_id == case)).all()
        assert not any("0912000111" in t for t in texts)


def test_figures_per_commune_and_the_xlsx_export(
    client: TestClient, database: Database, settings: Settings, make_case: MakeCase, personas: Any
) -> None:
    a1 = make_case()
    a2 = make_case("Trạm y tế thiếu thuốc", category="health")
    make_case("Đường Thượng Lâm hỏng", commune=COMMUNE_B, by=personas.officer_b)
    h = personas.officer_a.headers
    client.patch(
        f"/api/v1/cases/{a1}", json={"status": "answered", "public_answer": "Đã sửa"}, headers=h
    )
    with database.session() as session:
        row = session.get(Case, a1)
        assert row is not None
        row.rating = 5
        overdue = session.get(Case, a2)
        assert overdue is not None
        overdue.due_at = utcnow() - timedelta(hours=1)
    start, end = utcnow() - timedelta(days=1), utcnow() + timedelta(minutes=1)
    with database.session() as session:
        mine = reports.report_figures(session, actor=personas.officer_a.actor, start=start, end=end)
        everything = reports.report_figures(
            session, actor=personas.admin.actor, start=start, end=end
        )
    assert mine["received"] == 2
    assert mine["answered"] == 1
    assert mine["answered_on_time"] == 1
    assert mine["open"] == 1
    assert mine["overdue"] == 1
    assert mine["satisfaction_average"] == 5.0
    assert mine["satisfaction_count"] == 1
    assert mine["median_hours_to_answer"] is not None
    assert [r["commune_code"] for r in mine["by_commune"]] == [COMMUNE_A]
    assert everything["received"] == 3
    assert {r["commune_code"] for r in everything["by_commune"]} == {COMMUNE_A, COMMUNE_B}

    by_category = client.get("/api/v1/case-figures", params={"by": "category"}, headers=h).json()
    assert {r["key"] for r in by_category["rows"]} == {"roads", "health"}
    xlsx = client.get("/api/v1/case-figures.xlsx", params={"category": "health"}, headers=h)
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Theo xã", "Theo đơn vị", "Theo lĩnh vực", "Danh sách"]
    listed = [row[1] for row in book["Danh sách"].iter_rows(min_row=2, values_only=True)]
    assert listed == ["Trạm y tế thiếu thuốc"]


def test_a_citizen_rates_by_answering_the_rating_request_on_zalo(
    database: Database, settings: Settings, personas: Any, writes: Any
) -> None:
    officer = personas.officer_a.actor
    made = {}
    for user_id in ("84100", "84200"):
        conversation = writes("Đường thôn bị sạt lở", user_id=user_id)
        with database.session() as session:
            case = intake.do_create_case(
                session,
                actor=officer,
                settings=settings,
                title="Sạt lở",
                category="roads",
                commune_code=COMMUNE_A,
                conversation_id=conversation,
            )
            lifecycle.do_change_status(
                session,
                actor=officer,
                settings=settings,
                case=case,
                status="answered",
                answer="Đã sửa",
            )
            lifecycle.do_change_status(
                session, actor=officer, settings=settings, case=case, status="closed"
            )
            made[user_id] = case.id
    now = utcnow()
    assert cases_jobs.request_ratings(database, settings, now) == 2
    assert cases_jobs.request_ratings(database, settings, now) == 0
    writes("4 sao, cảm ơn xã", user_id="84100", commune=None)
    writes("Khi nào sửa tiếp đoạn dưới?", user_id="84200", commune=None)
    writes("5", user_id="84200", commune=None)  # too late: the first reply was not a score
    assert cases_jobs.collect_ratings(database, settings, utcnow()) == 1
    assert cases_jobs.collect_ratings(database, settings, utcnow()) == 0
    with database.session() as session:
        rated = session.get(Case, made["84100"])
        other = session.get(Case, made["84200"])
        assert rated is not None
        assert other is not None
        assert (rated.rating, rated.rating_comment) == (4, "cảm ơn xã")
        assert other.rating is None
