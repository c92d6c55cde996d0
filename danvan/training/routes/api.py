"""Routes of the training area: the JSON API (/api/v1), the organisers' pages (/training), the
trainee's phone pages (/hoc) and the public certificate check (/chung-nhan).

Thin over `danvan.training.courses*`. The API takes staff tokens (`dv_…`, scoped as everywhere) and
trainees' personal keys (`tk_…`, good only for their own check-ins, quizzes and feedback).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Header, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.accounts.staff import user_for_token
from danvan.kernel import geo
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.training import courses as core
from danvan.training import quizzes as quizzes
from danvan.training import reports as reports
from danvan.training.actors import Learner
from danvan.training.attendance import (
    attendance_of_session,
    checkin_code,
    do_check_in,
    do_mark_attendance,
    seconds_left,
)
from danvan.training.models import Course, Quiz, QuizAttempt, Trainee, TrainingSession
from danvan.training.routes import learner as learner_pages
from danvan.training.routes import pages, pages_assessment, public
from danvan.training.trainees import (
    KEY_PREFIX,
    MAX_IMPORT_BYTES,
    ImportRejected,
    access_trainee,
    do_enrol_user,
    do_import_trainees,
    learner_for_key,
    learner_in_course,
    list_trainees,
)
from danvan.web.api import ERRORS, MAX_DB_INT, WRITE_ERRORS, ApiRoute
from danvan.web.deps import SessionDep, SettingsDep, client_ip

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["training"], route_class=ApiRoute, responses=ERRORS)

Id = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
DbId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]


# --- Who is calling -------------------------------------------------------------------------------


def _bearer(authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(
            status_code=401, detail="Missing bearer token", headers={"WWW-Authenticate": "Bearer"}
        )
    return authorization[7:].strip()


def api_caller(
    request: Request, session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> Actor | Learner:
    """A staff account (personal API token) or a trainee (personal key)."""
    token = _bearer(authorization)
    ip = client_ip(request)
    if token.startswith(KEY_PREFIX):
        learner = learner_for_key(session, token, via="api", ip=ip)
        if learner is not None:
            return learner
    else:
        user = user_for_token(session, token)
        if user is not None:
            return Actor(user, via="api", ip=ip)
    raise HTTPException(
        status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"}
    )


Caller = Annotated[Actor | Learner, Depends(api_caller)]


def _staff(caller: Actor | Learner) -> Actor:
    if isinstance(caller, Learner):
        # A trainee's key opens their own training, nothing else: as if the rest did not exist.
        raise NotFound()
    return caller


def _learner(session: Session, caller: Actor | Learner, course_id: int) -> Learner:
    """The trainee acting: their key, or a staff account enrolled in that course."""
    if isinstance(caller, Learner):
        if caller.trainee.course_id != course_id:
            raise NotFound()
        return caller
    learner = learner_in_course(
        session, user=caller.user, course_id=course_id, via="api", ip=caller.ip
    )
    if learner is None:
        raise Invalid("Bạn không ghi danh khoá học này", code="not_enrolled")
    return learner


def _secret(settings: Settings) -> str:
    return settings.resolve_secret_key()


# --- Schemas --------------------------------------------------------------------------------------


class TopicIn(BaseModel):
    title: str = Field(max_length=1000)
    description: str = Field(default="", max_length=40_000)


class CourseIn(BaseModel):
    title: str = Field(max_length=1000)
    description: str = Field(default="", max_length=40_000)
    topics: list[str | TopicIn] = Field(default_factory=list, max_length=core.MAX_TOPICS)
    trainers: list[Annotated[str, Field(max_length=1000)]] = Field(
        default_factory=list, max_length=core.MAX_TRAINERS
    )
    audience_communes: list[DbId] = Field(default_factory=list, max_length=500)
    audience_roles: list[Literal["admin", "officer", "viewer"]] = Field(default_factory=list)
    min_attendance_percent: int = Field(default=80, ge=0, le=100)


class MaterialOut(BaseModel):
    id: int
    kind: str
    title: str
    url: str
    body: str


class TopicOut(BaseModel):
    id: int
    position: int
    title: str
    description: str
    materials: list[MaterialOut]


class CourseOut(BaseModel):
    id: int
    title: str
    description: str
    trainers: list[str]
    audience_communes: list[int]
    audience_roles: list[str]
    min_attendance_percent: int
    topics: list[TopicOut]

    @classmethod
    def of(cls, course: Course) -> CourseOut:
        return cls(
            id=course.id,
            title=course.title,
            description=course.description,
            trainers=list(course.trainers),
            audience_communes=list(course.audience_communes),
            audience_roles=list(course.audience_roles),
            min_attendance_percent=course.min_attendance_percent,
            topics=[
                TopicOut(
                    id=t.id,
                    position=t.position,
                    title=t.title,
                    description=t.description,
                    materials=[
                        MaterialOut(id=m.id, kind=m.kind, title=m.title, url=m.url, body=m.body)
                        for m in t.materials
                    ],
                )
                for t in course.topics
            ],
        )


class MaterialIn(BaseModel):
    kind: Literal["link", "text"]
    title: str = Field(max_length=1000)
    url: str = Field(default="", max_length=2000)
    body: str = Field(default="", max_length=40_000)


class SessionIn(BaseModel):
    starts_at: datetime
    ends_at: datetime
    title: str = Field(default="", max_length=1000)
    venue: str = Field(default="", max_length=1000)
    topic_ids: list[DbId] = Field(default_factory=list, max_length=core.MAX_TOPICS)


class SessionOut(BaseModel):
    id: int
    course_id: int
    title: str
    venue: str
    starts_at: datetime
    ends_at: datetime
    topic_ids: list[int]

    @classmethod
    def of(cls, row: TrainingSession) -> SessionOut:
        return cls(
            id=row.id,
            course_id=row.course_id,
            title=row.title,
            venue=row.venue,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            topic_ids=list(row.topic_ids),
        )


class TraineeOut(BaseModel):
    id: int
    full_name: str
    position: str
    commune_code: int | None
    commune_name: str
    staff_account: bool
    activated: bool
    key: str | None = Field(default=None, description="Personal key, shown once (import only)")
    signin_url: str | None = None

    @classmethod
    def of(cls, trainee: Trainee, key: str | None = None, base_url: str = "") -> TraineeOut:
        return cls(
            id=trainee.id,
            full_name=trainee.full_name,
            position=trainee.position,
            commune_code=trainee.commune_code,
            commune_name=geo.commune_name(trainee.commune_code),
            staff_account=trainee.user_id is not None,
            activated=trainee.activated_at is not None or trainee.user_id is not None,
            key=key,
            signin_url=f"{base_url.rstrip('/')}/hoc/vao/{key}" if key else None,
        )


class ImportOut(BaseModel):
    created: int
    trainees: list[TraineeOut]


class CodeOut(BaseModel):
    code: str
    url: str
    expires_in: int


class CheckinIn(BaseModel):
    code: str | None = Field(default=None, max_length=100)
    trainee_id: DbId | None = Field(
        default=None, description="Organisers: mark this trainee present by hand (no code)"
    )
    present: bool = True


class CheckinOut(BaseModel):
    session_id: int
    trainee_id: int
    present: bool
    method: str | None
    at: datetime | None
    created: bool


class OptionIn(BaseModel):
    text: str = Field(max_length=4000)
    correct: bool = False


class QuestionIn(BaseModel):
    kind: Literal["single", "multiple"]
    text: str = Field(max_length=8000)
    explanation: str = Field(default="", max_length=8000)
    options: list[OptionIn] = Field(max_length=quizzes.MAX_OPTIONS)


class QuestionOut(BaseModel):
    id: int
    topic_id: int
    kind: str


class QuizIn(BaseModel):
    title: str = Field(max_length=1000)
    topic_ids: list[DbId] = Field(default_factory=list, max_length=core.MAX_TOPICS)
    question_count: int = Field(default=10, ge=1, le=200)
    time_limit_minutes: int = Field(default=15, ge=1, le=600)
    pass_percent: int = Field(default=70, ge=0, le=100)
    max_attempts: int = Field(default=2, ge=0, le=100)
    retake_after_pass: bool = False
    partial_credit: Literal["proportional", "all_or_nothing"] | None = Field(
        default=None, description="Multiple choice; default from DANVAN_TRAINING_PARTIAL_CREDIT"
    )


class QuizOut(BaseModel):
    id: int
    course_id: int
    title: str
    topic_ids: list[int]
    question_count: int
    time_limit_minutes: int
    pass_percent: int
    max_attempts: int
    retake_after_pass: bool
    partial_credit: str

    @classmethod
    def of(cls, quiz: Quiz) -> QuizOut:
        return cls(
            id=quiz.id,
            course_id=quiz.course_id,
            title=quiz.title,
            topic_ids=list(quiz.topic_ids),
            question_count=quiz.question_count,
            time_limit_minutes=quiz.time_limit_minutes,
            pass_percent=quiz.pass_percent,
            max_attempts=quiz.max_attempts,
            retake_after_pass=quiz.retake_after_pass,
            partial_credit=quiz.partial_credit,
        )


class AttemptOption(BaseModel):
    id: int
    text: str
    chosen: bool = False
    correct: bool | None = None


class AttemptQuestion(BaseModel):
    id: int
    kind: str
    text: str
    options: list[AttemptOption]
    credit: float | None = None
    explanation: str | None = None


class AttemptOut(BaseModel):
    id: int
    quiz_id: int
    number: int
    status: str
    started_at: datetime
    deadline: datetime
    questions: list[AttemptQuestion]
    score: float | None = None
    max_score: float | None = None
    percent: float | None = None
    passed: bool | None = None


class AnswerIn(BaseModel):
    question_id: DbId
    option_ids: list[DbId] = Field(default_factory=list, max_length=quizzes.MAX_OPTIONS)


class AnswersIn(BaseModel):
    answers: list[AnswerIn] = Field(max_length=200)


class FeedbackIn(BaseModel):
    ratings: dict[str, int] = Field(default_factory=dict, max_length=10)
    text: str = Field(default="", max_length=8000)


class CertificateOut(BaseModel):
    code: str
    holder_name: str
    course_title: str
    issued_at: datetime
    verify_url: str


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


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- API: courses, topics, materials --------------------------------------------------------------


@api.post("/courses", status_code=201, responses=WRITE_ERRORS)
def create_course(
    caller: Caller, session: SessionDep, settings: SettingsDep, body: CourseIn
) -> CourseOut:
    """Create a course with its ordered topics, trainers and target audience (organisers)."""
    actor = _staff(caller)
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
    return [CourseOut.of(c) for c in core.list_courses(session, actor=_staff(caller))]


@api.get("/courses/{course_id}")
def get_course(caller: Caller, session: SessionDep, course_id: Id) -> CourseOut:
    """One course, with its topics and their materials."""
    if isinstance(caller, Learner):
        _learner(session, caller, course_id)
        course = session.get(Course, course_id)
        assert course is not None
        return CourseOut.of(course)
    return CourseOut.of(core.access_course(session, actor=caller, course_id=course_id))


@api.post("/courses/{course_id}/topics", status_code=201, responses=WRITE_ERRORS)
def add_topic(caller: Caller, session: SessionDep, course_id: Id, body: TopicIn) -> TopicOut:
    """Add a topic at the end of the course."""
    actor = _staff(caller)
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
    actor = _staff(caller)
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
    actor = _staff(caller)
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
        _learner(session, caller, course_id)
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
    actor = _staff(caller)
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


class EnrolIn(BaseModel):
    user_id: DbId
    phone: str = Field(max_length=40)


@api.post("/courses/{course_id}/trainees", status_code=201, responses=WRITE_ERRORS)
def enrol_staff(caller: Caller, session: SessionDep, course_id: Id, body: EnrolIn) -> TraineeOut:
    """Enrol a staff account (they check in and take quizzes with their own sign-in/token)."""
    actor = _staff(caller)
    course = core.access_course(session, actor=actor, course_id=course_id, write=True)
    user = session.get(User, body.user_id)
    if user is None or not user.is_active:
        raise NotFound("Không tìm thấy tài khoản")
    trainee = do_enrol_user(session, actor=actor, course=course, user=user, phone=body.phone)
    return TraineeOut.of(trainee)


@api.get("/courses/{course_id}/trainees")
def list_course_trainees(caller: Caller, session: SessionDep, course_id: Id) -> list[TraineeOut]:
    """The course's trainees (other staff than organisers: of their communes only)."""
    actor = _staff(caller)
    course = core.access_course(session, actor=actor, course_id=course_id)
    return [TraineeOut.of(t) for t in list_trainees(session, actor=actor, course=course)]


