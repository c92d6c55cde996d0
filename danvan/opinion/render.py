"""Render a `Situation` as DOCX (Vietnamese administrative layout), XLSX (one sheet per table),
PDF (DejaVu fonts, `danvan.kernel.documents`) or printable HTML. Charts are PNG drawn by matplotlib
(Agg backend, no display, no network)."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from datetime import date

from jinja2 import Environment

from danvan.kernel import numbers
from danvan.kernel.documents import append_row
from danvan.opinion.situation import ESTIMATE, NOT_COMPUTED, Situation

SUPPRESSED = "<5"  # a count under 5, hidden: None in the figures, and nothing else


def num(value: int | float | None) -> str:
    if value is None:
        return SUPPRESSED
    return numbers.number(value)


def pct(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return NOT_COMPUTED
    return numbers.percent(value, signed=signed)


def pts(value: float | None) -> str:
    if value is None:
        return NOT_COMPUTED
    return numbers.points(value) + " điểm %"


def vn_date(day: date) -> str:
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


# --- Charts -----------------------------------------------------------------------------------


def _figure() -> tuple[object, object]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = "DejaVu Sans"
    return plt.subplots(figsize=(6.4, 3.2), dpi=120)


def _png(fig: object) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.tight_layout()  # type: ignore[attr-defined]
    fig.savefig(buffer, format="png")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return buffer.getvalue()


def concerns_chart(situation: Situation) -> bytes:
    fig, ax = _figure()
    rows = [c for c in situation.concerns if c.count is not None][::-1]
    ax.barh([c.name for c in rows], [c.count or 0 for c in rows], color="#1d4ed8")  # type: ignore[attr-defined]
    ax.set_xlabel("Số ý kiến")  # type: ignore[attr-defined]
    ax.set_title("Những vấn đề được quan tâm nhiều nhất")  # type: ignore[attr-defined]
    return _png(fig)


def daily_chart(situation: Situation) -> bytes:
    fig, ax = _figure()
    days = [d.day for d, _n in situation.daily]
    ax.plot(days, [n or 0 for _d, n in situation.daily], color="#b91c1c", marker="o", markersize=3)  # type: ignore[attr-defined]
    ax.set_xlabel(f"Ngày ({situation.period.label})")  # type: ignore[attr-defined]
    ax.set_ylabel("Số ý kiến")  # type: ignore[attr-defined]
    ax.set_title("Số ý kiến theo ngày")  # type: ignore[attr-defined]
    ax.grid(alpha=0.3)  # type: ignore[attr-defined]
    return _png(fig)


# --- Tables shared by every format ------------------------------------------------------------

Cell = str | int | float | None
Table = tuple[str, list[str], list[list[Cell]]]


def _kinds_and_channels(s: Situation) -> list[list[Cell]]:
    """Kinds are the model's labels (estimates); channels are counted."""
    rows: list[list[Cell]] = [[f"{name} ({ESTIMATE})", n] for name, n in s.kinds]
    return rows + [[name, n] for name, n in s.channels]


