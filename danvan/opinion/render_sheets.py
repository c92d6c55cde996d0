"""A `Situation` as an XLSX workbook: one titled sheet per table (the report's title, its scope
and the sheet's section above a styled header row), figures as numbers with number formats, dates
as dates, the header frozen, columns sized to their content, printed landscape on one page's
width. Every cell goes through `kernel/documents.set_cell` (no text is ever a formula)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from typing import Any

from danvan.kernel.documents import set_cell
from danvan.kernel.letterhead import Letterhead
from danvan.opinion.render import SUPPRESSED, Cell, Signed, summary, tables
from danvan.opinion.situation import Situation

HEADER_ROW = 4  # title, subtitle, blank, header
_DAY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
DARK = "1F3864"


def _value(value: Cell) -> Any:
    """What the cell holds: a count, a share, a date, or text (a suppressed count is "<5")."""
    if value is None:
        return SUPPRESSED
    if isinstance(value, str) and (m := _DAY.match(value)):
        return date(int(m[3]), int(m[2]), int(m[1]))
    if isinstance(value, float):
        return float(value)
    return value


def _format(value: Cell) -> str | None:
    if isinstance(value, Signed):
        return "+0.0;-0.0;0.0"
    if isinstance(value, float):
        return "0.0"
    if isinstance(value, int) and not isinstance(value, bool):
        return "#,##0"
    if isinstance(value, str) and _DAY.match(value):
        return "dd/mm/yyyy"
    return None


def _width(value: Any) -> int:
    if isinstance(value, date | datetime):
        return 11
    return max((len(part) for part in str(value).splitlines()), default=0)


def to_xlsx(s: Situation, head: Letterhead) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    thin = Side(style="thin", color="808080")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=DARK)
    wb = Workbook()
    for index, (title, columns, rows) in enumerate(tables(s)):
        ws = wb.active if index == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = title[:31]
        last = get_column_letter(max(len(columns), 1))
        set_cell(ws, row=1, column=1, value=f"{s.title.upper()}").font = Font(
            bold=True, size=14, color=DARK
        )
        set_cell(
            ws,
            row=2,
            column=1,
            value=f"{title} · Phạm vi: {s.scope_name} · {head.issuer} · {head.date_line()}",
        ).font = Font(italic=True, color="404040")
        ws.merge_cells(f"A1:{last}1")
        ws.merge_cells(f"A2:{last}2")
        widths = [_width(c) for c in columns]
        for col, text in enumerate(columns, start=1):
            cell = set_cell(ws, row=HEADER_ROW, column=col, value=text)
            cell.font, cell.fill, cell.border = header_font, header_fill, box
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        for r, row in enumerate(rows, start=HEADER_ROW + 1):
            for col, value in enumerate(row, start=1):
                cell = set_cell(ws, row=r, column=col, value=_value(value))
                cell.border = box
                if (fmt := _format(value)) is not None:
                    cell.number_format = fmt
                if value is None:
                    cell.alignment = Alignment(horizontal="right")
                elif isinstance(value, str) and len(value) > 60:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                widths[col - 1] = max(widths[col - 1], _width(cell.value))
        if not rows:
            set_cell(
                ws, row=HEADER_ROW + 1, column=1, value="Không có số liệu trong kỳ."
            ).font = Font(italic=True)
        if index == 0:
            notes = HEADER_ROW + len(rows) + 2
            for offset, line in enumerate(summary(s)):
                set_cell(ws, row=notes + offset, column=1, value=line)
        for col, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 10), 70)
        ws.row_dimensions[HEADER_ROW].height = 32
        ws.freeze_panes = f"A{HEADER_ROW + 1}"
        ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