@api.get("/sessions/{session_id}/code", responses=WRITE_ERRORS)
def current_code(
    caller: Caller, session: SessionDep, settings: SettingsDep, session_id: Id
) -> CodeOut:
    """The check-in code shown in the hall right now (organisers; it changes every
    `DANVAN_TRAINING_QR_SECONDS`)."""
    actor = _staff(caller)
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
        actor = _staff(caller)
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
    learner = _learner(session, caller, row.course_id)
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


# --- API: questions, quizzes, attempts ------------------------------------------------------------


@api.post("/topics/{topic_id}/questions", status_code=201, responses=WRITE_ERRORS)
def add_question(
    caller: Caller, session: SessionDep, topic_id: Id, body: QuestionIn
) -> QuestionOut:
    """Add a single- or multiple-choice question, with its explanation, to a topic's bank."""
    actor = _staff(caller)
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


@api.post("/courses/{course_id}/quizzes", status_code=201, responses=WRITE_ERRORS)
def create_quiz(
    caller: Caller, session: SessionDep, settings: SettingsDep, course_id: Id, body: QuizIn
) -> QuizOut:
    """A quiz drawn from the banks of some topics (none listed: all the course's topics)."""
    actor = _staff(caller)
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


@api.get("/courses/{course_id}/quizzes")
def list_course_quizzes(caller: Caller, session: SessionDep, course_id: Id) -> list[QuizOut]:
    """The course's quizzes."""
    if isinstance(caller, Learner):
        _learner(session, caller, course_id)
    else:
        core.access_course(session, actor=caller, course_id=course_id)
    return [QuizOut.of(q) for q in quizzes.list_quizzes(session, course_id=course_id)]


