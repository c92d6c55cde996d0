"""Routes of the training area: the JSON API (/api/v1) of courses, topics, materials, sessions,
trainees and check-ins, here; of questions, quizzes, attempts, reports, certificates and feedback,
in `api_assessment`. This module's `router` also includes the pages: the organisers' (/training),
the trainee's phone pages (/hoc) and the public certificate check (/chung-nhan).

Thin over `danvan.training`'s modules. The API takes staff tokens (`dv_…`, scoped as everywhere)
and trainees' personal keys (`tk_…`, good only for their own check-ins, quizzes and feedback):
see `callers`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from danvan.accounts.models import User
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.training import courses as core
from danvan.training.actors import Learner
from danvan.training.attendance import (
    attendance_of_session,
    checkin_code,
    do_check_in,
    do_mark_attendance,
    seconds_left,
)
from danvan.training.models import Course, TrainingSession
from danvan.training.routes import api_assessment, callers, pages, pages_assessment, public
from danvan.training.routes import learner as learner_pages
from danvan.training.routes.callers import Caller
from danvan.training.routes.schemas import (
    CheckinIn,
    CheckinOut,
    CodeOut,
    CourseIn,
    CourseOut,
    EnrolIn,
    Id,
    ImportOut,
    MaterialIn,
    MaterialOut,
    SessionIn,
    SessionOut,
    TopicIn,
    TopicOut,
    TraineeOut,
)
from danvan.training.trainees import (
    MAX_IMPORT_BYTES,
    ImportRejected,
    access_trainee,
    do_enrol_user,
    do_import_trainees,
    list_trainees,
)
from danvan.web.api import ERRORS, WRITE_ERRORS, ApiRoute
from danvan.web.deps import SessionDep, SettingsDep

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["training"], route_class=ApiRoute, responses=ERRORS)


def _secret(settings: Settings) -> str:
    return settings.resolve_secret_key()


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- API: courses, topics, materials --------------------------------------------------------------


@api.post("/courses", status_code=201, responses=WRITE_ERRORS)
def create_course(
    caller: Caller, session: SessionDep, settings: SettingsDep, body: CourseIn
) -> CourseOut:
    """Create a course with its ordered topics, trainers and target audience (organisers)."""
    actor = callers.staff(caller)
    course = core.do_create_course(
        session,
        actor=actor,
        data=core.CourseInput(
            title=body.title,
            description=body.description,
            topics=[t if isinstance(t, str) else (t.title, t.description) for t in body.topics],
            trainers=body.trainers,
            audience_communes=body.audience_communes,
            audience_roles=body.audience_roles,
            min_attendance_percent=body.min_attendance_percent,
        ),
        province_code=settings.province,
    )
    return CourseOut.of(course)


@api.get("/courses")
def list_courses(caller: Caller, session: SessionDep) -> list[CourseOut]:
    """The courses you may see (aimed at one of your communes, or at the whole province)."""
    return [CourseOut.of(c) for c in core.list_courses(session, actor=callers.staff(caller))]


@api.get("/courses/{course_id}")
def get_course(caller: Caller, session: SessionDep, course_id: Id) -> CourseOut:
    """One course, with its topics and their materials."""
    if isinstance(caller, Learner):
        callers.learner(session, caller, course_id)
        course = session.get(Course, course_id)
        assert course is not None
        return CourseOut.of(course)
    return CourseOut.of(core.access_course(session, actor=caller, course_id=course_id))


@api.post("/courses/{course_id}/topics", status_code=201, responses=WRITE_ERRORS)
def add_topic(caller: Caller, session: SessionDep, course_id: Id, body: TopicIn) -> TopicOut:
    """Add a topic at the end of the course."""
    actor = callers.staff(caller)
    course = core.access_course(session, actor=actor, course_id=course_id, write=True)
    topic = core.do_add_topic(
        session, actor=actor, course=course, title=body.title, description=body.description
    )
    return TopicOut(
        id=topic.id,
        position=topic.position,
        title=topic.title,
        description=topic.description,
        materials=[],
    )


@api.post("/topics/{topic_id}/materials", status_code=201, responses=WRITE_ERRORS)
def add_material(
    caller: Caller, session: SessionDep, topic_id: Id, body: MaterialIn
) -> MaterialOut:
    """Attach a link or a short text to a topic (files: from the training pages)."""
    actor = callers.staff(caller)
    topic = core.access_topic(session, actor=actor, topic_id=topic_id, write=True)
    material = core.do_add_material(
        session,
        actor=actor,
        topic=topic,
        kind=body.kind,
        title=body.title,
        url=body.url,
        body=body.body,
    )
    return MaterialOut(
        id=material.id,
        kind=material.kind,
        title=material.title,
        url=material.url,
        body=material.body,
    )


# --- API: sessions and trainees -------------------------------------------------------------------


@api.post("/courses/{course_id}/sessions", status_code=201, responses=WRITE_ERRORS)
def create_session(
    caller: Caller, session: SessionDep, course_id: Id, body: SessionIn
) -> SessionOut:
    """Add a session (date, time, venue, topics). Times without a zone are taken as UTC."""
    actor = callers.staff(caller)
    course = core.access_course(session, actor=actor, course_id=course_id, write=True)
    row = core.do_create_session(
        session,
        actor=actor,
        course=course,
        starts_at=_aware(body.starts_at),
        ends_at=_aware(body.ends_at),
        title=body.title,
        venue=body.venue,
        topic_ids=body.topic_ids,
    )
    return SessionOut.of(row)


@api.get("/courses/{course_id}/sessions")
def list_course_sessions(caller: Caller, session: SessionDep, course_id: Id) -> list[SessionOut]:
    """The course's sessions in time order."""
    if isinstance(caller, Learner):
        callers.learner(session, caller, course_id)
        course = session.get(Course, course_id)
        assert course is not None
    else:
        course = core.access_course(session, actor=caller, course_id=course_id)
    return [SessionOut.of(s) for s in core.list_sessions(session, course=course)]


