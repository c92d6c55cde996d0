"""Safe actions on the case pages (issue 14): the status control starts at the current status,
every message to citizens is confirmed first with how many it goes to, overdue cases stand
out in the list, long titles are cut at a word, routing rules speak names."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cases.case_helpers import COMMUNE_A, MakeCase
from danvan.cases import units
from danvan.cases.models import Case, CaseEvent
from danvan.inbox.models import Message
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.testing.staff import Staff


def _staff(app: FastAPI, persona: Any) -> Staff:
    return Staff.signed_in(TestClient(app), persona.user.email, persona.password)


def _sent(database: Database) -> int:
    with database.session() as session:
        return len(session.scalars(select(Message).where(Message.direction == "out")).all())


def test_the_status_control_starts_at_the_current_status(
    app: FastAPI, database: Database, personas: Any, make_case: MakeCase
) -> None:
    case = make_case()
    officer = _staff(app, personas.officer_a)
    assert officer.post(f"/cases/{case}/status", {"status": "in_progress"}).status_code == 200
    officer.post(f"/cases/{case}/status", {"status": "in_progress", "confirmed": "1"})
    page = officer.get(f"/cases/{case}").text
    select_html = re.search(r'<select name="status" id="f-status">(.*?)</select>', page, re.S)
    assert select_html is not None
    first = re.search(r"<option ([^>]*)>([^<]*)</option>", select_html.group(1))
    assert first is not None
    assert first.group(1) == 'value="in_progress" selected'
    assert "(hiện tại)" in first.group(2)
    # Sending the form as it comes changes nothing and messages nobody.
    before = _sent(database)
    kept = officer.post(f"/cases/{case}/status", {"status": "in_progress"})
    assert kept.status_code == 303
    assert _sent(database) == before
    with database.session() as session:
        assert session.get(Case, case).status == "in_progress"  # type: ignore[union-attr]


def test_a_status_change_and_a_reply_to_citizens_are_confirmed_first(
    app: FastAPI, database: Database, personas: Any, make_case: MakeCase
) -> None:
    case = make_case()
    officer = _staff(app, personas.officer_a)
    before = _sent(database)
    asked = officer.post(f"/cases/{case}/status", {"status": "in_progress"})
    assert asked.status_code == 200
    assert "Tin nhắn sẽ gửi tới 1 người dân." in asked.text
    assert "Đang xử lý" in asked.text
    assert _sent(database) == before
    # The page has the dialog's question too (script asks there; this page is the fallback).
    page = officer.get(f"/cases/{case}").text
    assert 'data-confirm="Người dân (1 cuộc hội thoại)' in page
    assert 'value="in_progress" data-notifies' in page

    reply = {"text": "Xin gửi thêm ảnh <b>hiện trường</b>"}
    asked = officer.post(f"/cases/{case}/reply", reply)
    assert asked.status_code == 200
    assert "Tin nhắn sẽ gửi tới 1 người dân." in asked.text
    assert "&lt;b&gt;hiện trường&lt;/b&gt;" in asked.text
    assert _sent(database) == before
    done = officer.post(f"/cases/{case}/reply", {**reply, "confirmed": "1"})
    assert done.status_code == 303
    assert _sent(database) == before + 1
    with database.session() as session:
        kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case)).all()
        assert "replied" in kinds


def test_overdue_cases_stand_out_and_long_titles_end_at_a_word(
    app: FastAPI, database: Database, personas: Any, make_case: MakeCase
) -> None:
    title = "Đường liên thôn Bản Pài sạt lở nghiêm trọng " + "sau nhiều ngày mưa lớn " * 6
    late = make_case(title=title.strip())
    make_case(title="Đèn đường tắt")
    with database.session() as session:
        session.get(Case, late).due_at = utcnow() - timedelta(days=2)  # type: ignore[union-attr]
    page = _staff(app, personas.officer_a).get("/cases").text
    rows = re.findall(r"<tr( class=\"is-overdue\")?>\s*<td[^>]*><a href=\"/cases/(\d+)\"", page)
    assert {int(case): bool(mark) for mark, case in rows}[late] is True
    assert sum(bool(mark) for mark, _ in rows) == 1
    shown = re.search(r"Đường liên thôn Bản Pài[^<]*", page)
    assert shown is not None
    # Whole words, then the ellipsis.
    assert shown.group(0).endswith("…")
    assert title.startswith(shown.group(0)[:-1] + " ")
    assert len(shown.group(0)) <= 90


def test_routing_rules_show_topic_unit_and_person_names(
    app: FastAPI, database: Database, personas: Any
) -> None:
    admin = personas.admin.actor
    with database.session() as session:
        unit = units.do_create_unit(
            session, actor=admin, name="Phòng Kinh tế", commune_code=COMMUNE_A
        )
        units.do_set_rule(
            session,
            actor=admin,
            category="roads",
            commune_code=COMMUNE_A,
            unit_id=unit.id,
            assignee_id=personas.officer_a.user.id,
        )
    page = _staff(app, personas.admin).get("/cases/admin").text
    rules = page.split('id="rules-h"')[1].split("</table>")[0]
    assert '<td data-label="Lĩnh vực">Giao thông' in rules
    assert ">roads<" not in rules
    assert "Xã Minh Quang" in rules
    assert "Phòng Kinh tế" in rules
    assert personas.officer_a.user.full_name in rules
