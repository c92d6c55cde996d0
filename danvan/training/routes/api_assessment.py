"""The training API (/api/v1) for assessment: questions of a topic's bank, quizzes, trainees'
attempts, course reports (JSON and XLSX), certificates and the end-of-course survey.

Thin over `danvan.training.quizzes` and `danvan.training.reports`; who may call what: `callers`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from danvan.kernel.errors import NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.training import courses as core
from danvan.training import quizzes as quizzes
from danvan.training import reports as reports
from danvan.training.actors import Learner
from danvan.training.models import Course, Quiz, QuizAttempt
from danvan.training.routes import callers
from danvan.training.routes.callers import Caller
from danvan.training.routes.schemas import (
    AnswersIn,
    AttemptOption,
    AttemptOut,
    AttemptQuestion,
    CertificateOut,
    FeedbackIn,
    Id,
    QuestionIn,
    QuestionOut,
    QuizIn,
    QuizOut,
)
from danvan.web.api import ERRORS, WRITE_ERRORS, ApiRoute
from danvan.web.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1", tags=["training"], route_class=ApiRoute, responses=ERRORS)


def attempt_out(
    session: Session, attempt: QuizAttempt, *, now: datetime, grace: timedelta
) -> AttemptOut:
    """The attempt as the trainee may see it: scores once graded; the right options and the
    explanations only when `answers_revealed` (passed, or no attempt left)."""
    graded = attempt.status == "graded"
    quiz = session.get(Quiz, attempt.quiz_id)
    assert quiz is not None
    reveal = quizzes.answers_revealed(session, quiz=quiz, attempt=attempt)
    shown = quizzes.attempt_questions(session, attempt=attempt)
    status = "expired" if quizzes.is_expired(attempt, now=now, grace=grace) else attempt.status
    return AttemptOut(
        id=attempt.id,
        quiz_id=attempt.quiz_id,
        number=attempt.number,
        status=status,
        started_at=attempt.started_at,
        deadline=attempt.deadline,
        questions=[
            AttemptQuestion(
                id=s.question.id,
                kind=s.question.kind,
                text=s.question.text,
                options=[
                    AttemptOption(
                        id=o.id,
                        text=o.text,
                        chosen=o.id in s.chosen,
                        correct=o.is_correct if reveal else None,
                    )
                    for o in s.options
                ],
                credit=s.credit if graded else None,
                explanation=s.question.explanation if reveal else None,
            )
            for s in shown
        ],
        score=attempt.score if graded else None,
        max_score=attempt.max_score if graded else None,
        percent=attempt.percent if graded else None,
        passed=attempt.passed if graded else None,
    )


def _grace(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.training_quiz_grace_seconds)


# --- API: questions, quizzes, attempts ------------------------------------------------------------


@router.post("/topics/{topic_id}/questions", status_code=201, responses=WRITE_ERRORS)
def add_question(
    caller: Caller, session: SessionDep, topic_id: Id, body: QuestionIn
) -> QuestionOut:
    """Add a single- or multiple-choice question, with its explanation, to a topic's bank."""
    actor = callers.staff(caller)
    topic = core.access_topic(session, actor=actor, topic_id=topic_id, write=True)
    question = quizzes.do_add_question(
        session,
        actor=actor,
        topic=topic,
        kind=body.kind,
        text=body.text,
        explanation=body.explanation,
        options=[quizzes.OptionInput(o.text, o.correct) for o in body.options],
    )
    return QuestionOut(id=question.id, topic_id=topic.id, kind=question.kind)


@router.post("/courses/{course_id}/quizzes", status_code=201, responses=WRITE_ERRORS)
def create_quiz(
    caller: Caller, session: SessionDep, settings: SettingsDep, course_id: Id, body: QuizIn
) -> QuizOut:
    """A quiz drawn from the banks of some topics (none listed: all the course's topics)."""
    actor = callers.staff(caller)
    course = core.access_course(session, actor=actor, course_id=course_id, write=True)
    quiz = quizzes.do_create_quiz(
        session,
        actor=actor,
        course=course,
        title=body.title,
        topic_ids=body.topic_ids,
        question_count=body.question_count,
        time_limit_minutes=body.time_limit_minutes,
        pass_percent=body.pass_percent,
        max_attempts=body.max_attempts,
        retake_after_pass=body.retake_after_pass,
        partial_credit=body.partial_credit or settings.training_partial_credit,
    )
    return QuizOut.of(quiz)


@router.get("/courses/{course_id}/quizzes")
def list_course_quizzes(caller: Caller, session: SessionDep, course_id: Id) -> list[QuizOut]:
    """The course's quizzes."""
    if isinstance(caller, Learner):
        callers.learner(session, caller, course_id)
    else:
        core.access_course(session, actor=caller, course_id=course_id)
    return [QuizOut.of(q) for q in quizzes.list_quizzes(session, course_id=course_id)]


@router.post("/quizzes/{quiz_id}/attempts", status_code=201)
def start_attempt(
    caller: Caller, session: SessionDep, settings: SettingsDep, quiz_id: Id, response: Response
) -> AttemptOut:
    """Start an attempt (questions and options shuffled for you), or get back the one still
    running (200). Refused when the retake policy allows no more attempts."""
    quiz = session.get(Quiz, quiz_id)
    if quiz is None:
        raise NotFound("Không tìm thấy bài kiểm tra")
    learner = callers.learner(session, caller, quiz.course_id)
    course = session.get(Course, quiz.course_id)
    assert course is not None
    before = len(quizzes.attempts_of(session, quiz=quiz, trainee_id=learner.trainee.id))
    now = utcnow()
    attempt = quizzes.do_start_attempt(
        session, learner=learner, quiz=quiz, course=course, now=now, grace=_grace(settings)
    )
    if attempt.number <= before:
        response.status_code = 200
    return attempt_out(session, attempt, now=now, grace=_grace(settings))


