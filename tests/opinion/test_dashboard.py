"""The dashboard and its drill-down, scoped by role; report downloads from the UI."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from docx import Document
from sqlalchemy import select

from danvan.accounts.models import AuditEntry
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.opinion import emerging
from danvan.opinion.rollups import run_rollups

A, B = 2302, 2269
SECRET_PHONE = "0987654321"


def _seed(database: Database, settings: Settings, write) -> None:
    now = utcnow()
    for i in range(6):
        write(
            f"Sạt lở đường liên thôn Nặm Đường, gọi tôi {SECRET_PHONE} lần {i}",
            at=now - timedelta(hours=6 - i),
            commune=A,
            topic="roads",
            urgent=True,
        )
    for i in range(3):
        write(
            f"Mất điện ở thôn Nà Khà {i}",
            at=now - timedelta(days=2, hours=i),
            commune=B,
            topic="utilities",
            channel="web",
            sentiment="neutral",
        )
    write(
        "Cho hỏi thủ tục khai sinh",
        at=now - timedelta(hours=3),
        commune=None,
        topic="admin",
        kind="question",
    )
    run_rollups(database, settings, now)
    emerging.run_emerging(database, settings, now)


def _kpi(html: str) -> str:
    found = re.search(r'dash-kpi-value">([^<]+)<', html)
    assert found
    return found.group(1)


def test_each_role_sees_its_own_scope(
    database: Database, settings: Settings, personas, write, signed_in
) -> None:
    _seed(database, settings, write)
    officer_a = signed_in(personas.officer_a)
    html = officer_a.get("/dashboard").text
    assert _kpi(html) == "6"
    assert "Nà Khà" not in html
    assert "Xã Thượng Lâm" not in html
    assert "sạt lở" in html.lower()  # the emerging issue of A, with masked samples
    assert SECRET_PHONE not in html
    assert "[SĐT]" in html
    assert "style=" not in html
    assert "<script>" not in html
    assert officer_a.get("/dashboard?commune=2269").status_code == 404
    assert officer_a.get("/dashboard?days=5").status_code == 422

    officer_b = signed_in(personas.officer_b)
    html_b = officer_b.get("/dashboard").text
    assert _kpi(html_b) == "3"
    assert "Nặm Đường" not in html_b
    assert "sạt lở" not in html_b.lower()

    admin = signed_in(personas.admin)
    html_admin = admin.get("/dashboard").text
    assert _kpi(html_admin) == "10"
    assert "Xã Minh Quang" in html_admin
    assert "Xã Thượng Lâm" in html_admin
    assert _kpi(admin.get("/dashboard?commune=2269").text) == "3"

    viewer = signed_in(personas.viewer_a)
    assert _kpi(viewer.get("/dashboard").text) == "6"


def test_the_drill_down_lists_only_messages_in_scope_with_pii_masked(
    database: Database, settings: Settings, personas, write, signed_in
) -> None:
    _seed(database, settings, write)
    officer_a = signed_in(personas.officer_a)
    html = officer_a.get("/dashboard/messages?topic=roads").text
    assert html.count("/conversations/") == 6
    assert SECRET_PHONE not in html
    officer_b = signed_in(personas.officer_b)
    assert "/conversations/" not in officer_b.get("/dashboard/messages?topic=roads").text
    assert officer_b.get("/dashboard/messages?commune=2302").status_code == 404
    admin = signed_in(personas.admin)
    assert admin.get("/dashboard/messages").text.count("/conversations/") == 10
    assert admin.get("/dashboard/messages?sentiment=neutral").text.count("/conversations/") == 3


def test_reports_download_from_the_dashboard_in_scope_and_audited(
    database: Database, settings: Settings, personas, write, signed_in
) -> None:
    _seed(database, settings, write)
    officer_a = signed_in(personas.officer_a)
    page = officer_a.get("/dashboard").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    period = f"{utcnow() + timedelta(hours=7):%Y-%m}"
    form = {"csrf_token": token.group(1), "period": period, "format": "docx"}
    response = officer_a.client.post("/dashboard/report", data=form)
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    doc = Document(io.BytesIO(response.content))
    assert "I. TỔNG QUAN" in "\n".join(p.text for p in doc.paragraphs)
    assert doc.tables[1].rows[1].cells[1].text == "6"
    assert (
        officer_a.client.post("/dashboard/report", data={**form, "commune": str(B)}).status_code
        == 404
    )
    assert (
        officer_a.client.post("/dashboard/report", data={**form, "csrf_token": "x"}).status_code
        == 403
    )
    assert (
        officer_a.client.post("/dashboard/report", data={**form, "period": "2026-13"}).status_code
        == 422
    )
    # The form offers weeks, quarters and years as well, with Vietnamese labels.
    iso = (utcnow() + timedelta(hours=7)).isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    assert f'value="{week}">tuần {iso.week} năm {iso.year}<' in page
    assert "quý " in page
    weekly = officer_a.client.post("/dashboard/report", data={**form, "period": week})
    assert weekly.status_code == 200
    assert week in weekly.headers["content-disposition"]
    assert f"tuần {iso.week} năm {iso.year}" in "\n".join(
        p.text for p in Document(io.BytesIO(weekly.content)).paragraphs
    )
    with database.session() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "report.situation")
        ).all()
        assert [e.actor_id for e in entries] == [personas.officer_a.user.id] * 2


def test_label_figures_are_marked_as_estimates_with_how_many_a_person_confirmed(
    database: Database, settings: Settings, personas, write, signed_in
) -> None:
    from danvan.opinion.models import MessageAnalysis
    from danvan.opinion.review import do_confirm

    _seed(database, settings, write)
    with database.session() as session:
        first = session.scalars(
            select(MessageAnalysis).where(MessageAnalysis.commune_code == A)
        ).first()
        assert first is not None
        do_confirm(session, actor=personas.officer_a.actor, analysis=first)
    html = signed_in(personas.officer_a).client.get("/dashboard").text
    assert "Cán bộ đã kiểm tra, xác nhận nhãn của 1/6 tin nhắn trong kỳ" in html
    assert html.count('class="badge badge-muted dash-estimate"') >= 5  # KPIs, topic, sentiment…
    assert 'href="/analysis/review"' in html
    # Another commune's officer: none of A's confirmations.
    other = signed_in(personas.officer_b).client.get("/dashboard").text
    assert "xác nhận nhãn của 0/3 tin nhắn" in other


def test_while_the_model_trains_or_labels_the_dashboard_says_so_instead_of_zero(
    database: Database, settings: Settings, personas, signed_in
) -> None:
    from danvan.opinion import progress

    with database.session() as session:
        progress.note(session, state=progress.TRAINING, now=utcnow(), total=1200)
    client = signed_in(personas.admin).client
    html = client.get("/dashboard").text
    assert "Đang huấn luyện mô hình… 1200 tin nhắn đang chờ gán nhãn." in html
    assert "dash-kpi-value" not in html  # no "0" as if no one had written
    assert '<meta http-equiv="refresh"' in html
    with database.session() as session:
        progress.note(session, state=progress.LABELLING, now=utcnow(), done=340, total=1200)
    html = client.get("/dashboard").text
    assert "Đang gán nhãn tin nhắn: đã gán nhãn 340/1200 tin." in html
    assert '<progress max="1200" value="340">' in html
    with database.session() as session:
        progress.note(session, state=progress.IDLE, now=utcnow())
    html = client.get("/dashboard").text
    assert "Đang" not in html
    assert "dash-kpi-value" in html


def test_the_report_form_offers_the_heading_and_the_export_takes_it_or_says_what_is_wrong(
    database: Database, settings: Settings, personas, write, signed_in
) -> None:
    _seed(database, settings, write)
    officer_a = signed_in(personas.officer_a)
    page = officer_a.get("/dashboard").text
    # The defaults of an officer of one commune, shown as placeholders.
    assert 'placeholder="ỦY BAN NHÂN DÂN XÃ MINH QUANG"' in page
    assert 'name="signer_name"' in page
    assert 'name="recipients"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    form = {
        "csrf_token": token.group(1),
        "period": f"{utcnow() + timedelta(hours=7):%Y-%m}",
        "format": "docx",
        "number": "15",
        "signer_title": "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
        "signer_name": "Hoàng Văn Nam",
    }
    response = officer_a.client.post("/dashboard/report", data=form)
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    assert doc.tables[0].rows[1].cells[0].text == "Số: 15/BC-UBND"
    assert "ỦY BAN NHÂN DÂN XÃ MINH QUANG" in doc.tables[0].rows[0].cells[0].text
    signer = [p.text for p in doc.tables[-1].rows[0].cells[1].paragraphs if p.text.strip()]
    assert signer == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Hoàng Văn Nam"]
    refused = officer_a.client.post("/dashboard/report", data={**form, "number": "15/BC"})
    assert refused.status_code == 422
    assert "Số văn bản chỉ gồm chữ số" in refused.text
    too_long = officer_a.client.post("/dashboard/report", data={**form, "issuer": "Ủ" * 121})
    assert too_long.status_code == 422
    assert "tối đa 120 ký tự" in too_long.text
    unbounded = officer_a.client.post("/dashboard/report", data={**form, "place": "x" * 5000})
    assert unbounded.status_code == 422


def test_the_wide_topic_table_scrolls_inside_its_own_wrapper_on_a_phone(
    database: Database, settings: Settings, personas, write, signed_in
) -> None:
    # Six columns with percentages do not fit 390 px: the table must sit in the focusable
    # `.table-wrap` region (which scrolls sideways on a phone), or the whole page scrolls
    # sideways, as the demo's dashboard did.
    _seed(database, settings, write)
    html = signed_in(personas.admin).client.get("/dashboard").text
    section = re.search(r'aria-labelledby="h-topics">(.*?)</section>', html, re.S)
    assert section is not None
    assert 'class="table dash-bars"' in section.group(1)
    assert re.search(
        r'<div class="table-wrap" tabindex="0" role="region" aria-label="[^"]+">\s*'
        r'<table class="table dash-bars">',
        section.group(1),
    )
