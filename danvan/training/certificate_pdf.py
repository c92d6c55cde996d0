"""A training certificate as an A4 landscape PDF, drawn in a child process
(`danvan.kernel.child`): `python -m danvan.training.certificate_pdf` reads the certificate's
fields as JSON on stdin and writes the PDF on stdout. The web process asks for it through
`reports.certificate_pdf` and never imports fpdf, fontTools, PIL or segno (tens of MB that it
would keep: bench/README.md, "memory")."""

from __future__ import annotations

import io
from typing import Any

from danvan.kernel import child


def draw(fields: dict[str, Any]) -> bytes:
    """The PDF: holder, course, date, verification code and a QR to the public check page.
    `fields`: national, motto (the heading's lines), holder_name, course_title, issued
    (dd/mm/yyyy), code, verify_url. (Nothing of danvan's settings or database is imported
    here: the child starts in a fraction of a second.)"""
    import segno

    from danvan.kernel.documents import PDF_FAMILY, new_pdf

    verify_url = str(fields["verify_url"])
    pdf = new_pdf(orientation="landscape")
    pdf.add_page()
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_font(PDF_FAMILY, size=13)
    pdf.set_font(PDF_FAMILY, "B", size=13)
    pdf.cell(0, 8, str(fields["national"]), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(PDF_FAMILY, size=13)
    pdf.cell(0, 8, str(fields["motto"]), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(14)
    pdf.set_font(PDF_FAMILY, "B", size=28)
    pdf.cell(0, 14, "GIẤY CHỨNG NHẬN", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(PDF_FAMILY, size=14)
    pdf.cell(0, 9, "Chứng nhận đồng chí", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(PDF_FAMILY, "B", size=22)
    pdf.cell(0, 13, str(fields["holder_name"]), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(PDF_FAMILY, size=14)
    pdf.cell(0, 9, "đã hoàn thành khoá bồi dưỡng", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(PDF_FAMILY, "B", size=16)
    pdf.multi_cell(0, 9, str(fields["course_title"]), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(PDF_FAMILY, size=11)
    pdf.cell(0, 7, f"Cấp ngày {fields['issued']}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, f"Mã xác minh: {fields['code']}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, f"Kiểm tra tại: {verify_url}", align="C", new_x="LMARGIN", new_y="NEXT")
    qr = io.BytesIO()
    segno.make(verify_url, error="m").save(qr, kind="png", scale=6, border=1)
    qr.seek(0)
    pdf.image(qr, x=245, y=160, w=32, h=32)
    return bytes(pdf.output())


if __name__ == "__main__":
    child.write_result(draw(child.read_payload()))