@router.post("/attempts/{attempt_id}/answers")
def submit_attempt(
    caller: Caller, session: SessionDep, settings: SettingsDep, attempt_id: Id, body: AnswersIn
) -> AttemptOut:
    """Submit the answers and get the grade, the right answers and their explanations.
    Refused (422 `time_over`) after the time limit."""
    attempt = session.get(QuizAttempt, attempt_id)
    if attempt is None:
        raise NotFound("Không tìm thấy bài làm")
    quiz = session.get(Quiz, attempt.quiz_id)
    assert quiz is not None
    learner = callers.learner(session, caller, quiz.course_id)
    answers: dict[int, list[int]] = {}
    for answer in body.answers:
        answers.setdefault(answer.question_id, []).extend(answer.option_ids)
    now = utcnow()
    quizzes.do_submit_attempt(
        session, learner=learner, attempt=attempt, answers=answers, now=now, grace=_grace(settings)
    )
    return attempt_out(session, attempt, now=now, grace=_grace(settings))


@router.get("/attempts/{attempt_id}")
def get_attempt(
    caller: Caller, session: SessionDep, settings: SettingsDep, attempt_id: Id
) -> AttemptOut:
    """One of your attempts (graded ones with the right answers)."""
    attempt = session.get(QuizAttempt, attempt_id)
    if attempt is None:
        raise NotFound("Không tìm thấy bài làm")
    quiz = session.get(Quiz, attempt.quiz_id)
    assert quiz is not None
    learner = callers.learner(session, caller, quiz.course_id)
    attempt = quizzes.access_attempt(session, learner=learner, attempt_id=attempt_id)
    return attempt_out(session, attempt, now=utcnow(), grace=_grace(settings))


@router.get("/quizzes/{quiz_id}/stats")
def quiz_stats(caller: Caller, session: SessionDep, quiz_id: Id) -> dict[str, Any]:
    """Per question and per topic: answers and mean credit, weakest first (what to reteach)."""
    actor = callers.staff(caller)
    quiz = quizzes.access_quiz(session, actor=actor, quiz_id=quiz_id)
    course = session.get(Course, quiz.course_id)
    assert course is not None
    per_question, per_topic = quizzes.question_stats(session, course=course, quiz=quiz)
    return {
        "questions": [s.__dict__ for s in per_question],
        "topics": [t.__dict__ for t in per_topic],
    }


# --- API: report, certificates, feedback ----------------------------------------------------------


@router.get("/courses/{course_id}/report", response_model=None)
def course_report(
    caller: Caller,
    session: SessionDep,
    settings: SettingsDep,
    course_id: Id,
    format: Annotated[Literal["json", "xlsx"], Query()] = "json",
) -> dict[str, Any] | Response:
    """Attendance and scores per session, per commune and per person (`format=xlsx`: a
    workbook). Staff other than organisers see their communes' trainees only."""
    actor = callers.staff(caller)
    course = core.access_course(session, actor=actor, course_id=course_id)
    report = reports.course_report(session, actor=actor, course=course)
    if format == "xlsx":
        return _xlsx(
            reports.report_xlsx(report, tz_name=settings.timezone), f"bao-cao-khoa-{course.id}.xlsx"
        )
    return report


def _xlsx(data: bytes, name: str) -> Response:
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/courses/{course_id}/certificates", status_code=201, responses=WRITE_ERRORS)
def issue_certificates(
    caller: Caller, session: SessionDep, settings: SettingsDep, course_id: Id
) -> list[CertificateOut]:
    """Issue certificates to every trainee who attended enough and passed every quiz."""
    actor = callers.staff(caller)
    course = core.access_course(session, actor=actor, course_id=course_id, write=True)
    issued = reports.do_issue_certificates(session, actor=actor, course=course)
    return [certificate_out(settings, c) for c in issued]


def certificate_out(settings: Settings, certificate: Any) -> CertificateOut:
    return CertificateOut(
        code=certificate.code,
        holder_name=certificate.holder_name,
        course_title=certificate.course_title,
        issued_at=certificate.issued_at,
        verify_url=verify_url(settings, certificate.code),
    )


def verify_url(settings: Settings, code: str) -> str:
    return f"{settings.base_url.rstrip('/')}/chung-nhan/{code}"


@router.post("/courses/{course_id}/certificate", status_code=201)
def claim_certificate(
    caller: Caller, session: SessionDep, settings: SettingsDep, course_id: Id
) -> CertificateOut:
    """A trainee's own certificate, issued when the rules are met (422 says what is missing)."""
    learner = callers.learner(session, caller, course_id)
    return certificate_out(settings, reports.do_claim_certificate(session, learner=learner))


@router.post("/courses/{course_id}/feedback", status_code=201)
def give_feedback(
    caller: Caller, session: SessionDep, course_id: Id, body: FeedbackIn
) -> dict[str, Any]:
    """The end-of-course survey: ratings 1–5 (content, trainers, organisation) and free text."""
    learner = callers.learner(session, caller, course_id)
    feedback = reports.do_submit_feedback(
        session, learner=learner, ratings=body.ratings, text=body.text
    )
    return {"ratings": feedback.ratings, "text": feedback.text}


@router.get("/courses/{course_id}/feedback")
def feedback_summary(caller: Caller, session: SessionDep, course_id: Id) -> dict[str, Any]:
    """The survey in aggregate: rating averages and the most frequent words of the free text."""
    actor = callers.staff(caller)
    course = core.access_course(session, actor=actor, course_id=course_id)
    return reports.feedback_summary(session, course=course)
