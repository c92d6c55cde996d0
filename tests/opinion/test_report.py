"""Situation reports: opened back with python-docx / openpyxl, scoped by role."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from docx import Document
from openpyxl import load_workbook

from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.settings import Settings
from danvan.opinion import emerging
from danvan.opinion.report import do_situation_report
from danvan.opinion.rollups import run_rollups
from danvan.opinion.situation import parse_period

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
    run_rollups(database, settings, clock.now())
    emerging.run_emerging(database, settings, NOV + timedelta(days=12))


def _report(database, settings, persona, fmt, period="2026-11", **kwargs) -> bytes:
    with database.session() as session:
        data, name = do_situation_report(
            session,
            actor=persona.actor,
            province_code=settings.province,
            tz_name=settings.timezone,
            period=period,
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
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in header
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
    assert "Tình hình dư luận, ý kiến Nhân dân tháng 11 năm 2026" in text
    assert "(so với 4 trong tháng 10 năm 2026)" in text
    overview, concerns, communes = tables[1], tables[2], tables[3]
    # 4 before: too few for a percentage (kernel.numbers.MIN_CHANGE_BASE), the counts say it.
    assert _row(overview, "Tổng số ý kiến, tin nhắn tiếp nhận")[1:4] == ["18", "4", "—"]
    assert _row(concerns, "Giao thông, đường sá, xây dựng")[1:5] == ["15", "4", "—", "13"]
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
    rows = {r[0]: r for r in wb["Theo xã"].iter_rows(min_row=5, values_only=True)}
    assert rows["Xã Minh Quang"][1:4] == (15, 13, 0)
    sentiment = {r[0]: r for r in wb["Tâm trạng"].iter_rows(min_row=5, values_only=True)}
    assert sentiment["Tiêu cực"][1] == 16
    assert sentiment["Tiêu cực"][3] == 4
    issues = list(wb["Vấn đề mới nổi"].iter_rows(min_row=5, values_only=True))
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
    rows = {r[0]: r for r in wb["Theo xã"].iter_rows(min_row=5, values_only=True)}
    assert rows["Xã Thượng Lâm"][1] == "<5"
    assert rows["Xã Minh Quang"][1] == 15
    overview = {r[0]: r for r in wb["Tổng quan"].iter_rows(min_row=5, values_only=True)}
    assert overview["Tổng số ý kiến, tin nhắn tiếp nhận"][1:3] == (18, "<5")
    quotes = list(wb["Ý kiến tiêu biểu"].iter_rows(min_row=5, values_only=True))
    assert quotes
    assert all(q[1] == "Xã Minh Quang" for q in quotes)
    # An officer of B sees nothing of A's quotes or issues in their own report.
    wb = load_workbook(io.BytesIO(_report(database, settings, personas.officer_b, "xlsx")))
    assert all(
        r[1] != "Xã Minh Quang" for r in wb["Vấn đề mới nổi"].iter_rows(min_row=5, values_only=True)
    )
    # Published by an admin: suppressed too.
    wb = load_workbook(io.BytesIO(_report(database, settings, personas.admin, "xlsx", public=True)))
    rows = {r[0]: r for r in wb["Theo xã"].iter_rows(min_row=5, values_only=True)}
    assert rows["Xã Thượng Lâm"][1] == "<5"


def test_bad_periods_and_formats_are_refused_in_vietnamese(personas, settings) -> None:
    for period in (
        "2026-13", "11/2026", "", "1999-01", "2026-W54", "2025-W53", "2026-W00", "2026-Q5",
        "2026-Q0", "26", "1999", "2026-11-01",
    ):  # fmt: skip
        with pytest.raises(Invalid, match="Kỳ báo cáo"):
            parse_period(period)
    from danvan.opinion.situation import access_situation

    with pytest.raises(Invalid, match="Định dạng"):
        access_situation(personas.admin.actor, province_code=8, period="2026-11", fmt="exe")


@pytest.mark.parametrize(
    ("text", "start", "end", "label", "previous"),
    [
        ("2026-11", date(2026, 11, 1), date(2026, 12, 1), "tháng 11 năm 2026", "2026-10"),
        ("2026-01", date(2026, 1, 1), date(2026, 2, 1), "tháng 1 năm 2026", "2025-12"),
        ("2026-W48", date(2026, 11, 23), date(2026, 11, 30), "tuần 48 năm 2026", "2026-W47"),
        ("2026-w01", date(2025, 12, 29), date(2026, 1, 5), "tuần 1 năm 2026", "2025-W52"),
        ("2027-W01", date(2027, 1, 4), date(2027, 1, 11), "tuần 1 năm 2027", "2026-W53"),
        ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1), "quý IV năm 2026", "2026-Q3"),
        ("2026-Q1", date(2026, 1, 1), date(2026, 4, 1), "quý I năm 2026", "2025-Q4"),
        ("2026", date(2026, 1, 1), date(2027, 1, 1), "năm 2026", "2025"),
    ],
)
def test_periods_are_months_iso_weeks_quarters_or_years_compared_like_with_like(
    text: str, start: date, end: date, label: str, previous: str
) -> None:
    period = parse_period(text)
    assert (period.start, period.end, period.label) == (start, end, label)
    assert period.previous().key == previous
    assert period.previous().end == period.start


def test_a_weekly_and_a_quarterly_report_compare_with_the_period_before(
    database: Database, settings: Settings, personas, history
) -> None:
    # Week 45 of 2026 is 2–8 November: A's roads of 2–8 Nov against 26 Oct–1 Nov (none).
    text, tables = _docx_text(_report(database, settings, personas.admin, "docx", "2026-W45"))
    assert "Tình hình dư luận, ý kiến Nhân dân tuần 45 năm 2026" in text
    overview = tables[1]
    assert overview[0][1:3] == ["tuần 45 năm 2026", "tuần 44 năm 2026"]
    assert _row(overview, "Tổng số ý kiến, tin nhắn tiếp nhận")[1:3] == ["13", "0"]
    # The fourth quarter holds October and November; the third has nothing.
    text, tables = _docx_text(_report(database, settings, personas.admin, "docx", "2026-Q4"))
    assert "quý IV năm 2026" in text
    assert _row(tables[1], "Tổng số ý kiến, tin nhắn tiếp nhận")[1:3] == ["22", "0"]
    wb = load_workbook(io.BytesIO(_report(database, settings, personas.admin, "xlsx", "2026")))
    assert "Tổng quan" in wb.sheetnames
    text, tables = _docx_text(_report(database, settings, personas.admin, "docx", "2026"))
    assert "Tình hình dư luận, ý kiến Nhân dân năm 2026" in text
    assert tables[1][0][1:3] == ["năm 2026", "năm 2025"]
    assert _report(database, settings, personas.admin, "pdf", "2026").startswith(b"%PDF")


def test_the_cli_takes_every_kind_of_period_and_refuses_a_bad_one(
    database: Database, settings: Settings, history, tmp_path, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from danvan.cli import app

    monkeypatch.setenv("DANVAN_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    out = tmp_path / "week.docx"
    args = ["report", "situation", "--format", "docx", "--out", str(out)]
    done = runner.invoke(app, [*args, "--period", "2026-W45"])
    assert done.exit_code == 0, done.output
    assert "tuần 45 năm 2026" in "\n".join(p.text for p in Document(str(out)).paragraphs)
    refused = runner.invoke(app, [*args, "--period", "2026-W60"])
    assert refused.exit_code == 1
    assert "Kỳ báo cáo phải là tháng (2026-11), tuần ISO (2026-W48)" in refused.output


def test_label_figures_are_estimates_and_the_report_says_how_many_a_person_confirmed(
    database: Database, settings: Settings, personas, history
) -> None:
    from sqlalchemy import select

    from danvan.opinion.models import MessageAnalysis
    from danvan.opinion.review import do_confirm

    with database.session() as session:
        november = session.scalars(
            select(MessageAnalysis)
            .where(MessageAnalysis.commune_code == A, MessageAnalysis.received_at >= NOV)
            .order_by(MessageAnalysis.message_id)
            .limit(3)
        ).all()
        for analysis in november:
            do_confirm(session, actor=personas.officer_a.actor, analysis=analysis)
    checked = "Tin nhắn đã được cán bộ kiểm tra, xác nhận nhãn"
    text, tables = _docx_text(_report(database, settings, personas.admin, "docx"))
    overview, concerns, communes = tables[1], tables[2], tables[3]
    assert _row(overview, checked)[1:3] == ["3", "0"]
    assert _row(overview, "Ý kiến mang sắc thái tiêu cực (ước tính)")[1] == "16"
    assert _row(overview, "Tổng số ý kiến, tin nhắn tiếp nhận")[1] == "18"  # counted, exact
    assert concerns[0][1] == "Số ý kiến (ước tính)"
    assert communes[0][2:4] == ["Tiêu cực (ước tính)", "Khẩn cấp (ước tính)"]
    assert "là số ước tính" in text
    assert "cán bộ đã kiểm tra, xác nhận nhãn của 3/18 tin nhắn (16,7%)" in text

    wb = load_workbook(io.BytesIO(_report(database, settings, personas.admin, "xlsx")))
    overview_rows = {r[0]: r for r in wb["Tổng quan"].iter_rows(min_row=5, values_only=True)}
    assert overview_rows[checked][1:3] == (3, 0)
    assert "Ý kiến khẩn cấp (nguy hiểm tính mạng, tài sản) (ước tính)" in overview_rows
    assert next(wb["Tâm trạng"].iter_rows(min_row=4, max_row=4, values_only=True))[1] == (
        "Số ý kiến (ước tính)"
    )
    kinds = [r[0] for r in wb["Loại ý kiến, kênh"].iter_rows(min_row=5, values_only=True)]
    assert "Phản ánh, khiếu nại (ước tính)" in kinds
    assert "Zalo OA" in kinds  # channels are counted, not estimated
    # Only within the report's scope: officer B's report counts none of A's confirmations.
    _text, tables = _docx_text(_report(database, settings, personas.officer_b, "docx"))
    assert _row(tables[1], checked)[1] in ("0", "<5")
