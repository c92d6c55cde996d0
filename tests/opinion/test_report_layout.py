"""The situation report as an office files it (Decree 30/2020): the DOCX's heading, motto on one
line, title, "Nơi nhận", signature and page numbers; the PDF's words all on the page with the
same heading and page numbers; the XLSX's titled, styled sheets; the heading chosen at export."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from pypdf import PdfReader
from test_report import A, B, _report, history  # noqa: F401

from danvan.kernel.db import Database
from danvan.kernel.errors import Invalid
from danvan.kernel.letterhead import MOTTO, NATIONAL
from danvan.kernel.settings import Settings
from danvan.testing.personas import make_persona

MM = 72 / 25.4  # PDF points per millimetre


def _docx(data: bytes):
    return Document(io.BytesIO(data))


@pytest.mark.usefixtures("history")
def test_the_docx_follows_decree_30(database: Database, settings: Settings, personas) -> None:
    doc = _docx(_report(database, settings, personas.admin, "docx"))
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert round(section.left_margin.cm, 1) == 3.0
    assert 1.5 <= round(section.right_margin.cm, 1) <= 2.0
    assert 2.0 <= round(section.top_margin.cm, 1) <= 2.5
    # The heading: issuer and number left; national heading, motto, place and date right.
    heading = doc.tables[0]
    issuer, national = heading.rows[0].cells
    number, dated = heading.rows[1].cells
    assert [p.text for p in issuer.paragraphs if p.text] == ["ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"]
    assert issuer.paragraphs[0].runs[0].bold
    assert number.text.startswith("Số:")
    assert number.text.endswith("/BC-UBND")
    texts = [p.text for p in national.paragraphs if p.text]
    assert texts == [NATIONAL, MOTTO]
    motto = next(p for p in national.paragraphs if p.text == MOTTO)
    assert len(motto.runs) == 1  # one run, no break: one line
    assert "\n" not in motto.text
    assert motto.runs[0].bold
    assert re.fullmatch(r"Tuyên Quang, ngày \d\d tháng \d{1,2} năm 20\d\d", dated.text)
    assert dated.paragraphs[0].runs[0].italic
    # Widths that keep the national heading on one line (Times New Roman bold 12: 8.7 cm).
    assert national.width.cm >= 9.2
    # Title, body, then "Nơi nhận" bottom left and the signature bottom right.
    body = [p.text for p in doc.paragraphs]
    assert "BÁO CÁO" in body
    assert "Tình hình dư luận, ý kiến Nhân dân tháng 11 năm 2026" in body
    signature = doc.tables[-1]
    recipients, signer = signature.rows[0].cells
    assert recipients.paragraphs[0].text == "Nơi nhận:"
    assert recipients.paragraphs[-1].text == "- Lưu: VT."
    assert [p.text for p in signer.paragraphs if p.text.strip()] == [
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
    ]
    assert all(r.bold for p in signer.paragraphs for r in p.runs if r.text.strip())
    # Page numbers: a PAGE field centred in the header, none on the first page.
    assert section.different_first_page_header_footer
    header = section.header._element
    assert " PAGE " in [t.text for t in header.iter(qn("w:instrText"))]
    assert not list(section.first_page_header._element.iter(qn("w:instrText")))
    assert doc.styles["Normal"].font.name == "Times New Roman"
    assert doc.styles["Normal"].font.size.pt == 13


@pytest.mark.usefixtures("history")
def test_the_pdf_has_every_word_on_the_page_with_heading_signature_and_page_numbers(
    database: Database, settings: Settings, personas
) -> None:
    reader = PdfReader(io.BytesIO(_report(database, settings, personas.admin, "pdf")))
    assert len(reader.pages) >= 2
    texts = []
    for number, page in enumerate(reader.pages, start=1):
        width = float(page.mediabox.width)
        starts: list[tuple[float, str]] = []

        def visit(text, cm, tm, _font, size, starts=starts) -> None:
            if text.strip():
                starts.append((cm[4] + tm[4] * cm[0], text.strip(), size))

        text = page.extract_text(visitor_text=visit)
        texts.append(text)
        # Every text starts between the margins (30 mm left, 20 mm right) and ends on the paper
        # (its width underestimated at 0.4 em a character): fpdf2 left x at a cell's right edge
        # and what followed started there and ran off the page (issue 14).
        outside = [
            (round(x / MM), t)
            for x, t, size in starts
            if not 29 * MM <= x < width - 20 * MM or x + 0.4 * size * len(t) > width
        ]
        assert outside == [], f"page {number}"
        lines = text.splitlines()
        if number > 1:
            assert str(number) in lines[:2], f"page {number} has its number at the top"
        else:
            assert NATIONAL in lines
    text = "\n".join(texts)
    assert MOTTO in text.splitlines()  # on one line
    for words in (
        "ỦY BAN NHÂN DÂN TỈNH",
        "Tuyên Quang, ngày",
        "BÁO CÁO",
        "I. TỔNG QUAN",
        "VII. TIẾP NHẬN VÀ GIẢI QUYẾT PHẢN ÁNH, KIẾN NGHỊ",
        "Xã Minh Quang",
        "Nơi nhận:",
        "- Lưu: VT.",
        "CHỦ TỊCH",
    ):
        assert words in text


@pytest.mark.usefixtures("history")
def test_the_xlsx_sheets_have_titles_styled_headers_formats_and_frozen_headers(
    database: Database, settings: Settings, personas
) -> None:
    wb = load_workbook(io.BytesIO(_report(database, settings, personas.admin, "xlsx")))
    assert len(wb.sheetnames) == 9
    for ws in wb.worksheets:
        assert ws["A1"].value.startswith("TÌNH HÌNH DƯ LUẬN")
        assert ws["A1"].font.bold
        assert ws["A1"].font.size == 14
        assert "Phạm vi: Tỉnh Tuyên Quang" in ws["A2"].value
        assert ws.freeze_panes == "A5"
        assert ws["A4"].font.bold
        assert ws["A4"].fill.fgColor.rgb.endswith("1F3864")
        assert ws.column_dimensions["A"].width >= 10
    communes = wb["Theo xã"]
    row = next(r for r in communes.iter_rows(min_row=5) if r[0].value == "Xã Minh Quang")
    assert row[1].value == 15
    assert row[1].number_format == "#,##0"
    overview = wb["Tổng quan"]
    change = next(r for r in overview.iter_rows(min_row=5) if r[0].value.startswith("Tổng số"))
    # 4 messages the month before is too small a base for a percentage change: "—", not +275 %
    assert change[3].value == "—"
    daily = wb["Theo ngày"]
    assert daily["A5"].is_date
    assert daily["A5"].number_format == "dd/mm/yyyy"


@pytest.mark.usefixtures("history")
def test_the_heading_is_chosen_at_export_and_an_officer_of_two_communes_is_not_the_province(
    database: Database, settings: Settings, personas
) -> None:
    both = make_persona(database, "hai@tq.gov.vn", "officer", [A, B], "Đỗ Văn Hai")
    heading = _docx(_report(database, settings, both, "docx")).tables[0]
    assert "ỦY BAN NHÂN DÂN TỈNH" not in heading.rows[0].cells[0].text
    assert "BAN TUYÊN GIÁO VÀ DÂN VẬN" in heading.rows[0].cells[0].text
    one = _docx(_report(database, settings, personas.officer_a, "docx")).tables[0]
    assert "ỦY BAN NHÂN DÂN XÃ MINH QUANG" in one.rows[0].cells[0].text
    assert one.rows[1].cells[1].text.startswith("Minh Quang, ngày")
    chosen = {
        "superior": "Tỉnh ủy Tuyên Quang",
        "issuer": "Ban Tuyên giáo và Dân vận",
        "number": "27",
        "symbol": "BC-BTGDVTU",
        "place": "Tuyên Quang",
        "signer_title": "KT. TRƯỞNG BAN\nPHÓ TRƯỞNG BAN",
        "signer_name": "Nguyễn Thị Lan",
        "recipients": "- Thường trực Tỉnh ủy;\n- Lưu: VT, BTGDV.",
    }
    doc = _docx(_report(database, settings, both, "docx", letterhead=chosen))
    left = [p.text for p in doc.tables[0].rows[0].cells[0].paragraphs if p.text]
    assert left == ["TỈNH ỦY TUYÊN QUANG", "BAN TUYÊN GIÁO VÀ DÂN VẬN"]
    assert doc.tables[0].rows[1].cells[0].text == "Số: 27/BC-BTGDVTU"
    recipients, signer = doc.tables[-1].rows[0].cells
    assert [p.text for p in signer.paragraphs if p.text.strip()] == [
        "KT. TRƯỞNG BAN",
        "PHÓ TRƯỞNG BAN",
        "Nguyễn Thị Lan",
    ]
    assert recipients.paragraphs[-1].text == "- Lưu: VT, BTGDV."
    text = "\n".join(
        p.extract_text()
        for p in PdfReader(
            io.BytesIO(_report(database, settings, both, "pdf", letterhead=chosen))
        ).pages
    )
    assert "Số: 27/BC-BTGDVTU" in text
    assert "Nguyễn Thị Lan" in text
    with pytest.raises(Invalid, match="Ký hiệu"):
        _report(database, settings, both, "docx", letterhead={"symbol": "BC UBND"})
