"""Courses of the staff training: their ordered topics with materials, trainers and audience,
and their sessions (date, time, venue, topics).

Who may do what: `danvan.training.actors`. Trainees and their XLSX import live in `trainees`,
attendance in `attendance`, quizzes in `quizzes`, reports, certificates and feedback in `reports`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.accounts.models import Role
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.text import clean
from danvan.training.actors import audit, require_organiser, sees_course
from danvan.training.checks import (
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
    check_commune_codes,
    check_text,
)
from danvan.training.models import Course, CourseTopic, TopicMaterial, TrainingSession

MAX_TOPICS = 50
MAX_TRAINERS = 50
MAX_MATERIAL_BYTES = 10 * 1024 * 1024
MATERIAL_KINDS = ("file", "link", "text")
ROLES = tuple(r.value for r in Role)


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
    audit(session, actor, "training_course_create", "course", course.id)
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
    audit(session, actor, "training_topic_add", "course", course.id, {"topic_id": topic.id})
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
    audit(session, actor, "training_material_add", "topic", topic.id, {"kind": kind})
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
    audit(session, actor, "training_session_create", "training_session", row.id)
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
