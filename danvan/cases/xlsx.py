"""The cases workbook (XLSX): figures per commune, unit and category, and the case list."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.cases import reports
from danvan.cases import rules as rules
from danvan.kernel import geo, taxonomy
from danvan.kernel.documents import append_row
from danvan.kernel.settings import Settings

FIGURE_COLUMNS = (
    ("received", "Tiếp nhận"),
    ("answered", "Đã trả lời"),
    ("answered_on_time", "Trả lời đúng hạn"),
    ("open", "Đang xử lý"),
    ("overdue", "Quá hạn"),
    ("median_hours_to_first_response", "Trung vị giờ đến phản hồi đầu"),
    ("median_hours_to_answer", "Trung vị giờ đến trả lời"),
    ("satisfaction_average", "Mức hài lòng TB (1–5)"),
    ("satisfaction_count", "Số lượt đánh giá"),
)


def workbook(
    session: Session,
    *,
    actor: Actor,
    settings: Settings,
    start: datetime,
    end: datetime,
    commune_code: int | None = None,
    unit_id: int | None = None,
    category: str | None = None,
) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]  # ~10 MB: where it is used
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    zone = ZoneInfo(settings.timezone)
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for by, title in (
        ("commune", "Theo xã"),
        ("unit", "Theo đơn vị"),
        ("category", "Theo lĩnh vực"),
    ):
        sheet = book.create_sheet(title)
        append_row(
            sheet,
            [title.removeprefix("Theo ").capitalize(), *(label for _, label in FIGURE_COLUMNS)],
        )
        for row in reports.report_breakdown(
            session,
            actor=actor,
            start=start,
            end=end,
            by=by,
            commune_code=commune_code,
            unit_id=unit_id,
            category=category,
        ):
            append_row(sheet, [row["label"], *(row[key] for key, _ in FIGURE_COLUMNS)])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    cases = reports.report_cases(
        session,
        actor=actor,
        start=start,
        end=end,
        commune_code=commune_code,
        unit_id=unit_id,
        category=category,
    )
    sheet = book.create_sheet("Danh sách")
    append_row(
        sheet,
        [
            "Mã",
            "Tiêu đề",
            "Lĩnh vực",
            "Xã/phường",
            "Đơn vị",
            "Trạng thái",
            "Tiếp nhận",
            "Hạn",
            "Trả lời",
            "Đánh giá",
        ],
    )
    for case in cases:
        append_row(
            sheet,
            [
                case.code,
                case.title,
                taxonomy.topic_name(case.category),
                geo.commune_name(case.commune_code),
                case.unit.name if case.unit else "",
                rules.status_name(settings, case.status),
                case.received_at.astimezone(zone).replace(tzinfo=None),
                case.due_at.astimezone(zone).replace(tzinfo=None),
                case.answered_at.astimezone(zone).replace(tzinfo=None)
                if case.answered_at
                else None,
                case.rating,
            ],
        )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
