"""Organisers' pages of the training area for assessment, under /training: a topic's question
bank, quizzes and their per-question statistics, the course report (page and XLSX),
certificates and the summary of every course.

Thin over `danvan.training`'s modules; errors become pages (`StaffRoute`) after the request's
transaction has rolled back.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from danvan.training import courses as core
from danvan.training import quizzes as quizzes
from danvan.training import reports as reports
from danvan.training.models import Course, QuizAttempt
from danvan.training.routes.kit import MAX_FORM, form_int, lines
from danvan.training.trainees import list_trainees
from danvan.web.deps import CsrfDep, SessionDep, SettingsDep
from danvan.web.pages import StaffActor, StaffRoute, flash, page, redirect, remember_session

router = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)


@router.get("/training/topics/{topic_id}")
def topic_page(request: Request, session: SessionDep, actor: StaffActor, topic_id: int) -> Response:
    topic = core.access_topic(session, actor=actor, topic_id=topic_id)
    return page(
        request,
        session,
        actor,
        "training/topic.html",
        {
            "nav": "training",
            "topic": topic,
            "course": topic.course,
            "questions": quizzes.list_questions(session, topic_ids=[topic.id]),
            "can_organise": actor.is_admin,
        },
    )


@router.post("/training/topics/{topic_id}/questions", dependencies=[CsrfDep])
def add_question(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    topic_id: int,
    text: Annotated[str, Form(max_length=MAX_FORM)] = "",
    options: Annotated[str, Form(max_length=MAX_FORM)] = "",
    explanation: Annotated[str, Form(max_length=MAX_FORM)] = "",
) -> Response:
    """Options one per line; a line starting with "*" is a right answer. More than one right
    answer makes it a multiple-choice question."""
    topic = core.access_topic(session, actor=actor, topic_id=topic_id, write=True)
    parsed = [
        quizzes.OptionInput(line[1:].strip(), True)
        if line.startswith("*")
        else quizzes.OptionInput(line, False)
        for line in lines(options, quizzes.MAX_OPTIONS + 1)
    ]
    kind = "multiple" if sum(o.correct for o in parsed) > 1 else "single"
    quizzes.do_add_question(
        session,
        actor=actor,
        topic=topic,
        kind=kind,
        text=text,
        options=parsed,
        explanation=explanation,
    )
    flash(request, "training.flash.question_added")
    return redirect(f"/training/topics/{topic.id}")


@router.post("/training/courses/{course_id}/quizzes", dependencies=[CsrfDep])
def add_quiz(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: StaffActor,
    course_id: int,
    title: Annotated[str, Form(max_length=MAX_FORM)] = "",
    topic_ids: Annotated[list[int] | None, Form()] = None,
    question_count: Annotated[str, Form(max_length=10)] = "10",
    time_limit_minutes: Annotated[str, Form(max_length=10)] = "15",
    pass_percent: Annotated[str, Form(max_length=10)] = "70",  # noqa: S107
    max_attempts: Annotated[str, Form(max_length=10)] = "2",
    partial_credit: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    course = core.access_course(session, actor=actor, course_id=course_id, write=True)
    quizzes.do_create_quiz(
        session,
        actor=actor,
        course=course,
        title=title,
        topic_ids=(topic_ids or [])[: core.MAX_TOPICS],
        question_count=form_int(question_count, "Số câu hỏi", 10),
        time_limit_minutes=form_int(time_limit_minutes, "Thời gian", 15),
        pass_percent=form_int(pass_percent, "Điểm đạt", 70),
        max_attempts=form_int(max_attempts, "Số lần làm", 2),
        partial_credit=partial_credit or settings.training_partial_credit,
    )
    return redirect(f"/training/courses/{course.id}#quizzes")


@router.get("/training/quizzes/{quiz_id}")
def quiz_page(request: Request, session: SessionDep, actor: StaffActor, quiz_id: int) -> Response:
    """Results of a quiz and per-question statistics (which topics need more teaching)."""
    quiz = quizzes.access_quiz(session, actor=actor, quiz_id=quiz_id)
    course = session.get(Course, quiz.course_id)
    assert course is not None
    per_question, per_topic = quizzes.question_stats(session, course=course, quiz=quiz)
    visible = {t.id: t for t in list_trainees(session, actor=actor, course=course)}
    attempts = [
        a
        for a in session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.status == "graded")
            .order_by(QuizAttempt.submitted_at.desc())
        )
        if a.trainee_id in visible
    ]
    return page(
        request,
        session,
        actor,
        "training/quiz.html",
        {
            "nav": "training",
            "course": course,
            "quiz": quiz,
            "per_question": per_question,
            "per_topic": per_topic,
            "attempts": attempts,
            "trainees": visible,
        },
    )


@router.get("/training/courses/{course_id}/report")
def report_page(
    request: Request, session: SessionDep, actor: StaffActor, course_id: int
) -> Response:
    course = core.access_course(session, actor=actor, course_id=course_id)
    return page(
        request,
        session,
        actor,
        "training/report.html",
        {
            "nav": "training",
            "course": course,
            "report": reports.course_report(session, actor=actor, course=course),
            "feedback": reports.feedback_summary(session, course=course),
            "can_organise": actor.is_admin,
        },
    )


@router.get("/training/courses/{course_id}/report.xlsx")
def report_xlsx(
    session: SessionDep, settings: SettingsDep, actor: StaffActor, course_id: int
) -> Response:
    course = core.access_course(session, actor=actor, course_id=course_id)
    report = reports.course_report(session, actor=actor, course=course)
    data = reports.report_xlsx(report, tz_name=settings.timezone)
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="bao-cao-khoa-{course.id}.xlsx"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/training/courses/{course_id}/certificates", dependencies=[CsrfDep])
def issue_certificates(
    request: Request, session: SessionDep, actor: StaffActor, course_id: int
) -> Response:
    course = core.access_course(session, actor=actor, course_id=course_id, write=True)
    reports.do_issue_certificates(session, actor=actor, course=course)
    flash(request, "training.flash.certificates")
    return redirect(f"/training/courses/{course.id}/report")


@router.get("/training/summary")
def summary_page(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    """Every visible course in one table: trainees, attendance, passes, certificates."""
    rows = []
    for course in core.list_courses(session, actor=actor):
        report = reports.course_report(session, actor=actor, course=course)
        people = report["people"]
        rows.append(
            {
                "course": course,
                "trainees": len(people),
                "sessions": len(report["sessions"]),
                "attendance": round(sum(p["attendance_percent"] for p in people) / len(people), 1)
                if people
                else None,
                "passed": sum(1 for p in people if p["passed"]),
                "certificates": sum(1 for p in people if p["certificate"]),
            }
        )
    return page(request, session, actor, "training/summary.html", {"nav": "training", "rows": rows})
