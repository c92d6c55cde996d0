"""Shared helpers for the documents danvan writes (PDF, DOCX, XLSX).

XLSX: every cell danvan writes goes through `append_row` / `set_cell` (`safe_value`), so that
text (a citizen's message, a name, an option) is never a live formula in Excel or LibreOffice;
`tests/test_spreadsheet_cells.py` holds every writer to it.

PDF needs a TrueType font with Vietnamese glyphs. We use the DejaVu fonts that ship inside the
matplotlib wheel (a pinned dependency, used for charts anyway), so no system font package is
needed on a fresh machine.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from fpdf import FPDF

PDF_FAMILY = "DejaVu"


@lru_cache
def font_dir() -> Path:
    # Found without importing matplotlib (numpy, PIL, pyparsing…: ~20 MB in a web process that
    # only writes a certificate).
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib (its DejaVu fonts) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


def font_path(bold: bool = False, serif: bool = False) -> Path:
    """A DejaVu TrueType file with full Vietnamese coverage."""
    family = "DejaVuSerif" if serif else "DejaVuSans"
    return font_dir() / f"{family}{'-Bold' if bold else ''}.ttf"


def new_pdf(*, orientation: str = "portrait") -> FPDF:
    """An A4 FPDF document with the DejaVu family registered (regular "" and bold "B") and
    selected at 11 pt: Vietnamese text renders without further setup."""
    pdf = FPDF(orientation="L" if orientation.startswith("l") else "P", unit="mm", format="A4")
    pdf.add_font(PDF_FAMILY, "", str(font_path()))
    pdf.add_font(PDF_FAMILY, "B", str(font_path(bold=True)))
    pdf.set_font(PDF_FAMILY, size=11)
    pdf.set_auto_page_break(auto=True, margin=15)
    return pdf


# --- XLSX cells ---------------------------------------------------------------------------------

# What makes a spreadsheet read text as a formula or a command (OWASP "CSV injection"): "=", "+",
# "-", "@", a leading tab or carriage return, and their full-width forms, which some spreadsheet
# versions and IMEs turn into the ASCII ones.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_value(value: Any) -> Any:
    """`value` as a cell may hold it: text that a spreadsheet would take for a formula gets a
    leading apostrophe (shown, and kept by a CSV save), so openpyxl stores it as a string (data
    type "s"), never as a formula; numbers, dates, booleans and None stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """Append one row of cells to an openpyxl worksheet (normal or write-only), each one safe."""
    sheet.append([safe_value(v) for v in values])


def set_cell(sheet: Any, *, row: int, column: int, value: Any) -> Any:
    """Write one cell of an openpyxl worksheet, safely; the cell (to style it)."""
    return sheet.cell(row=row, column=column, value=safe_value(value))
