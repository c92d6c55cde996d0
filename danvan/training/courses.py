"""Staff training: courses (ordered topics, materials, trainers, audience), sessions, trainees
(staff accounts or people imported from XLSX), and attendance by rotating QR code or by hand.

Who may do what (a rule of this area, built on the one commune rule of `Actor`):
- organisers are admins (the province's commission runs the courses): they create and change
  everything and see every trainee;
- other staff see the courses aimed at one of their communes (or at the whole province) and,
  in reports, the trainees of their communes only;
- a trainee (`Learner`) sees their own course, checks in, takes quizzes, gives feedback.

Quizzes live in `training_quiz`, reports, certificates and feedback in `training_report`.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import math
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zipfile import BadZipFile

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.accounts.models import Role, User
from danvan.kernel import geo
from danvan.kernel.errors import Forbidden, Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.text import clean, fold
from danvan.training.models import (
    Attendance,
    Course,
    CourseTopic,
    TopicMaterial,
    Trainee,
    TrainingSession,
)

MAX_TITLE = 300
MAX_TEXT = 20_000
MAX_NAME = 200
MAX_TOPICS = 50
MAX_TRAINERS = 50
MAX_MATERIAL_BYTES = 10 * 1024 * 1024
MAX_IMPORT_BYTES = 5 * 1024 * 1024
KEY_PREFIX = "tk_"  # a trainee's personal key (staff API tokens start with "dv_")
MATERIAL_KINDS = ("file", "link", "text")
ROLES = tuple(r.value for r in Role)


# --- Who is acting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Learner:
    """A trainee acting for themselves (their personal key, or a staff account enrolled)."""

    trainee: Trainee
    via: str = "web"
    ip: str = ""


def require_organiser(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Chỉ ban tổ chức (quản trị viên) được thực hiện thao tác này")


def sees_course(actor: Actor, course: Course) -> bool:
    """Admins see every course; other staff the courses aimed at one of their communes or at the
    whole province (no commune listed)."""
    if actor.is_admin or not course.audience_communes:
        return True
    return any(actor.sees_commune(code) for code in course.audience_communes)


def sees_trainee(actor: Actor, trainee: Trainee) -> bool:
    return actor.is_admin or actor.sees_commune(trainee.commune_code)


def _audit(
    session: Session,
    actor: Actor | Learner | None,
    action: str,
    object_type: str,
    object_id: object,
    detail: dict[str, Any] | None = None,
) -> None:
    if isinstance(actor, Learner):
        user = actor.trainee.user_id
        entry = audit.record(
            session,
            actor=None,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail={"trainee_id": actor.trainee.id, **(detail or {})},
            via=actor.via,
            ip=actor.ip,
        )
        entry.actor_id = user
        return
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )


# --- Text checks ----------------------------------------------------------------------------------


def check_text(value: str, *, what: str, limit: int, required: bool = True) -> str:
    text = clean(value)
    if required and not text:
        raise Invalid("{what}: không được để trống", code="invalid_input", what=what)
    if len(text) > limit:
        raise Invalid("{what}: dài quá {limit} ký tự", code="too_long", what=what, limit=limit)
    return text


def check_commune_codes(codes: Iterable[int], *, province_code: int) -> list[int]:
    result: list[int] = []
    for code in codes:
        commune = geo.get_commune(code)
        if commune is None or commune.province_code != province_code:
            raise Invalid(
                "Mã xã/phường không thuộc tỉnh: {commune}", code="invalid_commune", commune=code
            )
        if code not in result:
            result.append(code)
    return result


# --- Courses and topics ---------------------------------------------------------------------------


def list_courses(session: Session, *, actor: Actor) -> list[Course]:
    courses = session.scalars(select(Course).order_by(Course.created_at.desc(), Course.id.desc()))
    return [c for c in courses if sees_course(actor, c)]


def access_course(session: Session, *, actor: Actor, course_id: int, write: bool = False) -> Course:
    course = session.get(Course, course_id)
    if course is None or not sees_course(actor, course):
        raise NotFound("Không tìm thấy khoá học")
    if write:
        require_organiser(actor)
    return course


@dataclass
class CourseInput:
    title: str
    description: str = ""
    topics: Sequence[str | tuple[str, str]] = ()  # title, or (title, description)
    trainers: Sequence[str] = ()
    audience_communes: Sequence[int] = ()
    audience_roles: Sequence[str] = ()
    min_attendance_percent: int = 80


def check_course(data: CourseInput, *, province_code: int) -> CourseInput:
    title = check_text(data.title, what="Tên khoá học", limit=MAX_TITLE)
    description = check_text(data.description, what="Mô tả", limit=MAX_TEXT, required=False)
    if len(data.topics) > MAX_TOPICS:
        raise Invalid("Nhiều nhất {limit} chuyên đề", code="too_many", limit=MAX_TOPICS)
    topics: list[tuple[str, str]] = []
    for item in data.topics:
        name, about = (item, "") if isinstance(item, str) else item
        topics.append(
            (
                check_text(name, what="Tên chuyên đề", limit=MAX_TITLE),
                check_text(about, what="Mô tả chuyên đề", limit=MAX_TEXT, required=False),
            )
        )
    if len(data.trainers) > MAX_TRAINERS:
        raise Invalid("Nhiều nhất {limit} giảng viên", code="too_many", limit=MAX_TRAINERS)
    trainers = [check_text(t, what="Giảng viên", limit=MAX_NAME) for t in data.trainers]
    roles = list(dict.fromkeys(data.audience_roles))
    for role in roles:
        if role not in ROLES:
            raise Invalid("Vai trò không hợp lệ: {role}", code="invalid_role", role=role)
    if not 0 <= data.min_attendance_percent <= 100:
        raise Invalid("Tỷ lệ chuyên cần phải từ 0 đến 100", code="invalid_input")
    return CourseInput(
        title=title,
        description=description,
        topics=topics,
        trainers=trainers,
        audience_communes=check_commune_codes(data.audience_communes, province_code=province_code),
        audience_roles=roles,
        min_attendance_percent=data.min_attendance_percent,
    )


def do_create_course(
    session: Session, *, actor: Actor, data: CourseInput, province_code: int
) -> Course:
    require_organiser(actor)
    data = check_course(data, province_code=province_code)
    course = Course(
        title=data.title,
        description=data.description,
        trainers=list(data.trainers),
        audience_communes=list(data.audience_communes),
        audience_roles=list(data.audience_roles),
        min_attendance_percent=data.min_attendance_percent,
        created_by_id=actor.user.id,
    )
    for position, item in enumerate(data.topics, start=1):
        assert isinstance(item, tuple)
        course.topics.append(CourseTopic(position=position, title=item[0], description=item[1]))
    session.add(course)
    session.flush()
    _audit(session, actor, "training_course_create", "course", course.id)
    return course


def do_add_topic(
    session: Session, *, actor: Actor, course: Course, title: str, description: str = ""
) -> CourseTopic:
    require_organiser(actor)
    if len(course.topics) >= MAX_TOPICS:
        raise Invalid("Nhiều nhất {limit} chuyên đề", code="too_many", limit=MAX_TOPICS)
    topic = CourseTopic(
        position=max((t.position for t in course.topics), default=0) + 1,
        title=check_text(title, what="Tên chuyên đề", limit=MAX_TITLE),
        description=check_text(description, what="Mô tả", limit=MAX_TEXT, required=False),
    )
    course.topics.append(topic)
    session.flush()
    _audit(session, actor, "training_topic_add", "course", course.id, {"topic_id": topic.id})
    return topic


def access_topic(
    session: Session, *, actor: Actor, topic_id: int, write: bool = False
) -> CourseTopic:
    topic = session.get(CourseTopic, topic_id)
    if topic is None or not sees_course(actor, topic.course):
        raise NotFound("Không tìm thấy chuyên đề")
    if write:
        require_organiser(actor)
    return topic


def do_add_material(
    session: Session,
    *,
    actor: Actor,
    topic: CourseTopic,
    kind: str,
    title: str,
    url: str = "",
    body: str = "",
    filename: str = "",
    content_type: str = "",
    content: bytes | None = None,
) -> TopicMaterial:
    require_organiser(actor)
    if kind not in MATERIAL_KINDS:
        raise Invalid("Loại tài liệu phải là file, link hoặc text", code="invalid_input")
    material = TopicMaterial(kind=kind, title=check_text(title, what="Tên tài liệu", limit=300))
    if kind == "link":
        link = clean(url)
        if not re.fullmatch(r"https?://[^\s<>\"']{1,1990}", link):
            raise Invalid("Đường dẫn phải bắt đầu bằng http:// hoặc https://", code="invalid_url")
        material.url = link
    elif kind == "text":
        material.body = check_text(body, what="Nội dung", limit=MAX_TEXT)
    else:
        if not content:
            raise Invalid("Chưa chọn tệp", code="invalid_input")
        if len(content) > MAX_MATERIAL_BYTES:
            raise Invalid(
                "Tệp lớn quá {size} MB", code="too_large", size=MAX_MATERIAL_BYTES // (1024 * 1024)
            )
        safe = re.sub(r"[^\w.\- ]", "_", clean(filename))[:200] or "tai-lieu"
        material.filename = safe
        material.content_type = (content_type or "application/octet-stream")[:100]
        material.content = content
    topic.materials.append(material)
    session.flush()
    _audit(session, actor, "training_material_add", "topic", topic.id, {"kind": kind})
    return material


# --- Sessions -------------------------------------------------------------------------------------


def do_create_session(
    session: Session,
    *,
    actor: Actor,
    course: Course,
    starts_at: datetime,
    ends_at: datetime,
    title: str = "",
    venue: str = "",
    topic_ids: Sequence[int] = (),
) -> TrainingSession:
    require_organiser(actor)
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Invalid("Thời điểm phải kèm múi giờ", code="invalid_input")
    if ends_at <= starts_at:
        raise Invalid("Giờ kết thúc phải sau giờ bắt đầu", code="invalid_input")
    if ends_at - starts_at > timedelta(days=3):
        raise Invalid("Một buổi học không dài quá 3 ngày", code="invalid_input")
    known = {t.id for t in course.topics}
    wanted = list(dict.fromkeys(topic_ids))
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise Invalid(
            "Chuyên đề không thuộc khoá học: {unknown}", code="invalid_topic", unknown=unknown
        )
    row = TrainingSession(
        course_id=course.id,
        title=check_text(title, what="Tên buổi học", limit=MAX_TITLE, required=False),
        venue=check_text(venue, what="Địa điểm", limit=MAX_TITLE, required=False),
        starts_at=starts_at,
        ends_at=ends_at,
        topic_ids=wanted,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "training_session_create", "training_session", row.id)
    return row


def list_sessions(session: Session, *, course: Course) -> list[TrainingSession]:
    return list(
        session.scalars(
            select(TrainingSession)
            .where(TrainingSession.course_id == course.id)
            .order_by(TrainingSession.starts_at, TrainingSession.id)
        )
    )


def access_session(
    session: Session, *, actor: Actor, session_id: int, write: bool = False
) -> tuple[TrainingSession, Course]:
    row = session.get(TrainingSession, session_id)
    if row is None:
        raise NotFound("Không tìm thấy buổi học")
    course = access_course(session, actor=actor, course_id=row.course_id, write=write)
    return row, course


# --- Trainees -------------------------------------------------------------------------------------


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
        _audit(session, learner, "training_trainee_activate", "trainee", trainee.id)
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
    _audit(session, actor, "training_trainees_import", "course", course.id, {"count": len(rows)})
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
    _audit(session, actor, "training_trainee_enrol", "trainee", trainee.id)
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
        _audit(
            session,
            actor,
            "training_keys_issue",
            "course",
            trainees[0].course_id,
            {"count": len(issued)},
        )
    return issued


# --- Attendance: rotating QR codes ----------------------------------------------------------------


def _code_mac(secret_key: str, session_id: int, window: int) -> str:
    message = f"danvan-training-checkin:{session_id}:{window}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:20]


def window_of(now: datetime, period: int) -> int:
    return math.floor(now.timestamp() / period)


def checkin_code(*, secret_key: str, session_id: int, now: datetime, period: int) -> str:
    """The code shown (as a QR) at this moment: the time window and its HMAC."""
    window = window_of(now, period)
    return f"{window}-{_code_mac(secret_key, session_id, window)}"


def seconds_left(now: datetime, period: int) -> int:
    return max(1, math.ceil((window_of(now, period) + 1) * period - now.timestamp()))


def check_checkin_code(
    *, secret_key: str, session_id: int, code: str, now: datetime, period: int
) -> None:
    """A code is good for its own window and the next one; anything else is refused."""
    match = re.fullmatch(r"(\d{1,12})-([0-9a-f]{20})", (code or "").strip())
    if match is None:
        raise Invalid("Mã điểm danh không hợp lệ", code="qr_invalid")
    window = int(match.group(1))
    expected = _code_mac(secret_key, session_id, window)
    if not hmac.compare_digest(expected, match.group(2)):
        raise Invalid("Mã điểm danh không hợp lệ", code="qr_invalid")
    current = window_of(now, period)
    if window not in (current, current - 1):
        raise Invalid(
            "Mã điểm danh đã hết hạn: hãy quét lại mã QR đang hiện trên màn hình",
            code="qr_expired",
        )


def do_check_in(
    session: Session,
    *,
    learner: Learner,
    training_session: TrainingSession,
    code: str,
    secret_key: str,
    now: datetime,
    period: int,
) -> tuple[Attendance, bool]:
    """Check a trainee in with the code of the QR shown in the hall; (attendance, created)."""
    if learner.trainee.course_id != training_session.course_id:
        raise NotFound("Không tìm thấy buổi học")
    check_checkin_code(
        secret_key=secret_key, session_id=training_session.id, code=code, now=now, period=period
    )
    return _attend(session, training_session, learner.trainee, "qr", None, learner, now)


def do_mark_attendance(
    session: Session,
    *,
    actor: Actor,
    training_session: TrainingSession,
    trainee: Trainee,
    present: bool = True,
    now: datetime | None = None,
) -> Attendance | None:
    """An organiser marks a trainee present (or not) by hand."""
    require_organiser(actor)
    if trainee.course_id != training_session.course_id:
        raise Invalid("Học viên không thuộc khoá học của buổi này", code="invalid_input")
    existing = _attendance(session, training_session.id, trainee.id)
    if not present:
        if existing is not None:
            session.delete(existing)
            _audit(
                session,
                actor,
                "training_attendance_unmark",
                "training_session",
                training_session.id,
                {"trainee_id": trainee.id},
            )
        return None
    attendance, _created = _attend(
        session, training_session, trainee, "manual", actor, actor, now or utcnow()
    )
    return attendance


def _attendance(session: Session, session_id: int, trainee_id: int) -> Attendance | None:
    return session.scalar(
        select(Attendance).where(
            Attendance.session_id == session_id, Attendance.trainee_id == trainee_id
        )
    )


def _attend(
    session: Session,
    training_session: TrainingSession,
    trainee: Trainee,
    method: str,
    marker: Actor | None,
    who: Actor | Learner,
    now: datetime,
) -> tuple[Attendance, bool]:
    existing = _attendance(session, training_session.id, trainee.id)
    if existing is not None:
        return existing, False
    attendance = Attendance(
        session_id=training_session.id,
        trainee_id=trainee.id,
        method=method,
        at=now,
        marked_by_id=marker.user.id if marker else None,
    )
    try:
        with session.begin_nested():  # a double tap racing on PostgreSQL: the first one wins
            session.add(attendance)
    except IntegrityError:
        found = _attendance(session, training_session.id, trainee.id)
        if found is None:
            raise
        return found, False
    _audit(
        session,
        who,
        "training_check_in" if method == "qr" else "training_attendance_mark",
        "training_session",
        training_session.id,
        {"trainee_id": trainee.id},
    )
    return attendance, True


def attendance_of_session(session: Session, *, training_session: TrainingSession) -> set[int]:
    return set(
        session.scalars(
            select(Attendance.trainee_id).where(Attendance.session_id == training_session.id)
        )
    )


def attended_counts(session: Session, *, course: Course) -> dict[int, int]:
    """Sessions attended per trainee id."""
    rows = session.execute(
        select(Attendance.trainee_id, func.count())
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .where(TrainingSession.course_id == course.id)
        .group_by(Attendance.trainee_id)
    )
    return {trainee_id: count for trainee_id, count in rows}