def tables(s: Situation) -> list[Table]:
    """(title, header, rows) of every table, in report order; numbers stay numbers (None is a
    suppressed count)."""
    return [
        (
            "Tổng quan",
            ["Chỉ tiêu", s.period.label, s.previous.label, "Thay đổi (%)"],
            [[label, n, p, signed(ch)] for label, n, p, ch in s.overview],
        ),
        (
            "Mối quan tâm",
            [
                "Lĩnh vực",
                f"Số ý kiến ({ESTIMATE})",
                f"Kỳ trước ({s.previous.label})",
                "Thay đổi (%)",
                f"Tiêu cực ({ESTIMATE})",
            ],
            [[c.name, c.count, c.previous, signed(c.change), c.negative] for c in s.concerns],
        ),
        (
            "Theo xã",
            [
                "Xã, phường",
                "Số ý kiến",
                f"Tiêu cực ({ESTIMATE})",
                f"Khẩn cấp ({ESTIMATE})",
                f"Lĩnh vực nhiều nhất ({ESTIMATE})",
            ],
            [[r.name, r.total, r.negative, r.urgent, r.top_topic] for r in s.communes],
        ),
        (
            "Tâm trạng",
            [
                "Sắc thái",
                f"Số ý kiến ({ESTIMATE})",
                "Tỷ lệ (%)",
                "Kỳ trước",
                "Tỷ lệ kỳ trước (%)",
                "Chênh lệch (điểm %)",
            ],
            [
                [r.name, r.count, rate(r.share), r.previous, rate(r.previous_share), rate(r.shift)]
                for r in s.sentiments
            ],
        ),
        (
            "Loại ý kiến, kênh",
            ["Loại / kênh", "Số ý kiến"],
            _kinds_and_channels(s),
        ),
        (
            "Vấn đề mới nổi",
            [
                "Vấn đề",
                "Xã, phường",
                "Lĩnh vực",
                "Số tin nhắn",
                "Từ ngày",
                "Đến ngày",
                "Tăng đột biến",
            ],
            [
                [
                    i.label,
                    i.commune,
                    i.topic,
                    i.messages,
                    f"{i.first_seen:%d/%m/%Y}",
                    f"{i.last_seen:%d/%m/%Y}",
                    "Có" if i.spiking else "",
                ]
                for i in s.issues
            ],
        ),
        (
            "Ý kiến tiêu biểu",
            ["Lĩnh vực", "Xã, phường", "Ngày", "Nội dung (đã che thông tin cá nhân)"],
            [[q.topic, q.commune, f"{q.day:%d/%m/%Y}", q.text] for q in s.quotes],
        ),
        (
            "Phản ánh, kiến nghị",
            ["Xã, phường", "Tiếp nhận", "Đã trả lời", "Đúng hạn", "Đang xử lý", "Quá hạn"],
            [
                [
                    r["name"],
                    r.get("received"),
                    r.get("answered"),
                    r.get("answered_on_time"),
                    r.get("open"),
                    r.get("overdue"),
                ]
                for r in s.case_rows
            ],
        ),
        ("Theo ngày", ["Ngày", "Số ý kiến"], [[f"{d:%d/%m/%Y}", n] for d, n in s.daily]),
    ]


class Signed(float):
    """A change, shown with its sign ("+12,5")."""


def signed(value: float | None) -> Signed | str:
    """A change; "—" when there is none to give (no earlier figure, or too small a base)."""
    return NOT_COMPUTED if value is None else Signed(value)


def rate(value: float | None) -> float | str:
    """A share or a difference of shares; "—" when it has no base (never "<5": not a count)."""
    return NOT_COMPUTED if value is None else value


def _cell(value: str | int | float | None) -> str:
    if isinstance(value, Signed):
        return numbers.points(value)
    return value if isinstance(value, str) else num(value)


SECTIONS = [
    ("I. TỔNG QUAN", "Tổng quan"),
    ("II. NHỮNG VẤN ĐỀ NỔI BẬT ĐƯỢC NHÂN DÂN QUAN TÂM", "Mối quan tâm"),
    ("III. TÌNH HÌNH THEO XÃ, PHƯỜNG", "Theo xã"),
    ("IV. CHUYỂN BIẾN TÂM TRẠNG XÃ HỘI", "Tâm trạng"),
    ("V. VẤN ĐỀ MỚI NỔI", "Vấn đề mới nổi"),
    ("VI. Ý KIẾN TIÊU BIỂU CỦA NHÂN DÂN", "Ý kiến tiêu biểu"),
    ("VII. TIẾP NHẬN VÀ GIẢI QUYẾT PHẢN ÁNH, KIẾN NGHỊ", "Phản ánh, kiến nghị"),
]


def summary(s: Situation) -> list[str]:
    """The prose of the overview section."""
    total, before, change = s.overview[0][1], s.overview[0][2], s.overview[0][3]
    if change is not None:
        compared = f" ({pct(change, signed=True)} so với {s.previous.label})."
    elif isinstance(before, int):  # too few before for a percentage: the count says it
        compared = f" (so với {num(before)} trong {s.previous.label})."
    else:
        compared = "."
    lines = [
        f"Trong {s.period.label}, phạm vi {s.scope_name} tiếp nhận {num(total)} ý kiến, tin nhắn "
        f"của Nhân dân qua các kênh Zalo và cổng góp ý{compared}"
    ]
    if s.concerns:
        top = ", ".join(c.name.lower() for c in s.concerns[:3])
        lines.append(f"Các lĩnh vực được quan tâm nhiều nhất: {top}.")
    negative = next((r for r in s.sentiments if r.name == "Tiêu cực"), None)
    if negative is not None and negative.share is not None:
        lines.append(
            f"Ý kiến mang sắc thái tiêu cực chiếm {pct(negative.share)}"
            + (f" ({pts(negative.shift)} so với kỳ trước)." if negative.shift is not None else ".")
        )
    if s.suppressed:
        lines.append("Các số liệu dưới 5 được ẩn (ghi “<5”) để bảo vệ thông tin cá nhân.")
    return lines + s.notes


# --- DOCX -----------------------------------------------------------------------------------------


