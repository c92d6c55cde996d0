"""Staff read the results of a consultation or poll that spans several communes in their own
scope only, on every path: the page, the API, the minutes (DOCX), the poll export (XLSX) and the
opinion summaries, rows and totals alike. Admins and staff of every commune read the whole. And
the poll export writes staff text as text, never as a formula."""

from __future__ import annotations

import io
from datetime import timedelta

from docx import Document
from openpyxl import load_workbook  # type: ignore[import-untyped]

from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.outreach import consultations, polls, summaries
from danvan.testing.personas import make_persona

from .conftest import COMMUNE_A, COMMUNE_B

MINH_QUANG, THUONG_LAM = "Xã Minh Quang", "Xã Thượng Lâm"


def _consultation(database: Database, personas, settings: Settings, kind: str = "vote") -> int:
    """Commune A: 3 answers (option 1, or for), commune B: 5 (option 2, or against)."""
    now = utcnow()
    with database.session() as session:
        item = consultations.do_create_consultation(
            session,
            actor=personas.admin.actor,
            settings=settings,
            title="Quy ước thôn về vệ sinh môi trường",
            summary="",
            kind=kind,
            options=["Đồng ý", "Không đồng ý"] if kind == "vote" else [],
            commune_codes=[COMMUNE_A, COMMUNE_B],
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=1),
        )
        for n, commune in enumerate([COMMUNE_A] * 3 + [COMMUNE_B] * 5):
            here = commune == COMMUNE_A
            consultations.do_answer(
                session,
                consultation=item,
                participant=f"zalo_oa:scope-{n}",
                commune_code=commune,
                channel="zalo_oa",
                option_index=(0 if here else 1) if kind == "vote" else None,
                opinion=None
                if kind == "vote"
                else (
                    f"Tôi đồng ý với quy ước, thu gom rác hai lần mỗi tuần là hợp lý {n}."
                    if here
                    else f"Tôi phản đối mức phí thu gom rác, nhiều hộ nghèo không đóng nổi {n}."
                ),
            )
        return item.id


def _poll(database: Database, personas, settings: Settings, question: str, options: list[str]):
    """Commune A: 2 answers (option 1), commune B: 4 (option 2)."""
    with database.session() as session:
        poll = polls.do_create_poll(
            session,
            actor=personas.admin.actor,
            settings=settings,
            question=question,
            options=options,
            multiple=False,
            commune_codes=[COMMUNE_A, COMMUNE_B],
        )
        for n, commune in enumerate([COMMUNE_A] * 2 + [COMMUNE_B] * 4):
            polls.do_answer(
                session,
                poll=poll,
                participant=f"zalo_oa:poll-{n}",
                commune_code=commune,
                choices=[0 if commune == COMMUNE_A else 1],
                channel="zalo_oa",
            )
        return poll.id


def _minutes(staff, consultation_id: int) -> tuple[str, list[list[str]]]:
    answer = staff.get(f"/outreach/consultations/{consultation_id}/bien-ban.docx")
    assert answer.status_code == 200
    doc = Document(io.BytesIO(answer.content))
    # The Decree 30 heading and signature are tables too: the outcome is the one headed "Xã".
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Xã")
    rows = [[c.text for c in row.cells] for row in table.rows]
    return "\n".join(p.text for p in doc.paragraphs), rows


def test_an_officers_results_minutes_and_api_count_their_communes_only(
    client, database: Database, personas, settings: Settings, signed_in
) -> None:
    consultation_id = _consultation(database, personas, settings)
    body = client.get(
        f"/api/v1/consultations/{consultation_id}/results", headers=personas.officer_a.headers
    ).json()
    assert [r["commune_code"] for r in body["by_commune"]] == [COMMUNE_A]
    assert body["participants"] == 3
    assert [o["count"] for o in body["options"]] == [3, 0]
    assert body["scoped"] is True
    officer = signed_in(personas.officer_a)
    page = officer.get(f"/outreach/consultations/{consultation_id}").text
    assert "Số liệu chỉ gồm các xã trong phạm vi của bạn" in page
    assert "<strong>3</strong>" in page
    text, rows = _minutes(officer, consultation_id)
    assert "Tổng số người tham gia: 3" in text
    assert "Đồng ý: 3" in text
    assert "Không đồng ý: 0" in text
    assert "Số liệu trong biên bản này gồm các xã: Xã Minh Quang." in text
    assert [r[0] for r in rows[1:]] == [MINH_QUANG]
    # The admin, and an officer of both communes, read the whole.
    both = make_persona(database, "ca-hai@tq.gov.vn", "officer", [COMMUNE_A, COMMUNE_B], "Hai Xã")
    for staff in (signed_in(personas.admin), signed_in(both)):
        text, rows = _minutes(staff, consultation_id)
        assert "Tổng số người tham gia: 8" in text
        assert "gồm các xã" not in text
        assert [r[0] for r in rows[1:]] == [THUONG_LAM, MINH_QUANG]  # by commune code
    whole = client.get(
        f"/api/v1/consultations/{consultation_id}/results", headers=both.headers
    ).json()
    assert whole["participants"] == 8
    assert "scoped" not in whole