@api.post(
    "/courses/{course_id}/trainees/import",
    status_code=201,
    responses={**WRITE_ERRORS, 422: {"description": "Bad rows, listed in `errors`; none stored"}},
)
async def import_trainees(
    caller: Caller,
    session: SessionDep,
    settings: SettingsDep,
    course_id: Id,
    file: Annotated[
        UploadFile, File(description="XLSX: Họ và tên, Chức vụ, Xã/phường, Số điện thoại, Email")
    ],
) -> Any:
    """Enrol the people of an XLSX list. All or nothing: with any bad row, every problem is
    listed by row in `errors` and nobody is enrolled. Each new trainee's personal key (their
    sign-in link) is returned once."""
    actor = callers.staff(caller)
    data = await file.read(MAX_IMPORT_BYTES + 1)

    def work() -> Any:
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
            return JSONResponse(
                {
                    "detail": exc.message,
                    "code": exc.code,
                    "errors": [e.as_dict() for e in exc.errors],
                },
                status_code=422,
            )
        return ImportOut(
            created=len(result.created),
            trainees=[TraineeOut.of(t, k, settings.base_url) for t, k in result.created],
        )

    return await run_in_threadpool(work)


@api.post("/courses/{course_id}/trainees", status_code=201, responses=WRITE_ERRORS)
def enrol_staff(caller: Caller, session: SessionDep, course_id: Id, body: EnrolIn) -> TraineeOut:
    """Enrol a staff account (they check in and take quizzes with their own sign-in/token)."""
    actor = callers.staff(caller)
    course = core.access_course(session, actor=actor, course_id=course_id, write=True)
    user = session.get(User, body.user_id)
    if user is None or not user.is_active:
        raise NotFound("Không tìm thấy tài khoản")
    trainee = do_enrol_user(session, actor=actor, course=course, user=user, phone=body.phone)
    return TraineeOut.of(trainee)


