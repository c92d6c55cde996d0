"""Organisers' pages of the training area under /training: courses, topics and their
materials, sessions, trainees (XLSX import, sign-in cards), attendance and the check-in QR.
Question banks, quizzes and reports: `pages_assessment`; the trainee's phone pages: `learner`;
the public certificate check: `public`.

Thin over `danvan.training`'s modules; errors become pages (`StaffRoute`) after the request's
transaction has rolled back.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from danvan.accounts.actors import Actor
from danvan.kernel import geo
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.training import courses as core
from danvan.training import quizzes as quizzes
from danvan.training.actors import sees_course
from danvan.training.attendance import (
    attendance_of_session,
    checkin_code,
    do_mark_attendance,
    seconds_left,
)
from danvan.training.models import Course, CourseTopic, TopicMaterial, Trainee
from danvan.training.routes.kit import MAX_FORM, SESSION_TRAINEE, form_int, lines, tz
from danvan.training.trainees import (
    MAX_IMPORT_BYTES,
    ImportRejected,
    access_trainee,
    do_import_trainees,
    do_issue_keys,
    list_trainees,
)
from danvan.web.deps import CsrfDep, SessionDep, SettingsDep, signed_in_user
from danvan.web.pages import StaffActor, StaffRoute, flash, page, redirect, remember_session
from danvan.web.templating import render

router = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)


def _local_datetime(day: str, hour: str, settings: Settings) -> datetime:
    try:
        naive = datetime.fromisoformat(f"{day.strip()}T{hour.strip() or '00:00'}")
    except ValueError:
        raise Invalid("Ngày giờ không hợp lệ", code="invalid_input") from None
    return naive.replace(tzinfo=tz(settings))


@router.get("/training")
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


@router.post("/training/courses", dependencies=[CsrfDep])
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
            topics=lines(topics),
            trainers=lines(trainers),
            audience_communes=(communes or [])[:500],
            min_attendance_percent=form_int(min_attendance_percent, "Chuyên cần", 80),
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


@router.get("/training/courses/{course_id}")
def course_page(
    request: Request, session: SessionDep, actor: StaffActor, course_id: int
) -> Response:
    course = core.access_course(session, actor=actor, course_id=course_id)
    return page(
        request, session, actor, "training/course.html", _course_context(session, actor, course)
    )


@router.post("/training/courses/{course_id}/topics", dependencies=[CsrfDep])
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


@router.post("/training/topics/{topic_id}/materials", dependencies=[CsrfDep])
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


@router.get("/training/materials/{material_id}")
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
    user = signed_in_user(request, session)
    if user is not None and sees_course(Actor(user), course):
        return True
    trainee_id = request.session.get(SESSION_TRAINEE)
    if trainee_id:
        trainee = session.get(Trainee, int(trainee_id))
        return trainee is not None and trainee.course_id == course.id
    return False


@router.post("/training/courses/{course_id}/sessions", dependencies=[CsrfDep])
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


@router.post("/training/courses/{course_id}/import", dependencies=[CsrfDep])
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


@router.post("/training/courses/{course_id}/cards", dependencies=[CsrfDep])
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


@router.get("/training/sessions/{session_id}")
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


@router.post("/training/sessions/{session_id}/attendance", dependencies=[CsrfDep])
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


@router.get("/training/sessions/{session_id}/qr")
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


@router.get("/training/sessions/{session_id}/qr.svg")
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
