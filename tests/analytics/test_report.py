"""Situation reports: opened back with python-docx / openpyxl, scoped by role."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from docx import Document
from openpyxl import load_workbook

from danvan.analytics import emerging
from danvan.analytics.report import do_situation_report, parse_period
from danvan.analytics.rollups import run_rollups
from danvan.core.errors import Invalid, NotFound
from danvan.db import Database
from danvan.settings import Settings

A, B = 2302, 2269
NOV = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
OCT = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)


@pytest.fixture
def history(database: Database, settings: Settings, write) -> None:
    """November: A has 12 roads (10 negative) + 3 health, B has 3 roads. October: A 4 roads."""
    for i in range(12):
        write(
            f"Đường thôn Bản Pài lầy lội, gọi anh Nguyễn Văn Nam 0912345678 số {i}",
            at=NOV + timedelta(days=i, hours=1),
            commune=A,
            topic="roads",
            sentiment="negative" if i < 10 else "neutral",
        )
    for i in range(3):
        write(
            f"Trạm y tế xã thiếu thuốc điều trị cho người cao tuổi, lần {i}",
            at=NOV + timedelta(days=i),
            commune=A,
            topic="health",
            kind="suggestion",
        )
        write(
            f"Cầu tràn thôn Nà Khà bị ngập mỗi khi mưa lớn, lần {i}",
            at=NOV + timedelta(days=i),
            commune=B,
            topic="roads",
            channel="web",
        )
    for i in range(4):
        write(f"Đường hỏng tháng trước {i}", at=OCT + timedelta(days=i), commune=A, topic="roads")
    run_rollups(database, settings, datetime.now(UTC))
    emerging.run_emerging(database, settings, NOV + timedelta(days=12))


def _report(database, settings, persona, fmt, **kwargs) -> bytes:
    with database.session() as session:
        data, name = do_situation_report(
            session,
            actor=persona.actor,
            province_code=settings.province,
            tz_name=settings.timezone,
            period="2026-11",
            fmt=fmt,
            **kwargs,
        )
    assert name.endswith(f".{fmt}")
    return data


def _docx_text(data: bytes) -> tuple[str, list[list[list[str]]]]:
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return text, tables


def _row(table: list[list[str]], first: str) -> list[str]:
    return next(r for r in table if r[0] == first)


def test_the_docx_has_the_administrative_layout_sections_and_numbers(
    database: Database, settings: Settings, personas, history
) -> None:
    text, tables = _docx_text(_report(database, settings, personas.admin, "docx"))
    header = " ".join(" ".join(r) for r in tables[0])
    assert "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" in header
    assert "Độc lập - Tự do - Hạnh phúc" in header
    assert "Tuyên Quang, ngày" in header
    assert "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG" in header
    for heading in (
        "I. TỔNG QUAN",
        "II. NHỮNG VẤN ĐỀ NỔI BẬT",
        "III. TÌNH HÌNH THEO XÃ",
        "IV. CHUYỂN BIẾN TÂM TRẠNG",
        "V. VẤN ĐỀ MỚI NỔI",
        "VI. Ý KIẾN TIÊU BIỂU",
        "VII. TIẾP NHẬN VÀ GIẢI QUYẾT",
    ):
        assert heading in text
    assert "tháng 11/2026" in text
    overview, concerns, communes = tables[1], tables[2], tables[3]
    assert _row(overview, "Tổng số ý kiến, tin nhắn tiếp nhận")[1:4] == ["18", "4", "+350,0"]
    assert _row(concerns, "Giao thông, đường sá, xây dựng")[1:5] == ["15", "4", "+275,0", "13"]
    assert _row(communes, "Xã Minh Quang")[1:3] == ["15", "13"]
    assert _row(communes, "Xã Thượng Lâm")[1] == "3"  # the admin's own scope: no suppression
    quotes = next(t for t in tables if t[0][-1].startswith("Nội dung"))
    assert any("[SĐT]" in r[-1] for r in quotes[1:])
    assert not any("0912345678" in r[-1] or "Nguyễn Văn Nam" in r[-1] for r in quotes[1:])
    doc = Document(io.BytesIO(_report(database, settings, personas.admin, "docx")))
    assert doc.styles["Normal"].font.name == "Times New Roman"
    assert doc.inline_shapes  # the charts, as images


def test_the_xlsx_has_one_sheet_per_table_with_numbers(
    database: Database, settings: Settings, personas, history
) -> None:
    wb = load_workbook(io.BytesIO(_report(database, settings, personas.admin, "xlsx")))
    for sheet in (
        "Tổng quan",
        "Mối quan tâm",
        "Theo xã",
        "Tâm trạng",
        "Vấn đề mới nổi",
        "Ý kiến tiêu biểu",
        "Phản ánh, kiến nghị",
        "Theo ngày",
    ):
        assert sheet in wb.sheetnames
    rows = {r[0]: r for r in wb["Theo xã"].iter_rows(min_row=3, values_only=True)}
    assert rows["Xã Minh Quang"][1:4] == (15, 13, 0)
    sentiment = {r[0]: r for r in wb["Tâm trạng"].iter_rows(min_row=3, values_only=True)}
    assert sentiment["Tiêu cực"][1] == 16
    assert sentiment["Tiêu cực"][3] == 4
    issues = list(wb["Vấn đề mới nổi"].iter_rows(min_row=3, values_only=True))
    assert issues
    assert issues[0][1] == "Xã Minh Quang"


@pytest.mark.parametrize("fmt", ["pdf", "html"])
def test_pdf_and_html_are_written(
    database: Database, settings: Settings, personas, history, fmt: str
) -> None:
    data = _report(database, settings, personas.admin, fmt)
    assert data.startswith(b"%PDF" if fmt == "pdf" else b"<!doctype html>")
    if fmt == "html":
        html = data.decode()
        assert "IV. CHUYỂN BIẾN TÂM TRẠNG XÃ HỘI" in html
        assert "0912345678" not in html


def test_reports_are_scoped_by_role_and_small_counts_leave_no_scope(
    database: Database, settings: Settings, personas, history
) -> None:
    # An officer of A: A's figures only.
    _text, tables = _docx_text(_report(database, settings, personas.officer_a, "docx"))
    assert _row(tables[1], "Tổng số ý kiến, tin nhắn tiếp nhận")[1] == "15"
    assert [r[0] for r in tables[3][1:]] == ["Xã Minh Quang"]
    # Another commune is not theirs.
    with pytest.raises(NotFound):
        _report(database, settings, personas.officer_a, "docx", commune_code=B)
    # Province-wide for an officer: figures of the province, counts under 5 hidden.
    wb = load_workbook(
        io.BytesIO(_report(database, settings, personas.officer_a, "xlsx", wide=True))
    )
    rows = {r[0]: r for r in wb["Theo xã"].iter_rows(min_row=3, values_only=True)}
    assert rows["Xã Thượng Lâm"][1] == "<5"
    assert rows["Xã Minh Quang"][1] == 15
    overview = {r[0]: r for r in wb["Tổng quan"].iter_rows(min_row=3, values_only=True)}
    assert overview["Tổng số ý kiến, tin nhắn tiếp nhận"][1:3] == (18, "<5")
    quotes = list(wb["Ý kiến tiêu biểu"].iter_rows(min_row=3, values_only=True))
    assert quotes
    assert all(q[1] == "Xã Minh Quang" for q in quotes)
    # An officer of B sees nothing of A's quotes or issues in their own report.
    wb = load_workbook(io.BytesIO(_report(database, settings, personas.officer_b, "xlsx")))
    assert all(
        r[1] != "Xã Minh Quang" for r in wb["Vấn đề mới nổi"].iter_rows(min_row=3, values_only=True)
    )
    # Published by an admin: suppressed too.
    wb = load_workbook(io.BytesIO(_report(database, settings, personas.admin, "xlsx", public=True)))
    rows = {r[0]: r for r in wb["Theo xã"].iter_rows(min_row=3, values_only=True)}
    assert rows["Xã Thượng Lâm"][1] == "<5"


def test_bad_periods_and_formats_are_refused_in_vietnamese(personas, settings) -> None:
    for period in ("2026-13", "11/2026", "", "1999-01"):
        with pytest.raises(Invalid, match="Kỳ báo cáo"):
            parse_period(period)
    from danvan.analytics.report import access_situation

    with pytest.raises(Invalid, match="Định dạng"):
        access_situation(personas.admin.actor, province_code=8, period="2026-11", fmt="exe")
