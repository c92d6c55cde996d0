"""Staff and admins with template messages: an admin syncs the OA's templates from Zalo (the
stand-in) and maps a notice kind on /admin/zns; officers see the calls to make on /inbox/calls
and on the case, with the phone, and close them; the same through the API; scope holds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from danvan.accounts.staff import do_create_token
from danvan.cases import intake
from danvan.cases.lifecycle import do_change_status
from danvan.channels.tokens import store_tokens
from danvan.inbox.models import CallTask, Contact, Conversation, Message, NoticeTemplate
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing import citizens
from danvan.testing.servers import ThreadedServer
from danvan.testing.staff import Staff


def _staff(app: FastAPI, persona: Any) -> Staff:
    return Staff.signed_in(TestClient(app), persona.user.email, persona.password)


def _late_answer(database: Database, settings: Settings, personas: Any, phone: str | None) -> int:
    """A case whose citizen wrote 9 days before its answer; returns the case id."""
    conversation_id = citizens.citizen_writes(database, commune=2302, name="Lò Thị Mai")
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        conversation.contact.phone = phone
        conversation.contact.consent_at = utcnow() if phone else None
        case = intake.do_create_case(
            session,
            actor=personas.officer_a.actor,
            settings=settings,
            title="Đèn đường hỏng",
            category="roads",
            commune_code=2302,
            conversation_id=conversation_id,
        )
        case_id = case.id
    with clock.running_from(utcnow() + timedelta(days=9)), database.session() as session:
        case = session.get(type(case), case_id)
        do_change_status(
            session,
            actor=personas.officer_a.actor,
            settings=settings,
            case=case,
            status="answered",
            answer="Đã thay bóng đèn.",
        )
    return case_id


def test_an_admin_syncs_templates_and_maps_a_kind_from_the_page(
    app: FastAPI, database: Database, personas: Any, standin: ThreadedServer
) -> None:
    with database.session() as session:
        store_tokens(
            session,
            platform="zalo_oa",
            access_token="AT",
            refresh_token="RT",
            expires_at=utcnow() + timedelta(hours=25),
        )
    admin = _staff(app, personas.admin)
    assert "Chưa có mẫu tin nào" in admin.get("/admin/zns").text
    assert admin.post("/admin/zns/sync").status_code == 303
    page = admin.get("/admin/zns")
    assert "Kết quả giải quyết phản ánh" in page.text
    assert "Còn 500 / 500" in page.text
    assert "Chưa chọn mẫu tin" in page.text  # every kind is reported until mapped

    refused = admin.post(
        "/admin/zns/kinds/case_answered",
        {"template_id": "301002", "param_name": ["ma_phan_anh"], "param_field": ["case_code"]},
    )
    assert refused.status_code == 422  # trang_thai and tra_cuu are required
    done = admin.post(
        "/admin/zns/kinds/case_answered",
        {
            "template_id": "301002",
            "param_name": ["ma_phan_anh", "trang_thai", "tra_cuu"],
            "param_field": ["case_code", "status", "lookup_url"],
        },
    )
    assert done.status_code == 303
    with database.session() as session:
        mapping = session.get(NoticeTemplate, "case_answered")
        assert mapping is not None
        assert mapping.params == {
            "ma_phan_anh": "case_code",
            "trang_thai": "status",
            "tra_cuu": "lookup_url",
        }
    officer = _staff(app, personas.officer_a)
    assert officer.get("/admin/zns").status_code in (403, 404)


def test_officers_see_and_close_the_calls_to_make_on_the_list_and_the_case(
    app: FastAPI, database: Database, settings: Settings, personas: Any
) -> None:
    case_id = _late_answer(database, settings, personas, phone=None)
    with database.session() as session:
        [task] = session.scalars(select(CallTask))
        task_id = task.id
        contact = session.scalar(select(Contact))
        assert contact is not None
        contact.phone = "0912345678"  # shared afterwards

    officer = _staff(app, personas.officer_a)
    listed = officer.get("/inbox/calls?day=all")
    assert "Lò Thị Mai" in listed.text
    assert 'href="tel:0912345678"' in listed.text
    case_page = officer.get(f"/cases/{case_id}")
    assert "Cần gọi điện cho người dân" in case_page.text
    assert "Gọi điện (không gửi tin)" in case_page.text  # the timeline names the channel

    other = _staff(app, personas.officer_b)
    assert "Lò Thị Mai" not in other.get("/inbox/calls?day=all").text
    assert other.post(f"/inbox/calls/{task_id}/done", {"outcome": "x"}).status_code == 404

    done = officer.post(
        f"/inbox/calls/{task_id}/done", {"outcome": "Đã báo qua điện thoại", "next": "/cases/1"}
    )
    assert done.status_code == 303
    with database.session() as session:
        task = session.get(CallTask, task_id)
        assert task is not None
        assert (task.status, task.outcome) == ("done", "Đã báo qua điện thoại")
        notice = session.get(Message, task.message_id)
        assert notice is not None
        assert notice.delivery_status == "delivered"


def test_the_api_lists_and_closes_call_tasks_and_admins_map_kinds(
    client: TestClient, database: Database, settings: Settings, personas: Any
) -> None:
    _late_answer(database, settings, personas, phone=None)
    with database.session() as session:
        officer_token = do_create_token(session, user=personas.officer_a.user, name="t")
        other_token = do_create_token(session, user=personas.officer_b.user, name="t")
        admin_token = do_create_token(session, user=personas.admin.user, name="t")
    officer = {"Authorization": f"Bearer {officer_token}"}
    [task] = client.get("/api/v1/call-tasks", headers=officer).json()
    assert (task["kind"], task["status"], task["phone"]) == ("case_answered", "open", None)
    assert task["ref"].startswith("case:")
    other = {"Authorization": f"Bearer {other_token}"}
    assert client.get("/api/v1/call-tasks", headers=other).json() == []
    closed = client.post(
        f"/api/v1/call-tasks/{task['id']}/done", json={"outcome": "Đã gọi"}, headers=officer
    )
    assert closed.json()["status"] == "done"

    admin = {"Authorization": f"Bearer {admin_token}"}
    kinds = client.get("/api/v1/notice-templates", headers=admin).json()
    assert {k["kind"] for k in kinds} >= {"case_answered", "training_reminder"}
    assert all(not k["ready"] and k["problems"] for k in kinds)
    assert client.get("/api/v1/notice-templates", headers=officer).status_code == 403
    refused = client.put(
        "/api/v1/notice-templates/case_answered", json={"template_id": "1"}, headers=admin
    )
    assert refused.status_code == 422
    assert client.get("/api/v1/zns", headers=admin).json()["templates"] == []
