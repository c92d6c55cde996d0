"""Pages of the training area: organisers' pages under /training, the trainee's phone pages
under /hoc, and the public certificate check under /chung-nhan.

Thin over `danvan.training.courses*`; errors become pages (`StaffRoute` for staff, `LearnerRoute`
for the phone pages) after the request's transaction has rolled back.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.kernel import geo
from danvan.kernel.errors import CoreError, Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.training import courses as core
from danvan.training import quizzes as quizzes
from danvan.training import reports as reports
from danvan.training.actors import Learner, sees_course
from danvan.training.attendance import (
    attendance_of_session,
    checkin_code,
    do_check_in,
    do_mark_attendance,
    seconds_left,
)
from danvan.training.models import (
    Certificate,
    Course,
    CourseTopic,
    Quiz,
    QuizAttempt,
    TopicMaterial,
    Trainee,
    TrainingSession,
)
from danvan.training.trainees import (
    MAX_IMPORT_BYTES,
    ImportRejected,
    access_trainee,
    do_import_trainees,
    do_issue_keys,
    learner_for_key,
    learners_of_user,
    list_trainees,
)
from danvan.web.deps import SESSION_USER, CsrfDep, SessionDep, SettingsDep, client_ip
from danvan.web.i18n import LOCALES, SESSION_KEY, locale_of, translator
from danvan.web.pages import StaffActor, StaffRoute, flash, page, redirect
from danvan.web.templating import render, zone

MAX_FORM = 40_000
SESSION_TRAINEE = "trainee"


def _remember_session(request: Request, session: SessionDep) -> None:
    request.state.db_session = session


class LearnerRoute(APIRoute):
    """Phone pages: core errors, CSRF refusals and bad input become a simple page, after the
    request's transaction is rolled back."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def html_errors(request: Request) -> Response:
            try:
                response = await handler(request)
                # A trainee's pages hold their name and results: never in a shared cache.
                response.headers.setdefault("Cache-Control", "no-store")
                return response
            except (CoreError, HTTPException, RequestValidationError) as exc:
                session = getattr(request.state, "db_session", None)
                if isinstance(session, Session):
                    await run_in_threadpool(session.rollback)
                _ = translator(locale_of(request.session))
                if isinstance(exc, CoreError):
                    status, message = exc.status, exc.message
                elif isinstance(exc, HTTPException):
                    status = exc.status_code
                    message = _("error.csrf") if status == 403 else str(exc.detail)
                else:
                    status, message = 422, _("error.bad_input")
                return render(
                    request,
                    "training/m_error.html",
                    {"status": status, "message": message},
                    status_code=status,
                )

        return html_errors


router = APIRouter()
staff_pages = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(_remember_session)]
)


def _choose_locale(request: Request) -> None:
    """`?lang=en` switches a trainee's pages (kept in the session cookie)."""
    lang = request.query_params.get("lang")
    if lang in LOCALES:
        request.session[SESSION_KEY] = lang


learner_pages = APIRouter(
    route_class=LearnerRoute,
    include_in_schema=False,
    dependencies=[Depends(_remember_session), Depends(_choose_locale)],
)


def _tz(settings: Settings) -> ZoneInfo:
    return zone(settings.timezone)


def _lines(value: str, limit: int = 200) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()][:limit]


def _int(value: str, what: str, default: int | None = None) -> int:
    text = value.strip()
    if not text and default is not None:
        return default
    try:
        return int(text)
    except ValueError:
        raise Invalid("{what}: cần một số nguyên", code="invalid_input", what=what) from None


def _local_datetime(day: str, hour: str, settings: Settings) -> datetime:
    try:
        naive = datetime.fromisoformat(f"{day.strip()}T{hour.strip() or '00:00'}")
    except ValueError:
        raise Invalid("Ngày giờ không hợp lệ", code="invalid_input") from None
    return naive.replace(tzinfo=_tz(settings))


# --- Organisers and staff: /training ---------------------------------------------------------


