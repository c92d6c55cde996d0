"""Consultations and polls: one answer per participant, closing, results per commune with
turnout, suppression under 5 in public, resident lists from XLSX, documents, exports, privacy."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]

from danvan.inbox import privacy
from danvan.inbox.models import Contact
from danvan.kernel.db import Database
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.outreach import announcements, consultations, polls, residents
from danvan.outreach import citizens as outreach
from danvan.outreach.minutes import minutes_docx
from danvan.outreach.models import Consultation, Poll

from .conftest import COMMUNE_A, COMMUNE_B, answer_with_slip, citizen_writes, issue_slips


def _consultation(database: Database, personas, settings: Settings, **kw: object) -> int:
    now = utcnow()
    with database.session() as session:
        item = consultations.do_create_consultation(
            session,
            actor=personas.admin.actor,
            settings=settings,
            title=str(kw.get("title", "Chọn vị trí nhà văn hoá")),
            summary="Dự thảo phương án xây dựng nhà văn hoá thôn.",
            kind=str(kw.get("kind", "vote")),
            options=list(kw.get("options", ["Gần trường", "Cạnh chợ"])),  # type: ignore[call-overload]
            commune_codes=[COMMUNE_A, COMMUNE_B],
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=1),
        )
        return item.id


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _close(database: Database, model: type, item_id: int) -> None:
    with database.session() as session:
        item = session.get(model, item_id)
        item.closes_at = utcnow() - timedelta(seconds=1)
        if model is Consultation:
            item.opens_at = utcnow() - timedelta(hours=2)


def test_a_vote_after_closing_is_refused_with_a_clear_message(
    database: Database, personas, settings: Settings
) -> None:
    consultation_id = _consultation(database, personas, settings)
    _close(database, Consultation, consultation_id)
    with database.session() as session:
        item = session.get(Consultation, consultation_id)
        with pytest.raises(Invalid, match=r"đã kết thúc lúc .* không được ghi nhận"):
            consultations.do_answer(
                session,
                consultation=item,
                participant="zalo_oa:late",
                commune_code=COMMUNE_A,
                channel="zalo_oa",
                option_index=0,
            )
        assert consultations.results(session, consultation=item)["participants"] == 0


def test_a_zalo_vote_after_closing_is_not_counted(
    database: Database, personas, settings: Settings, follow
) -> None:
    consultation_id = _consultation(database, personas, settings)
    follow("z-late", commune=COMMUNE_A)
    _close(database, Consultation, consultation_id)
    citizen_writes(database, "z-late", "1")
    with database.session() as session:
        item = session.get(Consultation, consultation_id)
        assert consultations.results(session, consultation=item)["participants"] == 0


def test_results_per_commune_with_turnout_against_the_resident_list(
    database: Database, personas, settings: Settings, follow
) -> None:
    consultation_id = _consultation(database, personas, settings)
    with database.session() as session:
        report = residents.do_import_residents(
            session,
            actor=personas.admin.actor,
            settings=settings,
            commune_code=COMMUNE_B,
            data=_xlsx(
                [["Mã", "Họ tên", "Điện thoại"]]
                + [[f"B{n}", f"Cử tri {n}", None] for n in range(10)]
            ),
        )
        assert report.imported == 10
        assert not report.errors
    slip = issue_slips(database, settings, personas.admin.actor, COMMUNE_B)
    for n in range(3):
        follow(f"z-a{n}", commune=COMMUNE_A)
        citizen_writes(database, f"z-a{n}", "2")
    with database.session() as session:
        item = session.get(Consultation, consultation_id)
        for n in range(4):
            answer_with_slip(
                session, settings, item, commune=COMMUNE_B, code=slip[f"B{n}"], option=0
            )
        result = consultations.results(session, consultation=item)
    rows = {r["commune_code"]: r for r in result["by_commune"]}
    assert rows[COMMUNE_A]["participants"] == 3
    assert [o["count"] for o in rows[COMMUNE_A]["options"]] == [0, 3]
    assert rows[COMMUNE_B]["participants"] == 4
    assert rows[COMMUNE_B]["turnout"] == 0.4
    assert [o["count"] for o in result["options"]] == [4, 3]


def test_a_resident_code_not_on_the_list_is_refused(
    database: Database, personas, settings: Settings
) -> None:
    consultation_id = _consultation(database, personas, settings)
    with database.session() as session:
        item = session.get(Consultation, consultation_id)
        with pytest.raises(Invalid, match="Mã phiếu không đúng"):
            answer_with_slip(session, settings, item, commune=COMMUNE_A, code="X1", option=0)


def test_a_resident_list_reports_bad_rows_one_by_one(
    database: Database, personas, settings: Settings
) -> None:
    rows = [
        ["Mã", "Họ tên", "Điện thoại"],
        ["A1", "Nguyễn Văn A", "0912345678"],
        ["", "Không mã", None],
        ["A2", "", None],
        ["A3", "Lê C", "12"],
        ["A1", "Trùng mã", None],
        ["A4", "Phạm D", None],
    ]
    with database.session() as session:
        report = residents.do_import_residents(
            session,
            actor=personas.admin.actor,
            settings=settings,
            commune_code=COMMUNE_A,
            data=_xlsx(rows),
        )
    assert report.imported == 2
    assert [n for n, _ in report.errors] == [3, 4, 5, 6]
    assert "trùng" in report.errors[3][1]


@pytest.mark.parametrize(
    ("name", "data", "ok"),
    [
        ("du-thao.pdf", b"%PDF-1.7\n...", "pdf"),
        ("du-thao.docx", None, "docx"),
        ("du-thao.pdf", b"MZ\x90\x00 not a pdf", None),
        ("du-thao.exe", b"%PDF-1.7", None),
        ("du-thao.docx", b"PK\x03\x04broken", None),
        ("big.pdf", b"%PDF-" + b"0" * 2048, None),
    ],
    ids=["pdf", "docx", "fake-pdf", "wrong-name", "broken-zip", "too-large"],
)
def test_documents_are_checked_by_content_type_and_size(
    name: str, data: bytes | None, ok: str | None
) -> None:
    if data is None:
        out = io.BytesIO()
        Document().save(out)
        data = out.getvalue()
    limit = 1024 if name == "big.pdf" else 10 * 1024 * 1024
    if ok:
        assert consultations.check_document(name, data, max_bytes=limit) == ok
    else:
        with pytest.raises(Invalid):
            consultations.check_document(name, data, max_bytes=limit)


def test_a_closed_consultations_public_page_suppresses_small_counts_and_shows_no_personal_data(
    client: TestClient, database: Database, personas, settings: Settings, follow
) -> None:
    consultation_id = _consultation(database, personas, settings)
    with database.session() as session:
        residents.do_import_residents(
            session,
            actor=personas.admin.actor,
            settings=settings,
            commune_code=COMMUNE_B,
            data=_xlsx(
                [["Mã", "Họ tên", "Điện thoại"], ["QX-771", "Hoàng Thị Riêng", "0987654321"]]
            ),
        )
    [slip] = issue_slips(database, settings, personas.admin.actor, COMMUNE_B).values()
    for n in range(6):
        follow(f"z-pub{n}", commune=COMMUNE_A)
        citizen_writes(database, f"z-pub{n}", "1" if n < 5 else "2")
    with database.session() as session:
        item = session.get(Consultation, consultation_id)
        answer_with_slip(
            session,
            settings,
            item,
            commune=COMMUNE_B,
            code=slip,
            option=1,
            opinion="Tôi là Hoàng Thị Riêng, số 0987654321",
        )
    _close(database, Consultation, consultation_id)
    html = client.get(f"/y-kien/{consultation_id}").text
    assert "Kết quả" in html
    assert "<td>5</td>" in html  # option 1 in commune A: shown
    assert "dưới 5" in html  # option 2 (1 vote) and commune B (1 participant): suppressed
    for private in ("Hoàng Thị Riêng", "0987654321", "QX-771", slip, "z-pub"):
        assert private not in html
    public = client.get(f"/y-kien/{consultation_id}").text
    assert public == html


def test_the_public_web_form_refuses_a_vote_after_closing(
    client: TestClient, database: Database, personas, settings: Settings
) -> None:
    consultation_id = _consultation(database, personas, settings)
    page = client.get(f"/y-kien/{consultation_id}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    _close(database, Consultation, consultation_id)
    answer = client.post(
        f"/y-kien/{consultation_id}",
        data={"csrf_token": token, "commune": str(COMMUNE_A), "code": "A1", "option": "0"},
    )
    assert answer.status_code == 422
    assert "đã kết thúc" in answer.text


def test_participants_get_the_result_in_their_commune_and_the_minutes_export(
    database: Database, personas, settings: Settings, follow
) -> None:
    consultation_id = _consultation(database, personas, settings)
    follow("z-back", commune=COMMUNE_A)
    citizen_writes(database, "z-back", "cạnh chợ")
    _close(database, Consultation, consultation_id)
    with database.session() as session:
        sent = consultations.send_closed_results(session, settings=settings, now=utcnow())
        assert sent == 2  # one message, one consultation marked
        assert consultations.send_closed_results(session, settings=settings, now=utcnow()) == 0
        from sqlalchemy import select

        from danvan.inbox.models import Message

        texts = [m.text for m in session.scalars(select(Message).where(Message.source == "system"))]
        item = session.get(Consultation, consultation_id)
        minutes = minutes_docx(session, actor=personas.admin.actor, consultation=item)
    assert any(t.startswith("Kết quả lấy ý kiến") and "Xã Minh Quang" in t for t in texts)
    doc = Document(io.BytesIO(minutes))
    words = "\n".join(p.text for p in doc.paragraphs)
    assert "BIÊN BẢN" in words
    assert "Tổng số người tham gia: 1" in words


def _poll(database: Database, personas, settings: Settings, multiple: bool = False) -> int:
    with database.session() as session:
        return polls.do_create_poll(
            session,
            actor=personas.officer_a.actor,
            settings=settings,
            question="Giờ họp thôn nào thuận tiện?",
            options=["Sáng", "Chiều", "Tối"],
            multiple=multiple,
            commune_codes=[COMMUNE_A],
        ).id


def test_a_poll_counts_one_answer_per_participant_and_suppresses_small_counts_in_public(
    database: Database, personas, settings: Settings
) -> None:
    poll_id = _poll(database, personas, settings)
    with database.session() as session:
        poll = session.get(Poll, poll_id)
        for n in range(6):
            polls.do_answer(
                session,
                poll=poll,
                participant=f"web:{n}",
                commune_code=COMMUNE_A,
                choices=[0],
                channel="web",
            )
        polls.do_answer(
            session,
            poll=poll,
            participant="web:0",
            commune_code=COMMUNE_A,
            choices=[2],
            channel="web",
        )
        with pytest.raises(Invalid, match="Chỉ được chọn một"):
            polls.do_answer(
                session,
                poll=poll,
                participant="web:9",
                commune_code=COMMUNE_A,
                choices=[0, 1],
                channel="web",
            )
        staff = polls.results(session, poll=poll)
        public = polls.results(session, poll=poll, public=True)
        sheet = load_workbook(
            io.BytesIO(polls.export_xlsx(session, actor=personas.admin.actor, poll=poll))
        ).active
    assert staff["respondents"] == 6
    assert [o["count"] for o in staff["options"]] == [5, 0, 1]
    assert [o["count"] for o in public["options"]] == [5, None, None]
    assert [c.value for c in sheet[3]] == ["Tổng", 6, 5, 0, 1]


def test_a_closed_poll_refuses_answers(database: Database, personas, settings: Settings) -> None:
    poll_id = _poll(database, personas, settings)
    _close(database, Poll, poll_id)
    with database.session() as session:
        poll = session.get(Poll, poll_id)
        with pytest.raises(Invalid, match="đã kết thúc"):
            polls.do_answer(
                session,
                poll=poll,
                participant="web:x",
                commune_code=COMMUNE_A,
                choices=[0],
                channel="web",
            )


def test_the_public_poll_page_takes_an_answer_per_browser(
    client: TestClient, database: Database, personas, settings: Settings
) -> None:
    poll_id = _poll(database, personas, settings, multiple=True)
    page = client.get(f"/tham-do/{poll_id}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    for choices in (["0"], ["1", "2"]):
        answer = client.post(
            f"/tham-do/{poll_id}",
            data={"csrf_token": token, "commune": str(COMMUNE_A), "choice": choices},
        )
        assert answer.status_code == 200, answer.text
    with database.session() as session:
        result = polls.results(session, poll=session.get(Poll, poll_id))
    assert result["respondents"] == 1
    assert [o["count"] for o in result["options"]] == [0, 1, 1]


def test_a_citizens_outreach_data_is_exported_and_erased(
    database: Database, personas, settings: Settings, follow
) -> None:
    consultation_id = _consultation(database, personas, settings)
    contact_id = follow("z-priv", commune=COMMUNE_A)
    citizen_writes(database, "z-priv", "1")
    with database.session() as session:
        contact = session.get(Contact, contact_id)
        outreach.do_update_contact(
            session, actor=personas.admin.actor, contact=contact, province_code=8, tags=["thôn 2"]
        )
        contact.phone = "0911222333"
        residents.do_import_residents(
            session,
            actor=personas.admin.actor,
            settings=settings,
            commune_code=COMMUNE_A,
            data=_xlsx([["Mã", "Họ tên", "Điện thoại"], ["P1", "Người Riêng", "0911222333"]]),
        )
    with database.session() as session:
        contact = session.get(Contact, contact_id)
        exported = outreach.export_contact_data(session, contact)
        assert exported["tags"] == ["thôn 2"]
        assert exported["consultation_answers"][0]["consultation_id"] == consultation_id
        assert exported["resident_list_entries"][0]["code"] == "P1"
        privacy.do_delete_contact(
            session, actor=personas.admin.actor, contact=contact, reason="Yêu cầu"
        )
    with database.session() as session:
        contact = session.get(Contact, contact_id)
        after = outreach.export_contact_data(session, contact)
        item = session.get(Consultation, consultation_id)
        assert consultations.results(session, consultation=item)["participants"] == 0
    assert after["tags"] == []
    assert after["consultation_answers"] == []


def test_a_consultation_announced_by_broadcast_is_answered_by_replying_with_a_number(
    database: Database, personas, settings: Settings, follow, zalo, oa_tokens, drain
) -> None:
    consultation_id = _consultation(database, personas, settings)
    follow("z-ann", commune=COMMUNE_A)
    with database.session() as session:
        item = session.get(Consultation, consultation_id)
        broadcast = announcements.do_announce(
            session, actor=personas.admin.actor, settings=settings, consultation=item
        )
        broadcast.urgent = True  # whatever the hour the test runs at
    drain()
    [announcement] = zalo.messages("z-ann")
    assert "1. Gần trường" in announcement.text
    assert f"/y-kien/{consultation_id}" in announcement.text
    citizen_writes(database, "z-ann", "2")
    drain()
    confirmation, ask_phone = zalo.messages("z-ann")[-2:]
    assert "Đã ghi nhận lựa chọn “Cạnh chợ”" in confirmation.text
    # Without a shared phone, the voter is then asked for it (one vote per person).
    assert ask_phone.template is not None
    assert ask_phone.template["template_type"] == "request_user_info"
    with database.session() as session:
        result = consultations.results(
            session, consultation=session.get(Consultation, consultation_id)
        )
    assert [o["count"] for o in result["options"]] == [0, 1]


@pytest.mark.parametrize(
    ("multiple", "replies", "expected"),
    [
        (False, ["2"], [0, 1, 0]),
        (False, ["1", "toi"], [0, 0, 1]),  # a changed answer replaces the first ("Tối")
        (False, ["1, 2"], [0, 0, 0]),  # two choices on a single-choice poll: not an answer
        (True, ["1 và 3"], [1, 0, 1]),
    ],
    ids=["number", "changed-by-words", "too-many", "multiple"],
)
def test_a_poll_is_answered_in_zalo(
    database: Database, personas, settings: Settings, follow, multiple, replies, expected
) -> None:
    poll_id = _poll(database, personas, settings, multiple=multiple)
    follow("z-poll", commune=COMMUNE_A)
    for reply in replies:
        citizen_writes(database, "z-poll", reply)
    with database.session() as session:
        result = polls.results(session, poll=session.get(Poll, poll_id))
    assert [o["count"] for o in result["options"]] == expected


def test_a_poll_announced_by_broadcast_lists_its_options(
    database: Database, personas, settings: Settings, follow, zalo, oa_tokens, drain
) -> None:
    poll_id = _poll(database, personas, settings)
    follow("z-ask", commune=COMMUNE_A)
    with database.session() as session:
        broadcast = polls.do_announce(
            session,
            actor=personas.officer_a.actor,
            settings=settings,
            poll=session.get(Poll, poll_id),
        )
        broadcast.urgent = True
    drain()
    [asked] = zalo.messages("z-ask")
    assert "1. Sáng" in asked.text
    assert f"/tham-do/{poll_id}" in asked.text


def test_an_officer_sees_only_their_communes_rows_of_a_shared_consultation(
    client: TestClient, database: Database, personas, settings: Settings
) -> None:
    consultation_id = _consultation(database, personas, settings)
    body = client.get(
        f"/api/v1/consultations/{consultation_id}/results", headers=personas.officer_b.headers
    ).json()
    assert [r["commune_code"] for r in body["by_commune"]] == [COMMUNE_B]
