"""A commune's resident list, imported from XLSX: the people who may answer a consultation on its
web page with the code printed on their voting slip, and the denominator of its turnout."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.kernel.errors import Invalid
from danvan.kernel.settings import Settings
from danvan.kernel.text import clean, fold
from danvan.outreach.items import check_communes
from danvan.outreach.models import Resident

MAX_RESIDENT_ROWS = 50_000


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number, problem)


def do_import_residents(
    session: Session,
    *,
    actor: Actor,
    settings: Settings,
    commune_code: int,
    data: bytes,
) -> ImportReport:
    """Import a commune's resident list: an XLSX sheet with the columns "mã" (the code printed
    on the voting slip), "họ tên" and optionally "điện thoại" (header row first). Bad rows are
    reported one by one and skipped; good ones are stored."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    actor.require_write()
    check_communes(actor, [commune_code], province_code=settings.province)
    if len(data) > settings.outreach_max_document_bytes:
        raise Invalid("Tệp danh sách quá lớn", code="too_large")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise Invalid("Không đọc được tệp XLSX", code="bad_xlsx") from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [fold(str(c or "")) for c in next(rows, ())]
    try:
        code_col = header.index("ma")
        name_col = header.index("ho ten")
    except ValueError:
        raise Invalid("Dòng tiêu đề phải có cột “Mã” và “Họ tên”", code="bad_header") from None
    phone_col = header.index("dien thoai") if "dien thoai" in header else None
    report = ImportReport()
    existing = {
        r.code: r
        for r in session.scalars(select(Resident).where(Resident.commune_code == commune_code))
    }
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        if number > MAX_RESIDENT_ROWS:
            report.errors.append((number, f"Quá {MAX_RESIDENT_ROWS} dòng; phần còn lại bỏ qua"))
            break
        if not row or all(c is None or str(c).strip() == "" for c in row):
            continue
        code = clean(str(row[code_col] or "")) if code_col < len(row) else ""
        name = clean(str(row[name_col] or "")) if name_col < len(row) else ""
        phone = ""
        if phone_col is not None and phone_col < len(row) and row[phone_col] is not None:
            phone = "".join(ch for ch in str(row[phone_col]) if ch.isdigit())
        if not code or len(code) > 32:
            report.errors.append((number, "Thiếu mã hoặc mã dài quá 32 ký tự"))
            continue
        if not name or len(name) > 200:
            report.errors.append((number, "Thiếu họ tên hoặc họ tên dài quá 200 ký tự"))
            continue
        if phone and not 9 <= len(phone) <= 12:
            report.errors.append((number, "Số điện thoại không hợp lệ"))
            continue
        if code in seen:
            report.errors.append((number, f"Mã {code} bị trùng trong tệp"))
            continue
        seen.add(code)
        resident = existing.get(code)
        if resident is None:
            session.add(
                Resident(commune_code=commune_code, code=code, full_name=name, phone=phone or None)
            )
            report.imported += 1
        else:
            resident.full_name = name
            resident.phone = phone or None
            report.updated += 1
    audit.record(
        session,
        actor=actor,
        action="residents_import",
        object_type="commune",
        object_id=commune_code,
        detail={
            "imported": report.imported,
            "updated": report.updated,
            "errors": len(report.errors),
        },
    )
    return report