@staff_pages.get("/training")
def courses_page(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    courses = core.list_courses(session, actor=actor)
    communes = geo.province(request.app.state.settings.province).communes
    return page(
        request,
        session,
        actor,
        "training/courses.html",
        {"nav": "training", "courses": courses, "communes": communes},
    )


@staff_pages.post("/training/courses", dependencies=[CsrfDep])
def create_course(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: StaffActor,
    title: Annotated[str, Form(max_length=MAX_FORM)] = "",
    description: Annotated[str, Form(max_length=MAX_FORM)] = "",
    topics: Annotated[str, Form(max_length=MAX_FORM)] = "",
    trainers: Annotated[str, Form(max_length=MAX_FORM)] = "",
    communes: Annotated[list[int] | None, Form()] = None,
    min_attendance_percent: Annotated[str, Form(max_length=10)] = "80",
) -> Response:
    course = core.do_create_course(
        session,
        actor=actor,
        data=core.CourseInput(
            title=title,
            description=description,
            topics=_lines(topics),
            trainers=_lines(trainers),
            audience_communes=(communes or [])[:500],
            min_attendance_percent=_int(min_attendance_percent, "Chuyên cần", 80),
        ),
        province_code=settings.province,
    )
    flash(request, "training.flash.created")
    return redirect(f"/training/courses/{course.id}")


def _course_context(session: Session, actor: Actor, course: Course) -> dict[str, Any]:
    trainees = list_trainees(session, actor=actor, course=course)
    return {
        "nav": "training",
        "course": course,
        "sessions": core.list_sessions(session, course=course),
        "trainees": trainees,
        "quizzes": quizzes.list_quizzes(session, course_id=course.id),
        "question_counts": {
            t.id: len(quizzes.list_questions(session, topic_ids=[t.id])) for t in course.topics
        },
        "can_organise": actor.is_admin,
    }


@staff_pages.get("/training/courses/{course_id}")
def course_page(
    request: Request, session: SessionDep, actor: StaffActor, course_id: int
) -> Response:
    course = core.access_course(session, actor=actor, course_id=course_id)
    return page(
        request, session, actor, "training/course.html", _course_context(session, actor, course)
    )


@staff_pages.post("/training/courses/{course_id}/topics", dependencies=[CsrfDep])
def add_topic(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    course_id: int,
    title: Annotated[str, Form(max_length=MAX_FORM)] = "",
    description: Annotated[str, Form(max_length=MAX_FORM)] = "",
) -> Response:
    course = core.access_course(session, actor=actor, course_id=course_id, write=True)
    core.do_add_topic(session, actor=actor, course=course, title=title, description=description)
    return redirect(f"/training/courses/{course.id}#topics")


@staff_pages.post("/training/topics/{topic_id}/materials", dependencies=[CsrfDep])
async def add_material(
    request: Request, session: SessionDep, actor: StaffActor, topic_id: int
) -> Response:
    form = await request.form(max_part_size=core.MAX_MATERIAL_BYTES + 1024)

    def text(name: str) -> str:
        value = form.get(name)
        return value[:MAX_FORM] if isinstance(value, str) else ""

    upload = form.get("file")
    content: bytes | None = None
    filename = content_type = ""
    if upload is not None and not isinstance(upload, str):
        content = await upload.read(core.MAX_MATERIAL_BYTES + 1)
        filename, content_type = upload.filename or "", upload.content_type or ""

    def work() -> int:
        topic = core.access_topic(session, actor=actor, topic_id=topic_id, write=True)
        core.do_add_material(
            session,
            actor=actor,
            topic=topic,
            kind=text("kind"),
            title=text("title"),
            url=text("url"),
            body=text("body"),
            filename=filename,
            content_type=content_type,
            content=content,
        )
        return topic.course_id

    course_id = await run_in_threadpool(work)
    return redirect(f"/training/courses/{course_id}#topics")


@staff_pages.get("/training/materials/{material_id}")
def material_file(request: Request, session: SessionDep, material_id: int) -> Response:
    """A file material: for staff who see the course, or for its trainees."""
    material = session.get(TopicMaterial, material_id)
    if material is None or material.kind != "file":
        raise NotFound()
    topic = session.get(CourseTopic, material.topic_id)
    assert topic is not None
    if not _can_read_course(request, session, topic.course):
        raise NotFound()
    return Response(
        material.content or b"",
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{material.filename}"',
            "Cache-Control": "no-store",
        },
    )


