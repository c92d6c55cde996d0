"""What the situation report and the dashboard print for a figure (issue 14): "<5" only for a
count under 5 hidden for privacy, "—" for what was never computed or has no base; a change in
percent only over a base big enough to mean something (else the counts); Vietnamese decimals
with a comma through one helper (`danvan.kernel.numbers`)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from docx import Document
from openpyxl import load_workbook  # type: ignore[import-untyped]

from danvan.kernel import clock, numbers
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.opinion.report import do_situation_report
from danvan.opinion.rollups import run_rollups

A, B = 2302, 2269
NOV = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


def test_numbers_are_written_the_vietnamese_way_and_the_english_way() -> None:
    assert numbers.percent(58.3333) == "58,3%"
    assert numbers.percent(58.3333, locale="en") == "58.3%"
    assert numbers.percent(12.5, signed=True) == "+12,5%"
    assert numbers.number(1234) == "1.234"
    assert numbers.number(1234, locale="en") == "1,234"
    assert numbers.number(1234.5) == "1.234,5"
    assert numbers.points(-2.5) == "-2,5"
    assert numbers.ratio(7, 12) == 100 * 7 / 12
    assert numbers.ratio(42, 12) == 100.0  # never above the whole
    assert numbers.ratio(3, 0) is None


def test_a_change_is_a_percentage_only_over_a_big_enough_base() -> None:
    assert numbers.change(12, 1) is None  # not "+1100 %"
    assert numbers.change(71, 16) is None  # not "+343,8%"
    assert numbers.change(30, numbers.MIN_CHANGE_BASE) == 50.0
    assert numbers.change(None, 40) is None
    assert numbers.change(10, None) is None


def _report(database: Database, settings: Settings, persona, fmt: str, **kwargs) -> bytes:
    with database.session() as session:
        data, _name = do_situation_report(
            session,
            actor=persona.actor,
            province_code=settings.province,
            tz_name=settings.timezone,
            period="2026-11",
            fmt=fmt,
            **kwargs,
        )
    return data


def _november(database: Database, settings: Settings, write) -> None:
    """November: A 12 roads messages, B 3; October: A 1."""
    for i in range(12):
        write(f"Đường thôn lầy lội lần {i}", at=NOV + timedelta(days=i), commune=A)
    for i in range(3):
        write(f"Cầu tràn bị ngập lần {i}", at=NOV + timedelta(days=i), commune=B)
    write("Đường hỏng tháng trước", at=NOV - timedelta(days=20), commune=A)
    run_rollups(database, settings, clock.now())


def test_the_report_marks_only_hidden_small_counts_with_the_privacy_mark(
    database: Database, settings: Settings, personas, write
) -> None:
    _november(database, settings, write)
    # The admin's own report hides nothing: no "<5" anywhere, whatever was not computed.
    book = load_workbook(io.BytesIO(_report(database, settings, personas.admin, "xlsx")))
    cells = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert "<5" not in cells
    overview = {r[0]: r for r in book["Tổng quan"].iter_rows(min_row=3, values_only=True)}
    # 1 before: a change in percent would be "+1400 %"; the counts say it instead.
    assert overview["Tổng số ý kiến, tin nhắn tiếp nhận"][1:4] == (15, 1, "—")
    # Case figures have no earlier period in this report: not computed, not "under 5".
    assert overview["Vụ việc quá hạn"][2:4] == ("—", "—")
    moods = {r[0]: r for r in book["Tâm trạng"].iter_rows(min_row=3, values_only=True)}
    assert moods["Tích cực"][1:3] == (0, 0.0)
    text = "\n".join(
        p.text
        for p in Document(
            io.BytesIO(_report(database, settings, personas.admin, "docx"))
        ).paragraphs
    )
    assert "<5" not in text
    assert "(so với 1 trong tháng 10 năm 2026)" in text
    # Published, small counts are hidden: "<5" there means exactly that.
    book = load_workbook(
        io.BytesIO(_report(database, settings, personas.admin, "xlsx", public=True))
    )
    communes = {r[0]: r for r in book["Theo xã"].iter_rows(min_row=3, values_only=True)}
    assert communes["Xã Thượng Lâm"][1] == "<5"
    assert communes["Xã Minh Quang"][1] == 12
    overview = {r[0]: r for r in book["Tổng quan"].iter_rows(min_row=3, values_only=True)}
    assert overview["Tổng số ý kiến, tin nhắn tiếp nhận"][1:4] == (15, "<5", "—")


def test_the_dashboard_shows_counts_instead_of_a_change_over_a_tiny_base(
    database: Database, settings: Settings, personas, write, signed_in
) -> None:
    now = utcnow()
    write("Đường hỏng tuần trước", at=now - timedelta(days=8), commune=A)
    for i in range(12):
        write(f"Đường thôn lầy lội lần {i}", at=now - timedelta(hours=i + 1), commune=A)
    run_rollups(database, settings, now)
    html = signed_in(personas.admin).get("/dashboard?days=7").text
    assert "+1100" not in html
    assert "+1.100" not in html
    assert "từ 1" in html  # the topic row: 12 now, from 1
    assert "kỳ trước: 1" in html  # the KPI


def test_vietnamese_pages_write_decimals_with_a_comma(
    database: Database, settings: Settings, personas, write, signed_in
) -> None:
    now = utcnow()
    for i in range(3):
        write(f"Đường hỏng {i}", at=now - timedelta(hours=i + 1), commune=A)
    write("Cảm ơn cán bộ xã", at=now - timedelta(hours=5), commune=A, sentiment="positive")
    run_rollups(database, settings, now)
    admin = signed_in(personas.admin)
    html = admin.get("/dashboard?days=7").text
    assert "75,0%" in html  # 3 of 4 negative
    assert "75.0%" not in html
    admin.post("/lang", {"locale": "en", "next": "/dashboard"})
    assert "75.0%" in admin.get("/dashboard?days=7").text
