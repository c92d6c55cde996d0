"""Training reports (per session, commune and person; JSON and XLSX), certificates (rules, PDF,
public verification) and the end-of-course survey with its free text summarised in aggregate.
"""

from __future__ import annotations

import io
import math
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.kernel import geo
from danvan.kernel.documents import append_row
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.training.actors import Learner, audit, require_organiser
from danvan.training.attendance import attended_counts
from danvan.training.checks import check_text
from danvan.training.courses import list_sessions
from danvan.training.models import (
    Attendance,
    Certificate,
    Course,
    Feedback,
    QuizAttempt,
    Trainee,
    TrainingSession,
)
from danvan.training.quizzes import list_quizzes
from danvan.training.trainees import list_trainees

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
RATING_KEYS = ("content", "trainers", "organisation")
MAX_FEEDBACK = 4000


# --- Per person -----------------------------------------------------------------------------------


@dataclass
class TraineeStanding:
    trainee: Trainee
    attended: int
    sessions: int
    best: dict[int, float]  # quiz id -> best percent
    passed: dict[int, bool]  # quiz id -> passed at least once
    certificate: Certificate | None

    @property
    def attendance_percent(self) -> float:
        return round(100 * self.attended / self.sessions, 1) if self.sessions else 0.0

    def attended_enough(self, min_percent: int) -> bool:
        return self.sessions > 0 and self.attended >= math.ceil(self.sessions * min_percent / 100)

    def passed_all(self, quiz_ids: list[int]) -> bool:
        return all(self.passed.get(q, False) for q in quiz_ids)


def standings(
    session: Session, *, course: Course, trainees: list[Trainee]
) -> list[TraineeStanding]:
    total = len(list_sessions(session, course=course))
    attended = attended_counts(session, course=course)
    best: dict[int, dict[int, float]] = {}
    passed: dict[int, dict[int, bool]] = {}
    quiz_ids = [q.id for q in list_quizzes(session, course_id=course.id)]
    if quiz_ids:
        for attempt in session.scalars(
            select(QuizAttempt).where(
                QuizAttempt.quiz_id.in_(quiz_ids), QuizAttempt.status == "graded"
            )
        ):
            mine = best.setdefault(attempt.trainee_id, {})
            mine[attempt.quiz_id] = max(mine.get(attempt.quiz_id, 0.0), attempt.percent)
            if attempt.passed:
                passed.setdefault(attempt.trainee_id, {})[attempt.quiz_id] = True
    certificates = {
        c.trainee_id: c
        for c in session.scalars(select(Certificate).where(Certificate.course_id == course.id))
    }
    return [
        TraineeStanding(
            trainee=t,
            attended=attended.get(t.id, 0),
            sessions=total,
            best=best.get(t.id, {}),
            passed=passed.get(t.id, {}),
            certificate=certificates.get(t.id),
        )
        for t in trainees
    ]


# --- The course report ----------------------------------------------------------------------------


@dataclass
class CommuneLine:
    commune_code: int | None
    commune_name: str
    trainees: int = 0
    attendances: int = 0
    possible: int = 0
    scores: list[float] = field(default_factory=list)
    passed: int = 0
    completed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "commune_code": self.commune_code,
            "commune_name": self.commune_name,
            "trainees": self.trainees,
            "attendance_percent": round(100 * self.attendances / self.possible, 1)
            if self.possible
            else 0.0,
            "quiz_takers": len(self.scores),
            "average_score": round(sum(self.scores) / len(self.scores), 1) if self.scores else None,
            "passed": self.passed,
            "completed": self.completed,
        }