def _can_read_course(request: Request, session: Session, course: Course) -> bool:
    user_id = request.session.get(SESSION_USER)
    if user_id:
        user = session.get(User, int(user_id))
        if user is not None and user.is_active and sees_course(Actor(user), course):
            return True
    trainee_id = request.session.get(SESSION_TRAINEE)
    if trainee_id:
        trainee = session.get(Trainee, int(trainee_id))
        return trainee is not None and trainee.course_id == course.id
    return False


@staff_pages.post("/training/courses/{course_id}/sessions", dependencies=[CsrfDep])
def add_session(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: StaffActor,
    course_id: int,
    day: Annotated[str, Form(max_length=20)] = "",
    start: Annotated[str, Form(max_length=10)] = "",
    end: Annotated[str, Form(max_length=10)] = "",
    title: Annotated[str, Form(max_length=MAX_FORM)] = "",
    venue: Annotated[str, Form(max_length=MAX_FORM)] = "",
    topic_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    course = core.access_course(session, actor=actor, course_id=course_id, write=True)
    core.do_create_session(
        session,
        actor=actor,
        course=course,
        starts_at=_local_datetime(day, start, settings),
        ends_at=_local_datetime(day, end, settings),
        title=title,
        venue=venue,
        topic_ids=(topic_ids or [])[: core.MAX_TOPICS],
    )
    return redirect(f"/training/courses/{course.id}#sessions")


@staff_pages.post("/training/courses/{course_id}/import", dependencies=[CsrfDep])
async def import_trainees(
    request: Request, session: SessionDep, settings: SettingsDep, actor: StaffActor, course_id: int
) -> Response:
    form = await request.form(max_part_size=MAX_IMPORT_BYTES + 1024)
    upload = form.get("file")
    data = b""
    if upload is not None and not isinstance(upload, str):
        data = await upload.read(MAX_IMPORT_BYTES + 1)

    def work() -> Response:
        course = core.access_course(session, actor=actor, course_id=course_id, write=True)
        try:
            result = do_import_trainees(
                session,
                actor=actor,
                course=course,
                data=data,
                province_code=settings.province,
                max_rows=settings.training_import_max_rows,
            )
        except ImportRejected as exc:
            return page(
                request,
                session,
                actor,
                "training/import_errors.html",
                {"nav": "training", "course": course, "errors": exc.errors},
                status_code=422,
            )
        return _cards(request, session, settings, actor, course, result.created)

    return await run_in_threadpool(work)


def _cards(
    request: Request,
    session: Session,
    settings: Settings,
    actor: Actor,
    course: Course,
    issued: list[tuple[Trainee, str | None]],
) -> Response:
    """Printable sign-in cards: each trainee's personal link as text and QR (shown once)."""
    import segno

    cards = []
    for trainee, key in issued:
        if key is None:
            continue
        url = f"{settings.base_url.rstrip('/')}/hoc/vao/{key}"
        svg = segno.make(url, error="m").svg_data_uri(scale=3, border=2)
        cards.append({"trainee": trainee, "url": url, "qr": svg})
    return page(
        request,
        session,
        actor,
        "training/cards.html",
        {"nav": "training", "course": course, "cards": cards, "count": len(issued)},
    )


@staff_pages.post("/training/courses/{course_id}/cards", dependencies=[CsrfDep])
def issue_cards(
    request: Request, session: SessionDep, settings: SettingsDep, actor: StaffActor, course_id: int
) -> Response:
    """New personal links for trainees not signed in yet (old links stop working)."""
    course = core.access_course(session, actor=actor, course_id=course_id, write=True)
    waiting = [
        t
        for t in list_trainees(session, actor=actor, course=course)
        if t.activated_at is None and t.user_id is None
    ]
    issued = do_issue_keys(session, actor=actor, trainees=waiting)
    return _cards(request, session, settings, actor, course, [(t, k) for t, k in issued])


@staff_pages.get("/training/sessions/{session_id}")
def session_page(
    request: Request, session: SessionDep, actor: StaffActor, session_id: int
) -> Response:
    row, course = core.access_session(session, actor=actor, session_id=session_id)
    present = attendance_of_session(session, training_session=row)
    trainees = list_trainees(session, actor=actor, course=course)
    by_commune: dict[str, list[int]] = {}
    for trainee in trainees:
        name = geo.commune_name(trainee.commune_code) or "—"
        line = by_commune.setdefault(name, [0, 0])
        line[0] += 1
        line[1] += trainee.id in present
    return page(
        request,
        session,
        actor,
        "training/session.html",
        {
            "nav": "training",
            "course": course,
            "row": row,
            "trainees": trainees,
            "present": present,
            "by_commune": sorted(by_commune.items()),
            "can_organise": actor.is_admin,
        },
    )


@staff_pages.post("/training/sessions/{session_id}/attendance", dependencies=[CsrfDep])
def mark_attendance(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    session_id: int,
    trainee_id: Annotated[int, Form()],
    present: Annotated[str, Form(max_length=5)] = "1",
) -> Response:
    row, _course = core.access_session(session, actor=actor, session_id=session_id, write=True)
    trainee = access_trainee(session, actor=actor, trainee_id=trainee_id)
    do_mark_attendance(
        session, actor=actor, training_session=row, trainee=trainee, present=present == "1"
    )
    return redirect(f"/training/sessions/{row.id}#t{trainee.id}")


@staff_pages.get("/training/sessions/{session_id}/qr")
def qr_page(
    request: Request, session: SessionDep, settings: SettingsDep, actor: StaffActor, session_id: int
) -> Response:
    """The check-in QR, full screen, refreshing itself (training.js)."""
    row, course = core.access_session(session, actor=actor, session_id=session_id, write=True)
    return render(
        request,
        "training/qr.html",
        {"row": row, "course": course, "period": settings.training_qr_seconds},
    )


@staff_pages.get("/training/sessions/{session_id}/qr.svg")
def qr_svg(
    request: Request, session: SessionDep, settings: SettingsDep, actor: StaffActor, session_id: int
) -> Response:
    import segno

    row, _course = core.access_session(session, actor=actor, session_id=session_id, write=True)
    now = utcnow()
    code = checkin_code(
        secret_key=settings.resolve_secret_key(),
        session_id=row.id,
        now=now,
        period=settings.training_qr_seconds,
    )
    url = f"{settings.base_url.rstrip('/')}/hoc/diem-danh/{row.id}?c={code}"
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=10, border=2, xmldecl=False)
    return Response(
        out.getvalue(),
        media_type="image/svg+xml",
        headers={
            "Cache-Control": "no-store",
            "X-Refresh-In": str(seconds_left(now, settings.training_qr_seconds)),
        },
    )


