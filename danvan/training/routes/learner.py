"""The trainee's phone pages under /hoc: sign-in with a personal link, their courses, the QR
check-in, quizzes, their certificate and the end-of-course survey.

Thin over `danvan.training`'s modules; errors become a simple page (`LearnerRoute`) after the
request's transaction has rolled back.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from danvan.kernel.errors import NotFound
from danvan.kernel.models import utcnow
from danvan.training import courses as core
from danvan.training import quizzes as quizzes
from danvan.training import reports as reports
from danvan.training.actors import Learner
from danvan.training.attendance import attendance_of_session, do_check_in
from danvan.training.models import Course, Quiz, QuizAttempt, Trainee, TrainingSession
from danvan.training.routes.kit import (
    MAX_FORM,
    SESSION_TRAINEE,
    LearnerRoute,
    choose_locale,
    form_int,
)
from danvan.training.trainees import learner_for_key, learners_of_user
from danvan.web.deps import CsrfDep, SessionDep, SettingsDep, client_ip, signed_in_user
from danvan.web.pages import redirect, remember_session
from danvan.web.templating import render

router = APIRouter(
    route_class=LearnerRoute,
    include_in_schema=False,
    dependencies=[Depends(remember_session), Depends(choose_locale)],
)


def _learners(request: Request, session: Session) -> list[Learner]:
    """Who is learning on this phone: the trainee signed in with a personal link, or the
    enrolments of the signed-in staff member."""
    ip = client_ip(request)
    trainee_id = request.session.get(SESSION_TRAINEE)
    if trainee_id:
        trainee = session.get(Trainee, int(trainee_id))
        # A new link (lost phone, reissued cards) signs the old one out everywhere.
        if trainee is not None and (trainee.key_hash or "")[:16] == request.session.get("tkh"):
            return [Learner(trainee, via="web", ip=ip)]
        request.session.pop(SESSION_TRAINEE, None)
    user = signed_in_user(request, session)
    if user is not None:
        return [Learner(t, via="web", ip=ip) for t in learners_of_user(session, user=user)]
    return []


def _learner(request: Request, session: Session, course_id: int) -> Learner:
    for learner in _learners(request, session):
        if learner.trainee.course_id == course_id:
            return learner
    raise NotFound("Hãy mở đường link cá nhân mà ban tổ chức đã gửi cho bạn để vào học")


@router.get("/hoc/vao/{key}")
def sign_in(request: Request, session: SessionDep, key: str) -> Response:
    """Open a personal link: from now on this phone is the trainee's (first time: their account
    is activated)."""
    learner = learner_for_key(session, key[:100], via="web", ip=client_ip(request))
    if learner is None:
        raise NotFound("Đường link không đúng hoặc đã được thay bằng link mới")
    locale = request.session.get("locale")
    request.session.clear()
    if locale:
        request.session["locale"] = locale
    request.session[SESSION_TRAINEE] = learner.trainee.id
    request.session["tkh"] = (learner.trainee.key_hash or "")[:16]
    return redirect("/hoc")


@router.post("/hoc/thoat", dependencies=[CsrfDep])
def sign_out(request: Request) -> Response:
    request.session.pop(SESSION_TRAINEE, None)
    return redirect("/hoc")


@router.get("/hoc")
def learner_home(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    learners = _learners(request, session)
    enrolments = []
    now = utcnow()
    grace = timedelta(seconds=settings.training_quiz_grace_seconds)
    for learner in learners:
        course = session.get(Course, learner.trainee.course_id)
        assert course is not None
        person = reports.standings(session, course=course, trainees=[learner.trainee])[0]
        quiz_rows = []
        for quiz in quizzes.list_quizzes(session, course_id=course.id):
            attempts = quizzes.attempts_of(session, quiz=quiz, trainee_id=learner.trainee.id)
            running = next(
                (
                    a
                    for a in attempts
                    if a.status == "open" and not quizzes.is_expired(a, now=now, grace=grace)
                ),
                None,
            )
            quiz_rows.append({"quiz": quiz, "attempts": attempts, "running": running})
        enrolments.append(
            {
                "trainee": learner.trainee,
                "course": course,
                "sessions": core.list_sessions(session, course=course),
                "person": person,
                "quizzes": quiz_rows,
            }
        )
    return render(request, "training/m_home.html", {"enrolments": enrolments})


@router.get("/hoc/diem-danh/{session_id}")
def checkin_page(request: Request, session: SessionDep, session_id: int, c: str = "") -> Response:
    """Where the hall's QR code leads: one button to check in (a GET changes nothing)."""
    row = session.get(TrainingSession, session_id)
    if row is None:
        raise NotFound("Không tìm thấy buổi học")
    learner = _learner(request, session, row.course_id)
    course = session.get(Course, row.course_id)
    done = learner.trainee.id in attendance_of_session(session, training_session=row)
    return render(
        request,
        "training/m_checkin.html",
        {"row": row, "course": course, "code": c[:100], "done": done, "learner": learner},
    )


