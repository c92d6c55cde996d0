"""Attendance at the sessions of the staff training: trainees check in with the rotating QR code
shown in the hall (a time window and its HMAC), or organisers mark them present by hand.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.training.actors import Learner, audit, require_organiser
from danvan.training.models import Attendance, Course, Trainee, TrainingSession


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
            audit(
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
    audit(
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