@api.post("/quizzes/{quiz_id}/attempts", status_code=201)
def start_attempt(
    caller: Caller, session: SessionDep, settings: SettingsDep, quiz_id: Id, response: Response
) -> AttemptOut:
    """Start an attempt (questions and options shuffled for you), or get back the one still
    running (200). Refused when the retake policy allows no more attempts."""
    quiz = session.get(Quiz, quiz_id)
    if quiz is None:
        raise NotFound("Không tìm thấy bài kiểm tra")
    learner = _learner(session, caller, quiz.course_id)
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


@api.post("/attempts/{attempt_id}/answers")
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
    learner = _learner(session, caller, quiz.course_id)
    answers: dict[int, list[int]] = {}
    for answer in body.answers:
        answers.setdefault(answer.question_id, []).extend(answer.option_ids)
    now = utcnow()
    quizzes.do_submit_attempt(
        session, learner=learner, attempt=attempt, answers=answers, now=now, grace=_grace(settings)
    )
    return attempt_out(session, attempt, now=now, grace=_grace(settings))


@api.get("/attempts/{attempt_id}")
def get_attempt(
    caller: Caller, session: SessionDep, settings: SettingsDep, attempt_id: Id
) -> AttemptOut:
    """One of your attempts (graded ones with the right answers)."""
    attempt = session.get(QuizAttempt, attempt_id)
    if attempt is None:
        raise NotFound("Không tìm thấy bài làm")
    quiz = session.get(Quiz, attempt.quiz_id)
    assert quiz is not None
    learner = _learner(session, caller, quiz.course_id)
    attempt = quizzes.access_attempt(session, learner=learner, attempt_id=attempt_id)
    return attempt_out(session, attempt, now=utcnow(), grace=_grace(settings))


