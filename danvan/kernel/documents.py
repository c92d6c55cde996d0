"""Shared helpers for the documents danvan writes (PDF, DOCX, XLSX).

PDF needs a TrueType font with Vietnamese glyphs. We use the DejaVu fonts that ship inside the
matplotlib wheel (a pinned dependency, used for charts anyway), so no system font package is
needed on a fresh machine.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fpdf import FPDF

PDF_FAMILY = "DejaVu"


@lru_cache
def font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


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