@staff_pages.get("/training/topics/{topic_id}")
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


@staff_pages.post("/training/topics/{topic_id}/questions", dependencies=[CsrfDep])
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
        for line in _lines(options, quizzes.MAX_OPTIONS + 1)
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


@staff_pages.post("/training/courses/{course_id}/quizzes", dependencies=[CsrfDep])
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
        question_count=_int(question_count, "Số câu hỏi", 10),
        time_limit_minutes=_int(time_limit_minutes, "Thời gian", 15),
        pass_percent=_int(pass_percent, "Điểm đạt", 70),
        max_attempts=_int(max_attempts, "Số lần làm", 2),
        partial_credit=partial_credit or settings.training_partial_credit,
    )
    return redirect(f"/training/courses/{course.id}#quizzes")


@staff_pages.get("/training/quizzes/{quiz_id}")
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


@staff_pages.get("/training/courses/{course_id}/report")
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


@staff_pages.get("/training/courses/{course_id}/report.xlsx")
def report_xlsx(session: SessionDep, actor: StaffActor, course_id: int) -> Response:
    course = core.access_course(session, actor=actor, course_id=course_id)
    data = reports.report_xlsx(reports.course_report(session, actor=actor, course=course))
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="bao-cao-khoa-{course.id}.xlsx"',
            "Cache-Control": "no-store",
        },
    )


@staff_pages.post("/training/courses/{course_id}/certificates", dependencies=[CsrfDep])
def issue_certificates(
    request: Request, session: SessionDep, actor: StaffActor, course_id: int
) -> Response:
    course = core.access_course(session, actor=actor, course_id=course_id, write=True)
    reports.do_issue_certificates(session, actor=actor, course=course)
    flash(request, "training.flash.certificates")
    return redirect(f"/training/courses/{course.id}/report")


@staff_pages.get("/training/summary")
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