def to_docx(s: Situation) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    for style_name in ("Normal", "Table Grid"):
        style = doc.styles[style_name]
        style.font.name = "Times New Roman"
        style.font.size = Pt(13)
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), "Times New Roman")

    def para(
        text: str = "",
        *,
        bold: bool = False,
        italic: bool = False,
        size: int = 13,
        align: int | None = None,
        cell: object = None,
    ) -> object:
        p = cell.add_paragraph() if cell is not None else doc.add_paragraph()  # type: ignore[attr-defined]
        if align is not None:
            p.alignment = align
        run = p.add_run(text)
        run.bold, run.italic = bold, italic
        run.font.size = Pt(size)
        run.font.name = "Times New Roman"
        p.paragraph_format.space_after = Pt(0)
        return p

    header = doc.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = header.rows[0].cells
    left.width, right.width = Cm(6.5), Cm(9.5)
    left.paragraphs[0].text = ""
    para(s.issuer, bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER, cell=left)
    para("―――――", size=13, align=WD_ALIGN_PARAGRAPH.CENTER, cell=left)
    para("Số:      /BC-UBND", size=13, align=WD_ALIGN_PARAGRAPH.CENTER, cell=left)
    para(
        "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        bold=True,
        size=13,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        cell=right,
    )
    para(
        "Độc lập - Tự do - Hạnh phúc",
        bold=True,
        size=14,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        cell=right,
    )
    para("―――――――――――――――", size=13, align=WD_ALIGN_PARAGRAPH.CENTER, cell=right)
    para(
        f"{s.province_name}, {vn_date(s.issued_on)}",
        italic=True,
        size=14,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        cell=right,
    )

    para()
    para("BÁO CÁO", bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(s.title, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(f"(Phạm vi: {s.scope_name})", italic=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    para()

    by_name = {title: (head, rows) for title, head, rows in tables(s)}
    for heading, key in SECTIONS:
        p = para(heading, bold=True, size=13)
        p.paragraph_format.space_before = Pt(6)  # type: ignore[attr-defined]
        if key == "Tổng quan":
            for line in summary(s):
                q = para(line, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
                q.paragraph_format.first_line_indent = Cm(1)  # type: ignore[attr-defined]
            doc.add_picture(io.BytesIO(daily_chart(s)), width=Cm(15))
        if key == "Mối quan tâm" and s.concerns:
            doc.add_picture(io.BytesIO(concerns_chart(s)), width=Cm(15))
        head, rows = by_name[key]
        if not rows:
            para("Không có số liệu trong kỳ.", italic=True)
            continue
        table = doc.add_table(rows=1, cols=len(head))
        table.style = doc.styles["Table Grid"]
        for cell, text in zip(table.rows[0].cells, head, strict=True):
            cell.paragraphs[0].text = ""
            run = cell.paragraphs[0].add_run(text)
            run.bold = True
            run.font.size = Pt(12)
        for row in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                run = cell.paragraphs[0].add_run(_cell(value))
                run.font.size = Pt(12)
    para()
    p = para("Nơi nhận:", bold=True, italic=True, size=12)
    for line in ("- Ban Dân vận Tỉnh uỷ;", "- Lãnh đạo UBND;", "- Lưu: VT."):
        para(line, size=11)
    para(
        "Báo cáo được lập tự động từ hệ thống Dân Vận; số liệu tổng hợp, không nêu danh tính "
        "người dân.",
        italic=True,
        size=11,
    )
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# --- XLSX -----------------------------------------------------------------------------------------


def to_xlsx(s: Situation) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    wb = Workbook()
    first = True
    for title, head, rows in tables(s):
        ws = wb.active if first else wb.create_sheet()
        first = False
        assert ws is not None
        ws.title = title[:31]
        append_row(ws, [f"{s.title} – {s.scope_name}"])
        ws["A1"].font = Font(bold=True)
        append_row(ws, head)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in rows:
            append_row(
                ws,
                [SUPPRESSED if v is None else float(v) if isinstance(v, float) else v for v in row],
            )
        for column in ws.columns:
            width = max(len(str(c.value or "")) for c in list(column)[1:]) if ws.max_row > 1 else 10
            ws.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 80)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- PDF ------------------------------------------------------------------------------------------


def to_pdf(s: Situation) -> bytes:
    from danvan.kernel.documents import PDF_FAMILY, new_pdf

    pdf = new_pdf()
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font(PDF_FAMILY, "B", 10)
    y = pdf.get_y()
    pdf.multi_cell(width * 0.4, 5, s.issuer, align="C")
    pdf.set_xy(pdf.l_margin + width * 0.4, y)
    pdf.multi_cell(
        width * 0.6, 5, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc", align="C"
    )
    pdf.set_font(PDF_FAMILY, "", 10)
    pdf.set_x(pdf.l_margin + width * 0.4)
    pdf.multi_cell(width * 0.6, 6, f"{s.province_name}, {vn_date(s.issued_on)}", align="C")
    pdf.ln(4)
    pdf.set_font(PDF_FAMILY, "B", 13)
    pdf.multi_cell(width, 7, f"BÁO CÁO\n{s.title}", align="C")
    pdf.set_font(PDF_FAMILY, "", 10)
    pdf.multi_cell(width, 6, f"(Phạm vi: {s.scope_name})", align="C")
    by_name = {title: (head, rows) for title, head, rows in tables(s)}
    for heading, key in SECTIONS:
        pdf.ln(3)
        pdf.set_font(PDF_FAMILY, "B", 11)
        pdf.multi_cell(width, 6, heading)
        pdf.set_font(PDF_FAMILY, "", 9)
        if key == "Tổng quan":
            for line in summary(s):
                pdf.multi_cell(width, 5, line)
            pdf.image(io.BytesIO(daily_chart(s)), w=width * 0.9)
        if key == "Mối quan tâm" and s.concerns:
            pdf.image(io.BytesIO(concerns_chart(s)), w=width * 0.9)
        head, rows = by_name[key]
        if not rows:
            pdf.multi_cell(width, 5, "Không có số liệu trong kỳ.")
            continue
        with pdf.table(text_align="LEFT", line_height=5) as table:
            header = table.row()
            for title in head:
                header.cell(title)
            for row in rows:
                cells = table.row()
                for value in row:
                    cells.cell(_cell(value))
    return bytes(pdf.output())


# --- HTML -----------------------------------------------------------------------------------------

_HTML = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{{ s.title }}</title>
<style>
body { font-family: "Times New Roman", serif; font-size: 13pt; max-width: 180mm; margin: 2cm auto; }
.head { display: flex; justify-content: space-between; text-align: center; }
.head b { display: block; } h1 { text-align: center; font-size: 14pt; }
table { border-collapse: collapse; width: 100%; margin: 6pt 0; font-size: 11pt; }
th, td { border: 1px solid #444; padding: 2pt 4pt; vertical-align: top; } th { background: #eee; }
td.n { text-align: right; } .c { text-align: center; } img { max-width: 100%; }
@media print { body { margin: 0; } }
</style></head><body>
<div class="head"><div><b>{{ s.issuer }}</b>Số:&nbsp;&nbsp;&nbsp;&nbsp;/BC-UBND</div>
<div><b>CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><b>Độc lập - Tự do - Hạnh phúc</b>
<i>{{ s.province_name }}, {{ issued }}</i></div></div>
<h1>BÁO CÁO<br>{{ s.title }}</h1>
<p class="c"><i>(Phạm vi: {{ s.scope_name }})</i></p>
{% for heading, key in sections %}
<h2>{{ heading }}</h2>
{% if key == "Tổng quan" %}{% for line in summary %}<p>{{ line }}</p>{% endfor %}
<img alt="Số ý kiến theo ngày" src="data:image/png;base64,{{ daily }}">{% endif %}
{% if key == "Mối quan tâm" and concerns %}
<img alt="Những vấn đề được quan tâm nhiều nhất" src="data:image/png;base64,{{ concerns }}">
{% endif %}
{% set head, rows = tables[key] %}
{% if rows %}<table><thead><tr>
{% for h in head %}<th scope="col">{{ h }}</th>{% endfor %}
</tr></thead><tbody>
{% for row in rows %}<tr>
{% for v in row %}<td{% if v is not string %} class="n"{% endif %}>{{ cell(v) }}</td>{% endfor %}
</tr>{% endfor %}
</tbody></table>{% else %}<p><i>Không có số liệu trong kỳ.</i></p>{% endif %}
{% endfor %}
</body></html>"""
)


def to_html(s: Situation) -> bytes:
    return _HTML.render(
        s=s,
        issued=vn_date(s.issued_on),
        sections=SECTIONS,
        summary=summary(s),
        tables={title: (head, rows) for title, head, rows in tables(s)},
        cell=_cell,
        daily=base64.b64encode(daily_chart(s)).decode(),
        concerns=base64.b64encode(concerns_chart(s)).decode() if s.concerns else "",
    ).encode("utf-8")


RENDERERS: dict[str, Callable[[Situation], bytes]] = {
    "docx": to_docx,
    "xlsx": to_xlsx,
    "pdf": to_pdf,
    "html": to_html,
}