def course_report(session: Session, *, actor: Actor, course: Course) -> dict[str, Any]:
    """Attendance and scores per session, per commune and per person. Staff other than
    organisers see the trainees of their own communes only."""
    trainees = list_trainees(session, actor=actor, course=course)
    sessions = list_sessions(session, course=course)
    quizzes = list_quizzes(session, course_id=course.id)
    quiz_ids = [q.id for q in quizzes]
    people = standings(session, course=course, trainees=trainees)
    visible = {t.id for t in trainees}
    per_session: dict[int, int] = Counter()
    for session_id, trainee_id in session.execute(
        select(Attendance.session_id, Attendance.trainee_id)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .where(TrainingSession.course_id == course.id)
    ):
        if trainee_id in visible:
            per_session[session_id] += 1
    communes: dict[int | None, CommuneLine] = {}
    for person in people:
        code = person.trainee.commune_code
        line = communes.setdefault(code, CommuneLine(code, geo.commune_name(code)))
        line.trainees += 1
        line.attendances += person.attended
        line.possible += person.sessions
        if person.best:
            line.scores.append(sum(person.best.values()) / len(person.best))
        if quiz_ids and person.passed_all(quiz_ids):
            line.passed += 1
        if is_eligible(person, course=course, quiz_ids=quiz_ids):
            line.completed += 1
    return {
        "course": {"id": course.id, "title": course.title},
        "trainees": len(trainees),
        "sessions": [
            {
                "id": s.id,
                "title": s.title,
                "starts_at": s.starts_at.isoformat(),
                "venue": s.venue,
                "attended": per_session.get(s.id, 0),
            }
            for s in sessions
        ],
        "quizzes": [
            {"id": q.id, "title": q.title, "pass_percent": q.pass_percent} for q in quizzes
        ],
        "communes": [
            line.as_dict() for line in sorted(communes.values(), key=lambda c: c.commune_name)
        ],
        "people": [
            {
                "trainee_id": p.trainee.id,
                "full_name": p.trainee.full_name,
                "position": p.trainee.position,
                "commune_code": p.trainee.commune_code,
                "commune_name": geo.commune_name(p.trainee.commune_code),
                "sessions_attended": p.attended,
                "attendance_percent": p.attendance_percent,
                "best_scores": {str(q): p.best[q] for q in quiz_ids if q in p.best},
                "passed": bool(quiz_ids) and p.passed_all(quiz_ids),
                "certificate": p.certificate.code if p.certificate else None,
            }
            for p in people
        ],
    }


def report_xlsx(report: Mapping[str, Any], *, tz_name: str) -> bytes:
    """The course report as a workbook: communes, people, sessions (their start in `tz_name`,
    the deployment's zone)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Theo xã"
    bold = Font(bold=True)

    def table(ws: Any, header: list[str], rows: list[list[Any]]) -> None:
        append_row(ws, header)
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            append_row(ws, row)
        for column in ws.columns:
            width = max(len(str(c.value or "")) for c in column)
            ws.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))

    table(
        sheet,
        [
            "Xã/phường",
            "Học viên",
            "Chuyên cần (%)",
            "Đã làm bài",
            "Điểm TB (%)",
            "Đạt",
            "Hoàn thành",
        ],
        [
            [
                c["commune_name"] or "—",
                c["trainees"],
                c["attendance_percent"],
                c["quiz_takers"],
                c["average_score"],
                c["passed"],
                c["completed"],
            ]
            for c in report["communes"]
        ],
    )
    quizzes = report["quizzes"]
    table(
        book.create_sheet("Học viên"),
        [
            "Họ và tên",
            "Chức vụ",
            "Xã/phường",
            "Số buổi dự",
            "Chuyên cần (%)",
            *[f"{q['title']} (%)" for q in quizzes],
            "Đạt",
            "Giấy chứng nhận",
        ],
        [
            [
                p["full_name"],
                p["position"],
                p["commune_name"],
                p["sessions_attended"],
                p["attendance_percent"],
                *[p["best_scores"].get(str(q["id"])) for q in quizzes],
                "Có" if p["passed"] else "Chưa",
                p["certificate"] or "",
            ]
            for p in report["people"]
        ],
    )
    table(
        book.create_sheet("Buổi học"),
        ["Buổi học", "Bắt đầu", "Địa điểm", "Có mặt"],
        [
            [s["title"], local_time(s["starts_at"], tz_name), s["venue"], s["attended"]]
            for s in report["sessions"]
        ],
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def local_time(iso: str, tz_name: str) -> str:
    """An ISO time (as the report holds it) as people read it where they are: "10/12/2026 09:00"."""
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(tz_name)).strftime("%d/%m/%Y %H:%M")


# --- Certificates ---------------------------------------------------------------------------------


def is_eligible(person: TraineeStanding, *, course: Course, quiz_ids: list[int]) -> bool:
    """Attended at least the course's share of sessions, and passed every quiz."""
    return person.attended_enough(course.min_attendance_percent) and person.passed_all(quiz_ids)


