"""One helper writes every spreadsheet cell: text a spreadsheet would run as a formula is stored
as text, numbers stay numbers."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]

from danvan.kernel.documents import append_row, safe_value, set_cell

DANGEROUS = [
    '=HYPERLINK("http://evil","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
]


def _reloaded(write) -> object:
    book = Workbook()
    write(book.active)
    out = io.BytesIO()
    book.save(out)
    return load_workbook(io.BytesIO(out.getvalue())).active


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_that_starts_a_formula_is_stored_as_text(text: str) -> None:
    sheet = _reloaded(lambda ws: append_row(ws, [text, "bình thường"]))
    cell = sheet["A1"]
    assert cell.data_type == "s"
    assert cell.value == "'" + text
    assert not str(cell.value).startswith("=")
    assert sheet["B1"].value == "bình thường"


def test_set_cell_is_safe_too() -> None:
    sheet = _reloaded(lambda ws: set_cell(ws, row=2, column=3, value="=1+1"))
    assert sheet["C2"].data_type == "s"
    assert sheet["C2"].value == "'=1+1"


def test_numbers_dates_and_empty_cells_stay_what_they_are() -> None:
    when = datetime(2026, 12, 10, 9, 0)  # noqa: DTZ001 (a spreadsheet holds naive times)
    sheet = _reloaded(lambda ws: append_row(ws, [-3, 2.5, 0, when, None, True, "Xã Minh Quang"]))
    row = [c.value for c in sheet[1]]
    assert row[:4] == [-3, 2.5, 0, when]
    assert sheet["A1"].data_type == "n"
    assert row[5:] == [True, "Xã Minh Quang"]
    assert safe_value(None) is None