# --- Trainees on their phones: /hoc ---------------------------------------------------------------


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
    user_id = request.session.get(SESSION_USER)
    if user_id:
        user = session.get(User, int(user_id))
        if user is not None and user.is_active:
            return [Learner(t, via="web", ip=ip) for t in learners_of_user(session, user=user)]
    return []


def _learner(request: Request, session: Session, course_id: int) -> Learner:
    for learner in _learners(request, session):
        if learner.trainee.course_id == course_id:
            return learner
    raise NotFound("Hãy mở đường link cá nhân mà ban tổ chức đã gửi cho bạn để vào học")


@learner_pages.get("/hoc/vao/{key}")
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


@learner_pages.post("/hoc/thoat", dependencies=[CsrfDep])
def sign_out(request: Request) -> Response:
    request.session.pop(SESSION_TRAINEE, None)
    return redirect("/hoc")


@learner_pages.get("/hoc")
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


@learner_pages.get("/hoc/diem-danh/{session_id}")
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


@learner_pages.post("/hoc/diem-danh/{session_id}", dependencies=[CsrfDep])
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


@learner_pages.post("/hoc/bai-thi/{quiz_id}", dependencies=[CsrfDep])
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


@learner_pages.get("/hoc/lam-bai/{attempt_id}")
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


@learner_pages.post("/hoc/lam-bai/{attempt_id}", dependencies=[CsrfDep])
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


@learner_pages.get("/hoc/ket-qua/{attempt_id}")
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


@learner_pages.post("/hoc/chung-nhan/{course_id}", dependencies=[CsrfDep])
def claim_certificate(request: Request, session: SessionDep, course_id: int) -> Response:
    learner = _learner(request, session, course_id)
    certificate = reports.do_claim_certificate(session, learner=learner)
    return redirect(f"/chung-nhan/{certificate.code}")


@learner_pages.get("/hoc/gop-y/{course_id}")
def feedback_page(request: Request, session: SessionDep, course_id: int) -> Response:
    learner = _learner(request, session, course_id)
    course = session.get(Course, course_id)
    return render(
        request,
        "training/m_feedback.html",
        {"course": course, "learner": learner, "keys": reports.RATING_KEYS, "sent": False},
    )


@learner_pages.post("/hoc/gop-y/{course_id}", dependencies=[CsrfDep])
async def send_feedback(request: Request, session: SessionDep, course_id: int) -> Response:
    form = await request.form(max_fields=20)
    ratings: dict[str, int] = {}
    for key in reports.RATING_KEYS:
        value = form.get(key)
        if isinstance(value, str) and value.strip():
            ratings[key] = _int(value, "Điểm")
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


# --- The public certificate check: /chung-nhan ----------------------------------------------------


@learner_pages.get("/chung-nhan")
def certificate_lookup(request: Request, session: SessionDep, ma: str = "") -> Response:
    if ma.strip():
        try:
            found = reports.certificate_by_code(session, ma[:40])
        except NotFound:
            return render(
                request,
                "public/certificate.html",
                {"certificate": None, "code": ma[:40]},
                status_code=404,
            )
        return redirect(f"/chung-nhan/{found.code}")
    return render(request, "public/certificate.html", {"certificate": None, "code": ""})


@learner_pages.get("/chung-nhan/{code}")
def certificate_page(request: Request, session: SessionDep, code: str) -> Response:
    """Confirms a certificate: the holder's name, the course and the date; nothing else."""
    try:
        certificate: Certificate | None = reports.certificate_by_code(session, code[:40])
    except NotFound:
        certificate = None
    return render(
        request,
        "public/certificate.html",
        {"certificate": certificate, "code": code[:40]},
        status_code=200 if certificate else 404,
    )


@learner_pages.get("/chung-nhan/{code}/pdf")
def certificate_pdf(
    request: Request, session: SessionDep, settings: SettingsDep, code: str
) -> Response:
    certificate = reports.certificate_by_code(session, code[:40])
    data = reports.certificate_pdf(
        certificate,
        verify_url=f"{settings.base_url.rstrip('/')}/chung-nhan/{certificate.code}",
        timezone=_tz(settings),
    )
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="chung-nhan-{certificate.code}.pdf"'},
    )


router.include_router(staff_pages)
router.include_router(learner_pages)