def why_not_eligible(person: TraineeStanding, *, course: Course, quiz_ids: list[int]) -> str:
    if not person.attended_enough(course.min_attendance_percent):
        need = math.ceil(person.sessions * course.min_attendance_percent / 100)
        return f"Chưa đủ chuyên cần: đã dự {person.attended}/{person.sessions} buổi, cần {need}"
    if not person.passed_all(quiz_ids):
        return "Chưa đạt tất cả bài kiểm tra của khoá học"
    return ""


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"DV-{raw[:5]}-{raw[5:]}"


def _issue(session: Session, course: Course, trainee: Trainee, now: datetime) -> Certificate:
    certificate = Certificate(
        code=_new_code(),
        course_id=course.id,
        trainee_id=trainee.id,
        holder_name=trainee.full_name,
        course_title=course.title,
        issued_at=now,
    )
    session.add(certificate)
    session.flush()
    return certificate


def do_issue_certificates(session: Session, *, actor: Actor, course: Course) -> list[Certificate]:
    """Certificates for every trainee who meets the rules and has none yet."""
    require_organiser(actor)
    quiz_ids = [q.id for q in list_quizzes(session, course_id=course.id)]
    people = standings(
        session, course=course, trainees=list_trainees(session, actor=actor, course=course)
    )
    issued = []
    now = utcnow()
    for person in people:
        if person.certificate is None and is_eligible(person, course=course, quiz_ids=quiz_ids):
            issued.append(_issue(session, course, person.trainee, now))
    if issued:
        audit(
            session,
            actor,
            "training_certificates_issue",
            "course",
            course.id,
            {"count": len(issued)},
        )
    return issued


def do_claim_certificate(session: Session, *, learner: Learner) -> Certificate:
    """A trainee asks for their certificate: issued if the rules are met (once)."""
    course = session.get(Course, learner.trainee.course_id)
    assert course is not None
    quiz_ids = [q.id for q in list_quizzes(session, course_id=course.id)]
    person = standings(session, course=course, trainees=[learner.trainee])[0]
    if person.certificate is not None:
        return person.certificate
    if not is_eligible(person, course=course, quiz_ids=quiz_ids):
        raise Invalid(
            "Chưa đủ điều kiện cấp giấy chứng nhận — "
            + why_not_eligible(person, course=course, quiz_ids=quiz_ids),
            code="not_eligible",
        )
    certificate = _issue(session, course, learner.trainee, utcnow())
    audit(session, learner, "training_certificate_claim", "course", course.id)
    return certificate


def certificate_by_code(session: Session, code: str) -> Certificate:
    """The certificate with this verification code (case and spacing forgiven), or NotFound."""
    wanted = "".join(ch for ch in (code or "").upper() if ch.isalnum())[:20]
    if len(wanted) == 12 and wanted.startswith("DV"):
        wanted = f"DV-{wanted[2:7]}-{wanted[7:]}"
    found = session.scalar(select(Certificate).where(Certificate.code == wanted))
    if found is None:
        raise NotFound("Không có giấy chứng nhận nào với mã này")
    return found