@api.get("/quizzes/{quiz_id}/stats")
def quiz_stats(caller: Caller, session: SessionDep, quiz_id: Id) -> dict[str, Any]:
    """Per question and per topic: answers and mean credit, weakest first (what to reteach)."""
    actor = _staff(caller)
    quiz = quizzes.access_quiz(session, actor=actor, quiz_id=quiz_id)
    course = session.get(Course, quiz.course_id)
    assert course is not None
    per_question, per_topic = quizzes.question_stats(session, course=course, quiz=quiz)
    return {
        "questions": [s.__dict__ for s in per_question],
        "topics": [t.__dict__ for t in per_topic],
    }


# --- API: report, certificates, feedback ----------------------------------------------------------


@api.get("/courses/{course_id}/report", response_model=None)
def course_report(
    caller: Caller,
    session: SessionDep,
    course_id: Id,
    format: Annotated[Literal["json", "xlsx"], Query()] = "json",
) -> dict[str, Any] | Response:
    """Attendance and scores per session, per commune and per person (`format=xlsx`: a
    workbook). Staff other than organisers see their communes' trainees only."""
    actor = _staff(caller)
    course = core.access_course(session, actor=actor, course_id=course_id)
    report = reports.course_report(session, actor=actor, course=course)
    if format == "xlsx":
        return _xlsx(reports.report_xlsx(report), f"bao-cao-khoa-{course.id}.xlsx")
    return report