@api.get("/courses/{course_id}/trainees")
def list_course_trainees(caller: Caller, session: SessionDep, course_id: Id) -> list[TraineeOut]:
    """The course's trainees (other staff than organisers: of their communes only)."""
    actor = callers.staff(caller)
    course = core.access_course(session, actor=actor, course_id=course_id)
    return [TraineeOut.of(t) for t in list_trainees(session, actor=actor, course=course)]


@api.get("/sessions/{session_id}/code", responses=WRITE_ERRORS)
def current_code(
    caller: Caller, session: SessionDep, settings: SettingsDep, session_id: Id
) -> CodeOut:
    """The check-in code shown in the hall right now (organisers; it changes every
    `DANVAN_TRAINING_QR_SECONDS`)."""
    actor = callers.staff(caller)
    row, _course = core.access_session(session, actor=actor, session_id=session_id, write=True)
    now = utcnow()
    code = checkin_code(
        secret_key=_secret(settings),
        session_id=row.id,
        now=now,
        period=settings.training_qr_seconds,
    )
    return CodeOut(
        code=code,
        url=checkin_url(settings, row.id, code),
        expires_in=seconds_left(now, settings.training_qr_seconds),
    )


def checkin_url(settings: Settings, session_id: int, code: str) -> str:
    return f"{settings.base_url.rstrip('/')}/hoc/diem-danh/{session_id}?c={code}"


@api.post("/sessions/{session_id}/checkins", status_code=201, responses=WRITE_ERRORS)
def check_in(
    caller: Caller,
    session: SessionDep,
    settings: SettingsDep,
    session_id: Id,
    body: CheckinIn,
    response: Response,
) -> CheckinOut:
    """Check in. A trainee (key, or enrolled staff token) sends the `code` of the QR shown in
    the hall: a code older than the previous window, or forged, is refused. An organiser sends
    `trainee_id` to mark attendance by hand (`present: false` removes it). 201 when recorded
    now, 200 when the trainee was already checked in."""
    row = session.get(TrainingSession, session_id)
    if row is None:
        raise NotFound("Không tìm thấy buổi học")
    if body.trainee_id is not None:
        actor = callers.staff(caller)
        row, _course = core.access_session(session, actor=actor, session_id=session_id, write=True)
        trainee = access_trainee(session, actor=actor, trainee_id=body.trainee_id)
        existed = trainee.id in attendance_of_session(session, training_session=row)
        attendance = do_mark_attendance(
            session, actor=actor, training_session=row, trainee=trainee, present=body.present
        )
        if attendance is None or existed:
            response.status_code = 200
        return CheckinOut(
            session_id=row.id,
            trainee_id=trainee.id,
            present=attendance is not None,
            method=attendance.method if attendance else None,
            at=attendance.at if attendance else None,
            created=attendance is not None and not existed,
        )
    learner = callers.learner(session, caller, row.course_id)
    if not body.code:
        raise Invalid("Thiếu mã điểm danh: hãy quét mã QR trong hội trường", code="qr_missing")
    attendance, created = do_check_in(
        session,
        learner=learner,
        training_session=row,
        code=body.code,
        secret_key=_secret(settings),
        now=utcnow(),
        period=settings.training_qr_seconds,
    )
    if not created:
        response.status_code = 200
    return CheckinOut(
        session_id=row.id,
        trainee_id=learner.trainee.id,
        present=True,
        method=attendance.method,
        at=attendance.at,
        created=created,
    )


router.include_router(api)
router.include_router(api_assessment.router)

# The pages (organisers, trainees' phones, the public certificate check) share this router.
router.include_router(pages.router)
router.include_router(pages_assessment.router)
router.include_router(learner_pages.router)
router.include_router(public.router)