def test_an_officers_poll_export_and_results_count_their_communes_only(
    client, database: Database, personas, settings: Settings, signed_in
) -> None:
    poll_id = _poll(database, personas, settings, "Giờ họp thôn?", ["Sáng", "Tối"])

    def exported(staff) -> list[tuple[object, ...]]:
        answer = staff.get(f"/outreach/polls/{poll_id}/ket-qua.xlsx")
        assert answer.status_code == 200
        return list(load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True))

    rows = exported(signed_in(personas.officer_a))
    assert rows[2] == ("Tổng", 2, 2, 0)
    assert [r[0] for r in rows[3:]] == [MINH_QUANG]
    rows = exported(signed_in(personas.admin))
    assert rows[2] == ("Tổng", 6, 2, 4)
    assert [r[0] for r in rows[3:]] == [THUONG_LAM, MINH_QUANG]  # by commune code
    body = client.get(f"/api/v1/polls/{poll_id}/results", headers=personas.officer_b.headers)
    assert body.json()["respondents"] == 4
    assert [o["count"] for o in body.json()["options"]] == [0, 4]
    page = signed_in(personas.officer_b).get(f"/outreach/polls/{poll_id}").text
    assert "Số liệu chỉ gồm các xã trong phạm vi của bạn" in page
    assert "<strong>4</strong>" in page


def test_an_officers_opinion_summary_holds_their_communes_opinions_only(
    client, database: Database, personas, settings: Settings, signed_in
) -> None:
    consultation_id = _consultation(database, personas, settings, kind="opinion")
    url = f"/api/v1/consultations/{consultation_id}/results"
    # Each scope is asked for by a page, then summarised by the worker (not in web processes).
    assert client.get(url, headers=personas.officer_a.headers).json()["opinions"]["pending"]
    assert client.get(url, headers=personas.admin.headers).json()["opinions"]["pending"]
    assert summaries.run_summaries(database, settings, utcnow()) == 2
    mine = client.get(url, headers=personas.officer_a.headers).json()["opinions"]
    assert mine["opinions"] == 3
    assert mine["stance"] == {"for": 3, "against": 0, "other": 0}
    assert not mine["arguments"]["against"]
    everything = client.get(url, headers=personas.admin.headers).json()["opinions"]
    assert everything["opinions"] == 8
    assert everything["stance"]["against"] == 5
    page = signed_in(personas.officer_a).get(f"/outreach/consultations/{consultation_id}").text
    assert "phí thu gom" not in page
    text, _rows = _minutes(signed_in(personas.officer_a), consultation_id)
    assert "Số ý kiến góp ý nhận được: 3" in text
    assert "Số ý kiến được tổng hợp: 3" in text
    assert "phí thu gom" not in text


def test_the_poll_export_writes_text_that_looks_like_a_formula_as_text(
    database: Database, personas, settings: Settings, signed_in
) -> None:
    evil = '=HYPERLINK("http://evil.example","Bấm vào đây")'
    poll_id = _poll(database, personas, settings, evil, ["@SUM(A1:A9)", "+1", "Bình thường"])
    answer = signed_in(personas.admin).get(f"/outreach/polls/{poll_id}/ket-qua.xlsx")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    for cell in (sheet["A1"], sheet["C2"], sheet["D2"]):
        assert cell.data_type == "s"
        assert not str(cell.value).startswith(("=", "@", "+"))
    assert sheet["A1"].value == "'" + evil
    assert sheet["E2"].value == "Bình thường"
    assert sheet["B3"].value == 6  # numbers stay numbers
