"""The staff pages under /outreach and the API's edges: scope, forms, errors, exports."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import select

from danvan.accounts.models import AuditEntry
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.outreach.models import Broadcast

from .conftest import COMMUNE_A, COMMUNE_B


def test_an_officer_composes_previews_sends_and_pauses_from_the_pages(
    database: Database, personas, follow, signed_in
) -> None:
    follow("p-1", commune=COMMUNE_A)
    follow("p-2", commune=COMMUNE_B)
    officer = signed_in(personas.officer_a)
    page = officer.get("/outreach/broadcasts/new")
    assert page.status_code == 200
    assert "Xã Minh Quang" in page.text
    assert "Xã Thượng Lâm" not in page.text
    preview = officer.post("/outreach/broadcasts/preview", {"communes": [str(COMMUNE_A)]})
    assert 'data-k="reachable">1<' in preview.text
    refused = officer.post("/outreach/broadcasts/preview", {"communes": [str(COMMUNE_B)]})
    assert "Không có quyền" in refused.text
    empty = officer.post("/outreach/broadcasts", {"text": "  ", "communes": [str(COMMUNE_A)]})
    assert empty.status_code == 422
    assert "không được để trống" in empty.text
    sent = officer.post(
        "/outreach/broadcasts",
        {
            "text": "Họp dân <b>tối nay</b>",
            "communes": [str(COMMUNE_A)],
            "send_at": "2099-01-01T08:00",
        },
    )
    # First a confirmation that says how many people it goes to; nothing is created yet.
    assert sent.status_code == 200
    assert "Thông báo sẽ gửi tới 1 người." in sent.text
    with database.session() as session:
        assert session.scalars(select(Broadcast)).all() == []
    sent = officer.post(
        "/outreach/broadcasts",
        {
            "text": "Họp dân <b>tối nay</b>",
            "communes": [str(COMMUNE_A)],
            "send_at": "2099-01-01T08:00",
            "confirmed": "1",
        },
    )
    assert sent.status_code == 303
    url = sent.headers["location"]
    shown = officer.get(url)
    assert "Họp dân &lt;b&gt;tối nay&lt;/b&gt;" in shown.text
    assert officer.post(url + "/pause").status_code == 303
    with database.session() as session:
        [item] = session.scalars(select(Broadcast)).all()
        assert item.status == "paused"
        assert item.send_at is not None
        assert item.send_at.year == 2099
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "broadcast_create" in actions
    assert "broadcast_pause" in actions
    other = signed_in(personas.officer_b)
    assert other.get(url).status_code == 404
    viewer = signed_in(personas.viewer_a)
    assert viewer.get(url).status_code == 200
    assert viewer.post(url + "/resume").status_code == 403


def test_consultation_and_poll_pages_upload_import_and_export(
    database: Database, personas, signed_in
) -> None:
    officer = signed_in(personas.officer_a)
    created = officer.post(
        "/outreach/consultations",
        {
            "title": "Dự thảo quy ước thôn",
            "kind": "vote",
            "options": "Đồng ý\nKhông đồng ý",
            "communes": [str(COMMUNE_A)],
            "closes_at": "2099-01-01T08:00",
        },
    )
    assert created.status_code == 303, created.text
    url = created.headers["location"]
    bad = officer.post(
        url + "/document", files={"file": ("x.pdf", b"not a pdf", "application/pdf")}
    )
    assert bad.status_code == 422
    assert "PDF hoặc DOCX" in bad.text
    good = officer.post(
        url + "/document", files={"file": ("du-thao.pdf", b"%PDF-1.4 ...", "application/pdf")}
    )
    assert good.status_code == 303
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Mã", "Họ tên"])
    book.active.append(["M1", "Nguyễn A"])
    book.active.append(["", "Thiếu mã"])
    out = io.BytesIO()
    book.save(out)
    report = officer.post(
        url + "/residents",
        data={"commune": str(COMMUNE_A)},
        files={"file": ("ds.xlsx", out.getvalue(), "application/octet-stream")},
    )
    assert report.status_code == 200
    assert "Đã nhập 1 người" in report.text
    assert "Dòng 3" in report.text
    minutes = officer.get(url + "/bien-ban.docx")
    assert minutes.status_code == 200
    assert "Dự thảo quy ước thôn" in "\n".join(
        p.text for p in Document(io.BytesIO(minutes.content)).paragraphs
    )
    poll = officer.post(
        "/outreach/polls",
        {"question": "Bạn muốn họp lúc nào?", "options": "Sáng\nTối", "communes": [str(COMMUNE_A)]},
    )
    assert poll.status_code == 303
    # Announcing it is a broadcast: first the number of people, then the sending.
    announce = poll.headers["location"] + "/announce"
    asked = officer.post(announce)
    assert asked.status_code == 200
    assert "Thông báo sẽ gửi tới 0 người." in asked.text
    assert f'action="{announce}"' in asked.text
    with database.session() as session:
        assert session.scalars(select(Broadcast)).all() == []
    assert officer.post(announce, {"confirmed": "1"}).status_code == 303
    with database.session() as session:
        assert len(session.scalars(select(Broadcast)).all()) == 1
    sheet = load_workbook(
        io.BytesIO(officer.get(poll.headers["location"] + "/ket-qua.xlsx").content)
    ).active
    assert sheet["A1"].value == "Bạn muốn họp lúc nào?"
    assert signed_in(personas.officer_b).get(url).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": "x", "commune_codes": [COMMUNE_B]}, 422, "out_of_scope"),
        ({"text": "x", "commune_codes": [1]}, 422, "bad_commune"),
        ({"text": "", "commune_codes": [COMMUNE_A]}, 422, "empty"),
        ({"text": "x" * 2001, "commune_codes": [COMMUNE_A]}, 422, "too_long"),
        ({"text": "x", "send_at": "2026-12-01T08:00:00"}, 422, "naive_time"),
        ({"text": "x", "mode": "article", "article_id": "a1"}, 403, "forbidden"),
    ],
    ids=["other-commune", "not-a-commune", "empty", "too-long", "naive-time", "article-officer"],
)
def test_broadcast_input_errors_are_clear(
    client: TestClient, personas, body: dict, status: int, code: str
) -> None:
    answer = client.post("/api/v1/broadcasts", json=body, headers=personas.officer_a.headers)
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code


def test_a_viewer_cannot_broadcast_and_out_of_scope_contacts_are_404(
    client: TestClient, personas, follow
) -> None:
    answer = client.post(
        "/api/v1/broadcasts", json={"text": "x"}, headers=personas.viewer_a.headers
    )
    assert answer.status_code == 403
    contact_b = follow("c-b", commune=COMMUNE_B)
    patched = client.patch(
        f"/api/v1/contacts/{contact_b}", json={"tags": ["x"]}, headers=personas.officer_a.headers
    )
    assert patched.status_code == 404


def test_contacts_patch_sets_commune_tags_language_and_opt_out(
    client: TestClient, personas, follow
) -> None:
    contact = follow("c-1", commune=None)
    answer = client.patch(
        f"/api/v1/contacts/{contact}",
        json={
            "commune_code": COMMUNE_A,
            "tags": ["Thôn 3", "thôn 3", " hộ nghèo "],
            "language": "vi",
            "broadcast_opt_out": True,
        },
        headers=personas.admin.headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["commune_code"] == COMMUNE_A
    assert body["tags"] == ["hộ nghèo", "thôn 3"]
    assert body["broadcast_opt_out"] is True
    # The officer of A now sees the contact; B does not.
    assert (
        client.get(f"/api/v1/contacts/{contact}", headers=personas.officer_a.headers).status_code
        == 200
    )
    assert (
        client.get(f"/api/v1/contacts/{contact}", headers=personas.officer_b.headers).status_code
        == 404
    )
    moved = client.patch(
        f"/api/v1/contacts/{contact}",
        json={"commune_code": COMMUNE_B},
        headers=personas.officer_a.headers,
    )
    assert moved.status_code == 422


def test_consultation_and_poll_api(client: TestClient, personas) -> None:
    now = utcnow()
    bad = client.post(
        "/api/v1/consultations",
        json={
            "title": "T",
            "kind": "vote",
            "options": ["A"],
            "commune_codes": [COMMUNE_A],
            "opens_at": now.isoformat(),
            "closes_at": (now + timedelta(days=1)).isoformat(),
        },
        headers=personas.officer_a.headers,
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "few_options"
    poll = client.post(
        "/api/v1/polls",
        json={"question": "Q?", "options": ["A", "B"], "commune_codes": [COMMUNE_A]},
        headers=personas.officer_a.headers,
    )
    assert poll.status_code == 201
    results = client.get(
        f"/api/v1/polls/{poll.json()['id']}/results", headers=personas.officer_a.headers
    )
    assert results.json()["respondents"] == 0
    hidden = client.get(
        f"/api/v1/polls/{poll.json()['id']}/results", headers=personas.officer_b.headers
    )
    assert hidden.status_code == 404