def certificate_pdf(certificate: Certificate, *, verify_url: str, timezone: Any) -> bytes:
    """The certificate as an A4 landscape PDF with its verification code and a QR to the
    public check page, drawn by a child process (danvan.training.certificate_pdf): fpdf,
    fontTools, PIL and segno never enter a web process, which keeps nothing of them."""
    from danvan.kernel import child
    from danvan.kernel.letterhead import MOTTO, NATIONAL

    return child.render(
        "danvan.training.certificate_pdf",
        {
            "national": NATIONAL,
            "motto": MOTTO,
            "holder_name": certificate.holder_name,
            "course_title": certificate.course_title,
            "issued": certificate.issued_at.astimezone(timezone).strftime("%d/%m/%Y"),
            "code": certificate.code,
            "verify_url": verify_url,
        },
    )


# --- Feedback -------------------------------------------------------------------------------------


def do_submit_feedback(
    session: Session, *, learner: Learner, ratings: Mapping[str, int], text: str
) -> Feedback:
    """The trainee's end-of-course survey (one per course; sending again replaces it)."""
    clean_ratings: dict[str, Any] = {}
    for key in RATING_KEYS:
        value = ratings.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise Invalid("Điểm đánh giá phải từ 1 đến 5", code="invalid_input")
        clean_ratings[key] = value
    unknown = set(ratings) - set(RATING_KEYS)
    if unknown:
        raise Invalid("Tiêu chí không có: {names}", code="invalid_input", names=sorted(unknown))
    body = check_text(text, what="Ý kiến", limit=MAX_FEEDBACK, required=False)
    if not clean_ratings and not body:
        raise Invalid("Hãy chấm điểm hoặc viết ý kiến", code="empty")
    feedback = session.scalar(
        select(Feedback).where(
            Feedback.course_id == learner.trainee.course_id,
            Feedback.trainee_id == learner.trainee.id,
        )
    )
    if feedback is None:
        feedback = Feedback(course_id=learner.trainee.course_id, trainee_id=learner.trainee.id)
        session.add(feedback)
    feedback.ratings = clean_ratings
    if feedback.text != body:
        feedback.terms = None  # counted in the report once the worker segmented it again
    feedback.text = body
    feedback.at = utcnow()
    session.flush()
    audit(session, learner, "training_feedback", "course", learner.trainee.course_id)
    return feedback


# Words too common in Vietnamese feedback to say anything on their own.
STOPWORDS = frozenset(
    [
        "và",
        "là",
        "của",
        "có",
        "cho",
        "các",
        "những",
        "được",
        "thì",
        "mà",
        "này",
        "với",
        "rất",
        "cũng",
        "nhưng",
        "để",
        "trong",
        "một",
        "không",
        "đã",
        "lại",
        "quá",
        "hơn",
        "nên",
        "khi",
        "thêm",
        "về",
        "ra",
        "như",
        "em",
        "anh",
        "chị",
        "tôi",
        "mình",
        "chúng_tôi",
        "ạ",
        "nhé",
        "thật",
        "nhiều",
        "ít",
        "hay",
    ]
)


def feedback_summary(session: Session, *, course: Course, top: int = 12) -> dict[str, Any]:
    """Averages of the ratings and the words and phrases that come back most in the free text
    (cleaned, personal data masked and segmented by the worker: `feedback_terms`; an answer it
    has not reached yet counts in `waiting`). Aggregate only: no answer is shown with its
    author."""
    rows = list(session.scalars(select(Feedback).where(Feedback.course_id == course.id)))
    averages: dict[str, float | None] = {}
    for key in RATING_KEYS:
        values = [int(r.ratings[key]) for r in rows if isinstance(r.ratings.get(key), int)]
        averages[key] = round(sum(values) / len(values), 2) if values else None
    terms: Counter[str] = Counter()
    texts = waiting = 0
    for row in rows:
        if not row.text:
            continue
        texts += 1
        if row.terms is None:
            waiting += 1
            continue
        terms.update(row.terms)  # once per answer: how many people said it
    return {
        "responses": len(rows),
        "with_text": texts,
        "waiting": waiting,
        "averages": averages,
        "terms": [
            {"term": term.replace("_", " "), "count": count}
            for term, count in terms.most_common(top)
            if count >= 1
        ],
    }
