"""Trainees of the staff training: staff accounts enrolled, or people imported from an XLSX list
(all or nothing, every problem listed by row), each with a personal key (`tk_…`) for their phone.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zipfile import BadZipFile

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.kernel import geo
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.text import clean, fold
from danvan.training.actors import Learner, audit, require_organiser, sees_trainee
from danvan.training.checks import MAX_NAME
from danvan.training.courses import access_course
from danvan.training.models import Course, Trainee

MAX_IMPORT_BYTES = 5 * 1024 * 1024
KEY_PREFIX = "tk_"  # a trainee's personal key (staff API tokens start with "dv_")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(24)


def learner_for_key(
    session: Session, key: str, *, via: str = "web", ip: str = ""
) -> Learner | None:
    """The trainee whose personal key this is; the first use activates their account."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    trainee = session.scalar(select(Trainee).where(Trainee.key_hash == hash_key(key)))
    if trainee is None:
        return None
    if trainee.activated_at is None:
        trainee.activated_at = utcnow()
        learner = Learner(trainee, via=via, ip=ip)
        audit(session, learner, "training_trainee_activate", "trainee", trainee.id)
    return Learner(trainee, via=via, ip=ip)


def learners_of_user(session: Session, *, user: User) -> list[Trainee]:
    """The enrolments of a staff account (a staff member who is also a trainee)."""
    return list(
        session.scalars(select(Trainee).where(Trainee.user_id == user.id).order_by(Trainee.id))
    )


def learner_in_course(
    session: Session, *, user: User, course_id: int, via: str = "web", ip: str = ""
) -> Learner | None:
    trainee = session.scalar(
        select(Trainee).where(Trainee.user_id == user.id, Trainee.course_id == course_id)
    )
    return Learner(trainee, via=via, ip=ip) if trainee else None


def list_trainees(session: Session, *, actor: Actor, course: Course) -> list[Trainee]:
    query = select(Trainee).where(Trainee.course_id == course.id)
    if not actor.is_admin:
        query = query.where(actor.commune_filter(Trainee.commune_code))
    return list(session.scalars(query.order_by(Trainee.commune_code, Trainee.name_folded)))


def access_trainee(
    session: Session, *, actor: Actor, trainee_id: int, write: bool = False
) -> Trainee:
    trainee = session.get(Trainee, trainee_id)
    if trainee is None or not sees_trainee(actor, trainee):
        raise NotFound("Không tìm thấy học viên")
    access_course(session, actor=actor, course_id=trainee.course_id, write=write)
    return trainee


_PHONE_JUNK = re.compile(r"[\s.\-()]")