def _xlsx(data: bytes, name: str) -> Response:
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@api.post("/courses/{course_id}/certificates", status_code=201, responses=WRITE_ERRORS)
def issue_certificates(
    caller: Caller, session: SessionDep, settings: SettingsDep, course_id: Id
) -> list[CertificateOut]:
    """Issue certificates to every trainee who attended enough and passed every quiz."""
    actor = _staff(caller)
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


@api.post("/courses/{course_id}/certificate", status_code=201)
def claim_certificate(
    caller: Caller, session: SessionDep, settings: SettingsDep, course_id: Id
) -> CertificateOut:
    """A trainee's own certificate, issued when the rules are met (422 says what is missing)."""
    learner = _learner(session, caller, course_id)
    return certificate_out(settings, reports.do_claim_certificate(session, learner=learner))


@api.post("/courses/{course_id}/feedback", status_code=201)
def give_feedback(
    caller: Caller, session: SessionDep, course_id: Id, body: FeedbackIn
) -> dict[str, Any]:
    """The end-of-course survey: ratings 1–5 (content, trainers, organisation) and free text."""
    learner = _learner(session, caller, course_id)
    feedback = reports.do_submit_feedback(
        session, learner=learner, ratings=body.ratings, text=body.text
    )
    return {"ratings": feedback.ratings, "text": feedback.text}


@api.get("/courses/{course_id}/feedback")
def feedback_summary(caller: Caller, session: SessionDep, course_id: Id) -> dict[str, Any]:
    """The survey in aggregate: rating averages and the most frequent words of the free text."""
    actor = _staff(caller)
    course = core.access_course(session, actor=actor, course_id=course_id)
    return reports.feedback_summary(session, course=course)


router.include_router(api)

# The pages (organisers, trainees' phones, the public certificate check) share this router.
router.include_router(pages.router)
router.include_router(pages_assessment.router)
router.include_router(learner_pages.router)
router.include_router(public.router)
