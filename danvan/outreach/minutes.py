"""The minutes (biên bản) of a consultation, as a DOCX for staff under the official heading of
Decree 30/2020 (`kernel/letterhead.py`, `kernel/documents.py`): the process and the outcome per
commune (turnout over each commune's resident list, where it has one), and for an opinion
consultation the opinions in aggregate."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.kernel import documents as kit
from danvan.kernel import geo
from danvan.kernel.letterhead import default_letterhead
from danvan.kernel.models import utcnow
from danvan.kernel.numbers import number, percent
from danvan.kernel.settings import Settings, get_settings
from danvan.outreach.consultations import format_local, results
from danvan.outreach.items import scoped_results, visible_communes
from danvan.outreach.models import Consultation, ConsultationAnswer

SUMMARY_PENDING = (
    "Tổng hợp ý kiến: hệ thống đang tổng hợp các ý kiến mới nhận; tải lại biên bản sau ít phút."
)


def minutes_docx(
    session: Session,
    *,
    actor: Actor,
    consultation: Consultation,
    settings: Settings | None = None,
) -> bytes:
    """Biên bản: the process (dates, scope, channels) and the outcome per commune; for an
    opinion consultation, the opinions in aggregate ("Tổng hợp ý kiến", needs `settings` for
    the classifiers). Every figure is in the actor's scope, as on the consultation's page: an
    officer's minutes count the answers of their communes only."""
    from danvan.outreach import opinions as consultation_analysis
    from danvan.outreach import summaries

    result = scoped_results(actor, results(session, consultation=consultation))
    communes = visible_communes(actor, consultation.commune_codes)
    config = settings or get_settings()
    head = default_letterhead(
        config,
        day=utcnow().astimezone(ZoneInfo(config.timezone)).date(),
        province_code=config.province,
        officer_communes=None if actor.is_admin else sorted(actor.user.commune_codes),
        symbol_kind="BB",
    )
    doc = kit.docx_new()
    kit.docx_heading(doc, head)
    kit.docx_title(doc, "BIÊN BẢN", "Kết quả lấy ý kiến Nhân dân")
    doc.add_paragraph(f"Nội dung: {consultation.title}")
    if consultation.summary:
        doc.add_paragraph(f"Tóm tắt: {consultation.summary}")
    kind = "Biểu quyết" if consultation.kind == "vote" else "Góp ý"
    doc.add_paragraph(f"Hình thức: {kind}")
    doc.add_paragraph(
        f"Thời gian: từ {format_local(consultation.opens_at)} "
        f"đến {format_local(consultation.closes_at)}"
    )
    names = ", ".join(geo.commune_name(c) for c in consultation.commune_codes or [])
    doc.add_paragraph(f"Phạm vi: {names}")
    if communes is not None:
        mine = ", ".join(geo.commune_name(c) for c in communes)
        doc.add_paragraph(f"Số liệu trong biên bản này gồm các xã: {mine}.")
    doc.add_paragraph(
        "Cách thức: người dân trả lời qua Zalo OA (mỗi tài khoản Zalo một phiếu) hoặc trên trang "
        "web bằng mã phiếu ngẫu nhiên do hệ thống cấp cho người trong danh sách do xã lập; phiếu "
        "gửi lại (người dân được báo và xác nhận) thay thế phiếu trước cho đến khi kết thúc."
    )
    if consultation.document_name:
        doc.add_paragraph(f"Tài liệu kèm theo: {consultation.document_name}")
    doc.add_heading("Kết quả", level=2)
    doc.add_paragraph(f"Tổng số người tham gia: {number(result['participants'])}")
    for option in result["options"]:
        doc.add_paragraph(f"{option['option']}: {number(option['count'])}", style="List Bullet")
    doc.add_heading("Theo xã", level=2)
    headers = [
        "Xã",
        "Tham gia",
        "Trong danh sách",
        "Đã trả lời (trong danh sách)",
        "Tỷ lệ",
        *consultation.options,
    ]
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    for row in result["by_commune"]:
        # The turnout over the commune's resident list; no list, no percentage (counts only).
        turnout = percent(row["turnout"] * 100) if row["turnout"] is not None else "—"
        listed = row["residents_listed"]
        values = [
            row["commune"],
            number(row["participants"]),
            number(listed) if listed else "—",
            number(row["listed_answered"]) if listed else "—",
            turnout,
            *[number(o["count"]) for o in row["options"]],
        ]
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = text
    if consultation.kind == "opinion":
        count = session.scalar(
            select(func.count()).where(
                ConsultationAnswer.consultation_id == consultation.id,
                ConsultationAnswer.opinion.is_not(None),
                *([] if communes is None else [ConsultationAnswer.commune_code.in_(communes)]),
            )
        )
        doc.add_paragraph(f"Số ý kiến góp ý nhận được: {number(count or 0)}")
        # Summarised by the worker (outreach.summaries); asked for here if it is not yet.
        summary = summaries.stored(session, consultation=consultation, communes=communes)
        if summary is not None:
            consultation_analysis.docx_section(doc, summary)
        else:
            doc.add_paragraph(SUMMARY_PENDING)
    doc.add_paragraph(f"Lập lúc {format_local(utcnow())} bởi hệ thống danvan.")
    kit.docx_signature(doc, head)
    kit.docx_page_numbers(doc)
    return kit.docx_bytes(doc)