@router.post("/hoc/diem-danh/{session_id}", dependencies=[CsrfDep])
def checkin(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    session_id: int,
    code: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    row = session.get(TrainingSession, session_id)
    if row is None:
        raise NotFound("Không tìm thấy buổi học")
    learner = _learner(request, session, row.course_id)
    do_check_in(
        session,
        learner=learner,
        training_session=row,
        code=code,
        secret_key=settings.resolve_secret_key(),
        now=utcnow(),
        period=settings.training_qr_seconds,
    )
    course = session.get(Course, row.course_id)
    return render(
        request,
        "training/m_checkin.html",
        {"row": row, "course": course, "code": "", "done": True, "learner": learner},
    )


@router.post("/hoc/bai-thi/{quiz_id}", dependencies=[CsrfDep])
def start_quiz(
    request: Request, session: SessionDep, settings: SettingsDep, quiz_id: int
) -> Response:
    quiz = session.get(Quiz, quiz_id)
    if quiz is None:
        raise NotFound("Không tìm thấy bài kiểm tra")
    learner = _learner(request, session, quiz.course_id)
    course = session.get(Course, quiz.course_id)
    assert course is not None
    attempt = quizzes.do_start_attempt(
        session,
        learner=learner,
        quiz=quiz,
        course=course,
        now=utcnow(),
        grace=timedelta(seconds=settings.training_quiz_grace_seconds),
    )
    return redirect(f"/hoc/lam-bai/{attempt.id}")


def _attempt(
    request: Request, session: Session, attempt_id: int
) -> tuple[QuizAttempt, Quiz, Learner]:
    attempt = session.get(QuizAttempt, attempt_id)
    if attempt is None:
        raise NotFound("Không tìm thấy bài làm")
    quiz = session.get(Quiz, attempt.quiz_id)
    assert quiz is not None
    learner = _learner(request, session, quiz.course_id)
    return quizzes.access_attempt(session, learner=learner, attempt_id=attempt_id), quiz, learner


@router.get("/hoc/lam-bai/{attempt_id}")
def attempt_page(
    request: Request, session: SessionDep, settings: SettingsDep, attempt_id: int
) -> Response:
    attempt, quiz, _ = _attempt(request, session, attempt_id)
    grace = timedelta(seconds=settings.training_quiz_grace_seconds)
    if attempt.status != "open" or quizzes.is_expired(attempt, now=utcnow(), grace=grace):
        return redirect(f"/hoc/ket-qua/{attempt.id}")
    return render(
        request,
        "training/m_attempt.html",
        {
            "attempt": attempt,
            "quiz": quiz,
            "questions": quizzes.attempt_questions(session, attempt=attempt),
            "seconds_left": max(0, int((attempt.deadline - utcnow()).total_seconds())),
        },
    )


@router.post("/hoc/lam-bai/{attempt_id}", dependencies=[CsrfDep])
async def submit_attempt(
    request: Request, session: SessionDep, settings: SettingsDep, attempt_id: int
) -> Response:
    form = await request.form(max_fields=500)
    answers: dict[int, list[int]] = {}
    for name, value in form.multi_items():
        if not (name.startswith("q") and name[1:].isdigit() and isinstance(value, str)):
            continue
        if value.isdigit() and len(answers.get(int(name[1:]), [])) < quizzes.MAX_OPTIONS:
            answers.setdefault(int(name[1:]), []).append(int(value))

    def work() -> Response:
        attempt, _quiz, learner = _attempt(request, session, attempt_id)
        quizzes.do_submit_attempt(
            session,
            learner=learner,
            attempt=attempt,
            answers=answers,
            now=utcnow(),
            grace=timedelta(seconds=settings.training_quiz_grace_seconds),
        )
        return redirect(f"/hoc/ket-qua/{attempt.id}")

    return await run_in_threadpool(work)


@router.get("/hoc/ket-qua/{attempt_id}")
def result_page(
    request: Request, session: SessionDep, settings: SettingsDep, attempt_id: int
) -> Response:
    attempt, quiz, _ = _attempt(request, session, attempt_id)
    grace = timedelta(seconds=settings.training_quiz_grace_seconds)
    if attempt.status == "open" and not quizzes.is_expired(attempt, now=utcnow(), grace=grace):
        return redirect(f"/hoc/lam-bai/{attempt.id}")
    return render(
        request,
        "training/m_result.html",
        {
            "attempt": attempt,
            "quiz": quiz,
            "reveal": quizzes.answers_revealed(session, quiz=quiz, attempt=attempt),
            "questions": quizzes.attempt_questions(session, attempt=attempt),
        },
    )


@router.post("/hoc/chung-nhan/{course_id}", dependencies=[CsrfDep])
def claim_certificate(request: Request, session: SessionDep, course_id: int) -> Response:
    learner = _learner(request, session, course_id)
    certificate = reports.do_claim_certificate(session, learner=learner)
    return redirect(f"/chung-nhan/{certificate.code}")


@router.get("/hoc/gop-y/{course_id}")
def feedback_page(request: Request, session: SessionDep, course_id: int) -> Response:
    learner = _learner(request, session, course_id)
    course = session.get(Course, course_id)
    return render(
        request,
        "training/m_feedback.html",
        {"course": course, "learner": learner, "keys": reports.RATING_KEYS, "sent": False},
    )


@router.post("/hoc/gop-y/{course_id}", dependencies=[CsrfDep])
async def send_feedback(request: Request, session: SessionDep, course_id: int) -> Response:
    form = await request.form(max_fields=20)
    ratings: dict[str, int] = {}
    for key in reports.RATING_KEYS:
        value = form.get(key)
        if isinstance(value, str) and value.strip():
            ratings[key] = form_int(value, "Điểm")
    text_value = form.get("text")
    text = text_value[:MAX_FORM] if isinstance(text_value, str) else ""

    def work() -> Response:
        learner = _learner(request, session, course_id)
        reports.do_submit_feedback(session, learner=learner, ratings=ratings, text=text)
        course = session.get(Course, course_id)
        return render(
            request,
            "training/m_feedback.html",
            {"course": course, "learner": learner, "keys": reports.RATING_KEYS, "sent": True},
        )

    return await run_in_threadpool(work)
