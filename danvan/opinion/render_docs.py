"""A `Situation` as a document an office files: DOCX and PDF in the layout of Decree 30/2020
(heading, title, sections, "Nơi nhận" and signature, page numbers from page 2; the layout itself
is `kernel/documents.py`'s), and printable HTML with the same heading."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

from jinja2 import Environment

from danvan.kernel import documents as kit
from danvan.kernel.letterhead import MOTTO, NATIONAL, Letterhead
from danvan.opinion.render import (
    SECTIONS,
    Cell,
    cell_text,
    concerns_chart,
    daily_chart,
    summary,
    tables,
)
from danvan.opinion.situation import Situation

KIND = "BÁO CÁO"
NO_DATA = "Không có số liệu trong kỳ."
FOOTNOTE = (
    "Báo cáo được lập tự động từ hệ thống Dân Vận; số liệu tổng hợp, không nêu danh tính người dân."
)


def _scope(s: Situation) -> str:
    return f"(Phạm vi: {s.scope_name})"


def _numeric(value: Cell) -> bool:
    return value is None or isinstance(value, int | float)


def col_widths(
    columns: list[str],
    rows: list[list[Cell]],
    *,
    total: float,
    measure: Callable[[str], float],
    pad: float,
) -> list[float]:
    """Column widths adding up to `total`: figures, dates and short values as wide as their
    longest value (`measure`d, plus `pad`, the cell's padding), and the text columns (names,
    quotes) the rest in proportion to their length, never narrower than their longest word."""
    natural, flexible = [], []
    for i, title in enumerate(columns):
        values = [cell_text(r[i]) for r in rows]
        words = [*title.split(), *(p for v in values for p in v.split()), "00000"]
        word = max(measure(w) for w in words)
        longest = max((len(v) for v in values), default=0)
        fixed = all(_numeric(r[i]) for r in rows) or longest <= 12
        natural.append(max([word, *(measure(v) for v in values if fixed)]) + pad)
        flexible.append(0.0 if fixed else float(max(min(longest, 60), 1)))
    rest = total - sum(natural)
    if rest > 0 and any(flexible):
        natural = [n + rest * f / sum(flexible) for n, f in zip(natural, flexible, strict=True)]
    return [n * total / sum(natural) for n in natural]


# --- DOCX -----------------------------------------------------------------------------------------


def _docx_table(doc: Any, head: list[str], rows: list[list[Cell]]) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    table = doc.add_table(rows=1, cols=len(head))
    table.style = doc.styles["Table Grid"]
    kit.docx_widths(
        table,
        col_widths(head, rows, total=kit.TEXT_WIDTH_CM, measure=lambda t: len(t) * 0.21, pad=0.3),
    )
    for cell, text in zip(table.rows[0].cells, head, strict=True):
        p = kit.docx_para(cell, text, bold=True, size=11, center=True)
        p.paragraph_format.keep_with_next = True
        shade = OxmlElement("w:shd")
        for key, setting in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", "E7E6E6")):
            shade.set(qn(key), setting)
        cell._tc.get_or_add_tcPr().append(shade)
    # The header row repeats on every page the table runs over; no row splits over two.
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for row in rows:
        added = table.add_row()
        added._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        cells = added.cells
        for cell, width in zip(cells, table.rows[0].cells, strict=True):
            cell.width = width.width
        for cell, value in zip(cells, row, strict=True):
            p = kit.docx_para(cell, cell_text(value), size=11)
            if _numeric(value):
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            p.paragraph_format.space_after = Pt(0)


def to_docx(s: Situation, head: Letterhead) -> bytes:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    doc = kit.docx_new()
    kit.docx_heading(doc, head)
    kit.docx_title(doc, KIND, s.title, note=_scope(s))
    by_name = {title: (columns, rows) for title, columns, rows in tables(s)}
    for heading, key in SECTIONS:
        kit.docx_para(
            doc, heading, bold=True, size=13, before=12, after=6
        ).paragraph_format.keep_with_next = True
        if key == "Tổng quan":
            for line in summary(s):
                kit.docx_para(doc, line, justify=True, indent_cm=1, after=6)
            doc.add_picture(io.BytesIO(daily_chart(s)), width=Cm(15))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        if key == "Mối quan tâm" and s.concerns:
            doc.add_picture(io.BytesIO(concerns_chart(s)), width=Cm(15))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        columns, rows = by_name[key]
        if rows:
            _docx_table(doc, columns, rows)
        else:
            kit.docx_para(doc, NO_DATA, italic=True)
    kit.docx_para(doc, FOOTNOTE, italic=True, size=11, before=12)
    kit.docx_signature(doc, head)
    kit.docx_page_numbers(doc)
    return kit.docx_bytes(doc)


# --- PDF ------------------------------------------------------------------------------------------


def _pdf_table(pdf: Any, columns: list[str], rows: list[list[Cell]]) -> None:
    from fpdf.fonts import FontFace

    align = tuple(
        "RIGHT" if all(_numeric(r[i]) for r in rows) else "LEFT" for i in range(len(columns))
    )
    pdf.set_font(kit.PDF_FAMILY, "B", 8.5)  # measured bold, as the header row is
    widths = col_widths(columns, rows, total=pdf.epw, measure=pdf.get_string_width, pad=3)
    pdf.set_font(kit.PDF_FAMILY, "", 8.5)
    with pdf.table(
        col_widths=tuple(widths),
        align="LEFT",  # "CENTER" centres on the page, not between the margins (30 and 20 mm)
        text_align=align,
        line_height=4.5,
        headings_style=FontFace(emphasis="BOLD", fill_color=(231, 230, 230)),
        padding=1,
    ) as table:
        header = table.row()
        for title in columns:
            header.cell(title, align="CENTER")
        for row in rows:
            cells = table.row()
            for value in row:
                cells.cell(cell_text(value))
    pdf.set_x(pdf.l_margin)


def _pdf_chart(pdf: Any, png: bytes) -> None:
    width = (pdf.w - pdf.l_margin - pdf.r_margin) * 0.9
    height = width / 2  # the charts are drawn 2:1
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    pdf.image(
        io.BytesIO(png), x=pdf.l_margin + (pdf.w - pdf.l_margin - pdf.r_margin - width) / 2, w=width
    )
    pdf.set_x(pdf.l_margin)


def to_pdf(s: Situation, head: Letterhead) -> bytes:
    pdf = kit.new_official_pdf()
    kit.pdf_heading(pdf, head)
    kit.pdf_title(pdf, KIND, s.title, note=_scope(s))
    by_name = {title: (columns, rows) for title, columns, rows in tables(s)}
    for heading, key in SECTIONS:
        pdf.ln(3)
        if pdf.get_y() + 30 > pdf.page_break_trigger:
            pdf.add_page()  # a heading is not left alone at the foot of a page
        kit.pdf_text(pdf, heading, style="B", size=11, align="L", height=6)
        pdf.ln(1)
        if key == "Tổng quan":
            for line in summary(s):
                kit.pdf_text(pdf, line, size=10.5)
                pdf.ln(1)
            _pdf_chart(pdf, daily_chart(s))
        if key == "Mối quan tâm" and s.concerns:
            _pdf_chart(pdf, concerns_chart(s))
        columns, rows = by_name[key]
        if rows:
            _pdf_table(pdf, columns, rows)
        else:
            kit.pdf_text(pdf, NO_DATA, style="I", size=10.5)
    pdf.ln(3)
    kit.pdf_text(pdf, FOOTNOTE, style="I", size=9.5)
    kit.pdf_signature(pdf, head)
    return bytes(pdf.output())


# --- HTML -----------------------------------------------------------------------------------------

_HTML = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{{ s.title }}</title>
<style>
body { font-family: "Times New Roman", serif; font-size: 13pt; max-width: 160mm; margin: 2cm auto; }
.head { display: grid; grid-template-columns: 40% 60%; text-align: center; }
.head b, .head span { display: block; } .motto { white-space: nowrap; }
.rule { width: 33%; margin: 2pt auto 6pt; border-top: 1px solid #000; }
h1 { text-align: center; font-size: 14pt; } h2 { font-size: 13pt; }
table { border-collapse: collapse; width: 100%; margin: 6pt 0; font-size: 11pt; }
th, td { border: 1px solid #444; padding: 2pt 4pt; vertical-align: top; } th { background: #eee; }
td.n { text-align: right; } .c { text-align: center; } img { max-width: 100%; }
.sign { display: grid; grid-template-columns: 45% 55%; margin-top: 18pt; }
.sign .to { font-size: 11pt; } .sign .who { text-align: center; }
.sign .name { margin-top: 60pt; font-weight: bold; }
@media print { body { margin: 0; } }
</style></head><body>
<div class="head">
<div>{% if h.superior %}<span>{{ h.superior }}</span>{% endif %}<b>{{ h.issuer }}</b>
<div class="rule"></div><span>{{ h.number_line() }}</span></div>
<div><b>{{ national }}</b><b class="motto">{{ motto }}</b><div class="rule"></div>
<i>{{ h.date_line() }}</i></div></div>
<h1>{{ kind }}<br>{{ s.title }}</h1>
<p class="c"><i>{{ scope }}</i></p>
{% for heading, key in sections %}
<h2>{{ heading }}</h2>
{% if key == "Tổng quan" %}{% for line in summary %}<p>{{ line }}</p>{% endfor %}
<img alt="Số ý kiến theo ngày" src="data:image/png;base64,{{ daily }}">{% endif %}
{% if key == "Mối quan tâm" and concerns %}
<img alt="Những vấn đề được quan tâm nhiều nhất" src="data:image/png;base64,{{ concerns }}">
{% endif %}
{% set head, rows = tables[key] %}
{% if rows %}<table><thead><tr>
{% for c in head %}<th scope="col">{{ c }}</th>{% endfor %}
</tr></thead><tbody>
{% for row in rows %}<tr>
{% for v in row %}<td{% if v is not string %} class="n"{% endif %}>{{ cell(v) }}</td>{% endfor %}
</tr>{% endfor %}
</tbody></table>{% else %}<p><i>{{ no_data }}</i></p>{% endif %}
{% endfor %}
<p><i>{{ footnote }}</i></p>
<div class="sign"><div class="to"><b><i>Nơi nhận:</i></b>
{% for line in h.recipients %}<br>{{ line }}{% endfor %}</div>
<div class="who">{% for line in h.signer_title %}<b>{{ line }}</b><br>{% endfor %}
<div class="name">{{ h.signer_name }}</div></div></div>
</body></html>"""
)


def to_html(s: Situation, head: Letterhead) -> bytes:
    return _HTML.render(
        s=s,
        h=head,
        kind=KIND,
        national=NATIONAL,
        motto=MOTTO,
        scope=_scope(s),
        sections=SECTIONS,
        summary=summary(s),
        tables={title: (columns, rows) for title, columns, rows in tables(s)},
        cell=cell_text,
        no_data=NO_DATA,
        footnote=FOOTNOTE,
        daily=base64.b64encode(daily_chart(s)).decode(),
        concerns=base64.b64encode(concerns_chart(s)).decode() if s.concerns else "",
    ).encode("utf-8")
