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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where a PDF is made: fpdf brings fontTools, lxml and numpy
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
    from fpdf import FPDF

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


# --- Official documents (Decree 30/2020/NĐ-CP, Appendix I) ------------------------------------
#
# A4; margins top and bottom 2 cm, left 3 cm, right 2 cm; Times New Roman 13 (headings 12–14);
# the national heading and the issuer side by side, the number under the issuer and the place and
# date under the motto; "Nơi nhận" bottom left beside the signature; page numbers centred in the
# top margin from page 2 (Decree 30: "không hiển thị số trang thứ nhất").

FONT = "Times New Roman"
TEXT_WIDTH_CM = 16.0  # 21 - 3 - 2
ISSUER_CM, NATIONAL_CM = 6.5, 9.5
MOTTO_CM = 5.6  # "Độc lập - Tự do - Hạnh phúc", Times New Roman bold 13 (measured)


def docx_new() -> Any:
    """A python-docx Document set up as Decree 30 asks: A4, margins, Times New Roman 13."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.header_distance = Cm(1)
    for style_name in ("Normal", "Table Grid"):
        style = doc.styles[style_name]
        style.font.name = FONT
        style.font.size = Pt(13)
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), FONT)
    doc.styles["Normal"].paragraph_format.space_after = Pt(0)
    # Section headings in the body: Times New Roman, bold, black (not Word's blue Calibri).
    for level in (1, 2, 3):
        style = doc.styles[f"Heading {level}"]
        style.font.name, style.font.size, style.font.bold = FONT, Pt(13), True
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
            fonts.attrib.pop(qn(attr), None)
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), FONT)
        style.paragraph_format.space_before, style.paragraph_format.space_after = Pt(12), Pt(6)
    return doc


def docx_para(
    where: Any,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    size: float = 13,
    center: bool = False,
    justify: bool = False,
    indent_cm: float = 0,
    before: float = 0,
    after: float = 0,
) -> Any:
    """One paragraph of one run in a document or a table cell (a cell's first, empty paragraph
    is reused)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt
    from docx.table import _Cell

    fresh = where.paragraphs[0] if isinstance(where, _Cell) and len(where.paragraphs) == 1 else None
    p = fresh if fresh is not None and not fresh.runs and fresh._p.pPr is None else None
    p = p if p is not None else where.add_paragraph()
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif justify:
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if indent_cm:
        p.paragraph_format.first_line_indent = Cm(indent_cm)
    p.paragraph_format.space_before, p.paragraph_format.space_after = Pt(before), Pt(after)
    if text:
        run = p.add_run(text)
        run.bold, run.italic = bold, italic
        run.font.size = Pt(size)
    return p


def docx_rule(where: Any, *, width_cm: float, length_cm: float) -> Any:
    """A centred solid line `length_cm` long (a paragraph's bottom border between indents)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    p = docx_para(where, size=2)
    side = max((width_cm - length_cm) / 2, 0)
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = Cm(side)
    p.paragraph_format.line_spacing = Pt(2)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    p._p.get_or_add_pPr().append(borders)
    return p


def docx_widths(table: Any, widths: list[float]) -> None:
    """Fix a table's column widths (cm): the grid (LibreOffice reads it) and every cell (Word)."""
    from docx.shared import Cm

    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)


def docx_heading(doc: Any, head: Any) -> None:
    """The heading of an official document: the issuer (superior body, issuing body in bold, a
    short rule, "Số: …/…") on the left; the national heading, the motto on one line, its rule,
    and the place and date in italics on the right."""
    from danvan.kernel.letterhead import MOTTO, NATIONAL

    table = doc.add_table(rows=2, cols=2)
    docx_widths(table, [ISSUER_CM, NATIONAL_CM])
    (left, right), (number, dated) = (r.cells for r in table.rows)
    inner = ISSUER_CM - 0.4
    if head.superior:
        docx_para(left, head.superior, size=12, center=True)
    docx_para(left, head.issuer, bold=True, size=12, center=True)
    docx_rule(left, width_cm=inner, length_cm=min(2.5, inner / 2))
    docx_para(right, NATIONAL, bold=True, size=12, center=True)
    docx_para(right, MOTTO, bold=True, size=13, center=True)
    docx_rule(right, width_cm=NATIONAL_CM - 0.4, length_cm=MOTTO_CM)
    docx_para(number, head.number_line(), size=13, center=True, before=6)
    docx_para(dated, head.date_line(), italic=True, size=13, center=True, before=6)