def normalize_phone(value: object) -> str | None:
    """A Vietnamese phone number as 0XXXXXXXXX, or None. Spreadsheets often hold phones as
    numbers, which lose their leading zero: 912345678 -> 0912345678."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _PHONE_JUNK.sub("", str(value).strip())
    if text.startswith("+84"):
        text = "0" + text[3:]
    elif text.startswith("84") and len(text) == 11:
        text = "0" + text[2:]
    elif isinstance(value, int) and len(text) == 9:
        text = "0" + text
    return text if re.fullmatch(r"0\d{9}", text) else None


@dataclass
class TraineeRow:
    full_name: str
    position: str
    commune_code: int | None
    phone: str
    email: str = ""


@dataclass
class RowError:
    row: int  # the spreadsheet's own row number (the header is row 1)
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class ImportRejected(Invalid):
    """An import with bad rows: nothing was stored; `errors` says what is wrong, row by row."""

    def __init__(self, errors: list[RowError]) -> None:
        lines = "; ".join(f"dòng {e.row} ({e.column}): {e.message}" for e in errors[:20])
        more = f" … và {len(errors) - 20} lỗi khác" if len(errors) > 20 else ""
        super().__init__(
            f"Tệp có {len(errors)} lỗi, chưa nhập học viên nào — {lines}{more}", code="bad_rows"
        )
        self.errors = errors


# Header cells (folded) naming each column; the first match wins.
COLUMNS: dict[str, tuple[str, ...]] = {
    "full_name": ("ho va ten", "ho ten", "ten", "name", "full name"),
    "position": ("chuc vu", "position"),
    "commune": ("xa/phuong", "xa phuong", "xa", "don vi", "commune"),
    "phone": ("so dien thoai", "dien thoai", "sdt", "phone"),
    "email": ("email", "e-mail", "thu dien tu"),
}
COLUMN_NAMES = {
    "full_name": "Họ và tên",
    "position": "Chức vụ",
    "commune": "Xã/phường",
    "phone": "Số điện thoại",
    "email": "Email",
}


def read_trainee_sheet(
    data: bytes, *, province_code: int, max_rows: int
) -> tuple[list[tuple[int, TraineeRow]], list[RowError]]:
    """The rows of the first sheet of an XLSX list, and every problem found, row by row."""
    import openpyxl  # type: ignore[import-untyped]
    from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

    if len(data) > MAX_IMPORT_BYTES:
        raise Invalid(
            "Tệp lớn quá {size} MB", code="too_large", size=MAX_IMPORT_BYTES // (1024 * 1024)
        )
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise Invalid("Tệp không phải bảng tính XLSX hợp lệ", code="invalid_file") from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise Invalid("Bảng tính trống", code="invalid_file")
        where: dict[str, int] = {}
        folded = [fold(str(cell or "")) for cell in header]
        for key, names in COLUMNS.items():
            for index, name in enumerate(folded):
                if name in names and index not in where.values():
                    where[key] = index
                    break
        missing = [COLUMN_NAMES[k] for k in ("full_name", "commune", "phone") if k not in where]
        if missing:
            raise Invalid(
                "Thiếu cột: " + ", ".join(missing) + " (dòng 1 là dòng tiêu đề)",
                code="missing_columns",
            )
        result: list[tuple[int, TraineeRow]] = []
        errors: list[RowError] = []
        seen_phones: dict[str, int] = {}
        for number, values in enumerate(rows, start=2):
            cells = list(values)

            def cell(key: str, cells: list[Any] = cells) -> Any:
                index = where.get(key)
                return cells[index] if index is not None and index < len(cells) else None

            if all(v is None or str(v).strip() == "" for v in cells):
                continue  # blank rows are skipped, not errors
            if len(result) + len(errors) >= max_rows:
                raise Invalid(
                    "Nhiều nhất {limit} học viên mỗi lần nhập", code="too_many", limit=max_rows
                )
            row_errors: list[RowError] = []
            name = clean(str(cell("full_name") or ""))
            if not name:
                row_errors.append(RowError(number, COLUMN_NAMES["full_name"], "thiếu họ tên"))
            elif len(name) > MAX_NAME:
                row_errors.append(
                    RowError(number, COLUMN_NAMES["full_name"], f"dài quá {MAX_NAME} ký tự")
                )
            position = clean(str(cell("position") or ""))
            if len(position) > MAX_NAME:
                row_errors.append(
                    RowError(number, COLUMN_NAMES["position"], f"dài quá {MAX_NAME} ký tự")
                )
            commune_value = cell("commune")
            commune: geo.Commune | None = None
            if isinstance(commune_value, int | float) and not isinstance(commune_value, bool):
                commune = geo.get_commune(int(commune_value))
                if commune is not None and commune.province_code != province_code:
                    commune = None
            elif commune_value is not None:
                commune = geo.match_commune(str(commune_value)[:200], province_code)
            if commune is None:
                shown = clean(str(commune_value or ""))[:60]
                row_errors.append(
                    RowError(
                        number,
                        COLUMN_NAMES["commune"],
                        f"không tìm thấy xã/phường “{shown}” trong tỉnh"
                        if shown
                        else "thiếu xã/phường",
                    )
                )
            phone = normalize_phone(cell("phone"))
            if phone is None:
                row_errors.append(
                    RowError(number, COLUMN_NAMES["phone"], "số điện thoại không hợp lệ")
                )
            elif phone in seen_phones:
                row_errors.append(
                    RowError(
                        number,
                        COLUMN_NAMES["phone"],
                        f"trùng số điện thoại với dòng {seen_phones[phone]}",
                    )
                )
            else:
                seen_phones[phone] = number
            email = clean(str(cell("email") or "")).lower()
            if email and (len(email) > 254 or "@" not in email):
                row_errors.append(RowError(number, COLUMN_NAMES["email"], "email không hợp lệ"))
            if row_errors:
                errors.extend(row_errors)
                continue
            assert phone is not None
            assert commune is not None
            result.append((number, TraineeRow(name, position, commune.code, phone, email)))
        return result, errors
    finally:
        book.close()


@dataclass
class ImportResult:
    created: list[tuple[Trainee, str | None]] = field(default_factory=list)  # with new keys


def do_import_trainees(
    session: Session,
    *,
    actor: Actor,
    course: Course,
    data: bytes,
    province_code: int,
    max_rows: int = 2000,
) -> ImportResult:
    """Enrol the people of an XLSX list (Họ và tên, Chức vụ, Xã/phường, Số điện thoại, Email).

    All or nothing: if any row is wrong (or already enrolled), `ImportRejected` lists every
    problem by row and nothing is stored. A row whose e-mail is a staff account is linked to it
    (they sign in as staff); the others get a personal key, returned here once."""
    require_organiser(actor)
    rows, errors = read_trainee_sheet(data, province_code=province_code, max_rows=max_rows)
    if not rows and not errors:
        raise Invalid("Bảng tính không có học viên nào", code="empty")
    existing = set(session.scalars(select(Trainee.phone).where(Trainee.course_id == course.id)))
    for number, row in rows:
        if row.phone in existing:
            errors.append(
                RowError(number, COLUMN_NAMES["phone"], "đã có học viên với số này trong khoá học")
            )
    emails = {row.email for _, row in rows if row.email}
    users = (
        {u.email: u for u in session.scalars(select(User).where(User.email.in_(emails)))}
        if emails
        else {}
    )
    linked = set(
        session.scalars(
            select(Trainee.user_id).where(
                Trainee.course_id == course.id, Trainee.user_id.is_not(None)
            )
        )
    )
    for number, row in rows:
        user = users.get(row.email)
        if user is not None and user.id in linked:
            errors.append(RowError(number, COLUMN_NAMES["email"], "tài khoản này đã ghi danh"))
    if errors:
        errors.sort(key=lambda e: e.row)
        raise ImportRejected(errors)
    result = ImportResult()
    for _number, row in rows:
        user = users.get(row.email)
        key = None if user is not None and user.is_active else new_key()
        trainee = Trainee(
            course_id=course.id,
            user_id=user.id if user is not None and user.is_active else None,
            full_name=row.full_name,
            name_folded=fold(row.full_name)[:200],
            position=row.position,
            commune_code=row.commune_code,
            phone=row.phone,
            key_hash=hash_key(key) if key else None,
        )
        session.add(trainee)
        result.created.append((trainee, key))
    session.flush()
    audit(session, actor, "training_trainees_import", "course", course.id, {"count": len(rows)})
    return result


def do_enrol_user(
    session: Session, *, actor: Actor, course: Course, user: User, phone: str
) -> Trainee:
    """Enrol a staff account (they sign in as staff)."""
    require_organiser(actor)
    number = normalize_phone(phone)
    if number is None:
        raise Invalid("Số điện thoại không hợp lệ", code="invalid_phone")
    taken = session.scalar(
        select(Trainee.id).where(
            Trainee.course_id == course.id,
            (Trainee.user_id == user.id) | (Trainee.phone == number),
        )
    )
    if taken is not None:
        raise Invalid("Người này đã ghi danh khoá học", code="duplicate")
    codes = sorted(user.commune_codes)
    trainee = Trainee(
        course_id=course.id,
        user_id=user.id,
        full_name=user.full_name or user.email,
        name_folded=fold(user.full_name or user.email)[:200],
        position="",
        commune_code=codes[0] if codes else None,
        phone=number,
    )
    session.add(trainee)
    session.flush()
    audit(session, actor, "training_trainee_enrol", "trainee", trainee.id)
    return trainee


def do_issue_keys(
    session: Session, *, actor: Actor, trainees: Sequence[Trainee]
) -> list[tuple[Trainee, str]]:
    """New personal keys (the old ones stop working), e.g. to print sign-in cards."""
    require_organiser(actor)
    issued: list[tuple[Trainee, str]] = []
    for trainee in trainees:
        if trainee.user_id is not None:
            continue  # staff sign in as staff
        key = new_key()
        trainee.key_hash = hash_key(key)
        issued.append((trainee, key))
    if issued:
        audit(
            session,
            actor,
            "training_keys_issue",
            "course",
            trainees[0].course_id,
            {"count": len(issued)},
        )
    return issued