def docx_title(doc: Any, kind: str, subject: str, *, note: str = "") -> None:
    """ "BÁO CÁO" (the document's kind), its subject in bold, a short rule; `note` in italics."""
    docx_para(doc, kind, bold=True, size=14, center=True, before=18)
    docx_para(doc, subject, bold=True, size=14, center=True)
    docx_rule(doc, width_cm=TEXT_WIDTH_CM, length_cm=4)
    if note:
        docx_para(doc, note, italic=True, size=13, center=True, before=4)
    docx_para(doc)


def docx_signature(doc: Any, head: Any) -> None:
    """ "Nơi nhận:" and its list on the left; the signer's title (caps, bold), the space to sign,
    and the signer's name (bold) on the right."""
    from docx.shared import Pt

    # The paragraph before goes with the block, which is never left alone on a last page.
    if doc.paragraphs:
        doc.paragraphs[-1].paragraph_format.keep_with_next = True
    docx_para(doc).paragraph_format.keep_with_next = True
    table = doc.add_table(rows=1, cols=2)
    docx_widths(table, [7.5, TEXT_WIDTH_CM - 7.5])
    left, right = table.rows[0].cells
    docx_para(left, "Nơi nhận:", bold=True, italic=True, size=12)
    for line in head.recipients:
        docx_para(left, line, size=11)
    for line in head.signer_title:
        docx_para(right, line, bold=True, size=13, center=True)
    for _ in range(4):
        docx_para(right, " ", size=13)
    docx_para(right, head.signer_name or " ", bold=True, size=14, center=True)
    # Keep the signature with its title on one page.
    for p in right.paragraphs:
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.space_after = Pt(0)
    table.rows[0]._tr.get_or_add_trPr().append(_cant_split())


def _cant_split() -> Any:
    from docx.oxml import OxmlElement

    return OxmlElement("w:cantSplit")


def docx_page_numbers(doc: Any) -> None:
    """Page numbers centred in the top margin, from page 2 (Decree 30): a PAGE field in the
    header, and an empty first-page header."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    section = doc.sections[0]
    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "2")):
        run = p.add_run()
        run.font.size = Pt(13)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text
    end = p.add_run()
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), "end")
    end._r.append(char)


def docx_bytes(doc: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# --- Official documents as PDF (fpdf2) ----------------------------------------------------------
#
# The same layout with DejaVu Serif (Vietnamese glyphs, embedded; a little wider than Times New
# Roman, hence sizes 1 pt under the DOCX's). Every text goes through `pdf_text`, which returns to
# the left margin after it: fpdf2's `multi_cell` otherwise leaves x at the cell's right edge, and
# what follows starts there (issue 14: paragraphs and charts ran off the page).

SERIF = "DejaVuSerif"


@lru_cache
def _official_pdf_class() -> type[FPDF]:
    """An A4 portrait FPDF with Decree 30's margins and its page numbers (centred in the top
    margin, from page 2); defined on first use (fpdf is imported only where a PDF is made)."""
    from fpdf import FPDF

    class OfficialPdf(FPDF):
        def header(self) -> None:
            if self.page_no() < 2:
                return
            family, style, size = self.font_family, self.font_style, self.font_size_pt
            self.set_font(SERIF, "", 11)
            self.set_y(9)
            self.cell(0, 6, str(self.page_no()), align="C")
            self.set_font(family, style, size)
            self.set_xy(self.l_margin, self.t_margin)

    return OfficialPdf


def new_official_pdf() -> FPDF:
    pdf = _official_pdf_class()(orientation="P", unit="mm", format="A4")
    pdf.set_margins(30, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_font(PDF_FAMILY, "", str(font_path()))
    pdf.add_font(PDF_FAMILY, "B", str(font_path(bold=True)))
    fonts = font_dir()
    for style, suffix in (("", ""), ("B", "-Bold"), ("I", "-Italic"), ("BI", "-BoldItalic")):
        pdf.add_font(SERIF, style, str(fonts / f"DejaVuSerif{suffix}.ttf"))
    pdf.set_font(SERIF, "", 11)
    pdf.add_page()
    return pdf


def pdf_text(
    pdf: FPDF,
    text: str,
    *,
    style: str = "",
    size: float = 11,
    align: str = "J",
    height: float = 5.5,
    x: float | None = None,
    width: float = 0,
) -> None:
    """A paragraph from `x` (default: the left margin) `width` wide (0: to the right margin);
    the next line starts back at the left margin."""
    pdf.set_font(SERIF, style, size)
    if x is not None:
        pdf.set_x(x)
    pdf.multi_cell(width, height, text, align=align, new_x="LMARGIN", new_y="NEXT")


def _fit(pdf: FPDF, text: str, *, style: str, size: float, width: float) -> None:
    """Select the largest size up to `size` (by halves) at which `text` fits `width` on one
    line."""
    while size > 7:
        pdf.set_font(SERIF, style, size)
        if pdf.get_string_width(text) <= width:
            return
        size -= 0.5


def _rule(pdf: FPDF, *, center: float, length: float, y: float) -> None:
    pdf.set_line_width(0.3)
    pdf.line(center - length / 2, y, center + length / 2, y)


def pdf_heading(pdf: FPDF, head: Any) -> None:
    """The heading of `docx_heading`, drawn at the top of the current page."""
    from danvan.kernel.letterhead import MOTTO, NATIONAL

    width = pdf.w - pdf.l_margin - pdf.r_margin
    left_w = width * 0.4
    right_x, right_w = pdf.l_margin + left_w, width - left_w
    top = pdf.get_y()
    if head.superior:
        pdf_text(pdf, head.superior, size=10, align="C", height=5, width=left_w)
    pdf_text(pdf, head.issuer, style="B", size=10, align="C", height=5, width=left_w)
    issuer_w = min(pdf.get_string_width(head.issuer), left_w)
    left_y = pdf.get_y() + 1
    _rule(pdf, center=pdf.l_margin + left_w / 2, length=issuer_w / 3, y=left_y)
    pdf.set_xy(right_x, top)
    _fit(pdf, NATIONAL, style="B", size=11, width=right_w)
    pdf.cell(right_w, 5, NATIONAL, align="C", new_x="LEFT", new_y="NEXT")
    _fit(pdf, MOTTO, style="B", size=12, width=right_w)
    pdf.cell(right_w, 6, MOTTO, align="C", new_x="LEFT", new_y="NEXT")
    right_y = pdf.get_y() + 0.5
    _rule(pdf, center=right_x + right_w / 2, length=pdf.get_string_width(MOTTO), y=right_y)
    y = max(left_y, right_y) + 3
    pdf.set_xy(pdf.l_margin, y)
    pdf.set_font(SERIF, "", 11)
    pdf.cell(left_w, 6, head.number_line(), align="C")
    pdf.set_xy(right_x, y)
    _fit(pdf, head.date_line(), style="I", size=11, width=right_w)
    pdf.cell(right_w, 6, head.date_line(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)


def pdf_title(pdf: FPDF, kind: str, subject: str, *, note: str = "") -> None:
    pdf_text(pdf, kind, style="B", size=13, align="C", height=7)
    pdf_text(pdf, subject, style="B", size=12, align="C", height=6)
    _rule(pdf, center=pdf.w / 2 + (pdf.l_margin - pdf.r_margin) / 2, length=40, y=pdf.get_y() + 1)
    pdf.ln(3)
    if note:
        pdf_text(pdf, note, style="I", size=11, align="C")
    pdf.ln(3)


def pdf_signature(pdf: FPDF, head: Any) -> None:
    """ "Nơi nhận" bottom left, the signature block bottom right, kept on one page."""
    width = pdf.w - pdf.l_margin - pdf.r_margin
    left_w = width * 0.45
    right_x, right_w = pdf.l_margin + left_w, width - left_w
    needed = max(6 + 5 * len(head.recipients), 6 * len(head.signer_title) + 32)
    pdf.ln(6)
    if pdf.get_y() + needed > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y()
    pdf_text(pdf, "Nơi nhận:", style="BI", size=10.5, align="L", height=5, width=left_w)
    for line in head.recipients:
        pdf_text(pdf, line, size=9.5, align="L", height=4.5, width=left_w)
    bottom = pdf.get_y()
    pdf.set_y(top)
    for line in head.signer_title:
        pdf_text(pdf, line, style="B", size=11, align="C", height=6, x=right_x, width=right_w)
    pdf.ln(24)
    if head.signer_name:
        pdf_text(pdf, head.signer_name, style="B", size=12, align="C", x=right_x, width=right_w)
    pdf.set_y(max(bottom, pdf.get_y()))
