"""The training API's request and response bodies (pydantic), and the ids it takes in paths
and bodies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field

from danvan.kernel import geo
from danvan.training import courses as core
from danvan.training import quizzes as quizzes
from danvan.training.models import Course, Quiz, Trainee, TrainingSession
from danvan.web.api import MAX_DB_INT, ApiDateTime, Schema

Id = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
DbId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]


class TopicIn(Schema):
    title: str = Field(max_length=1000)
    description: str = Field(default="", max_length=40_000)


class CourseIn(Schema):
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


class MaterialIn(Schema):
    kind: Literal["link", "text"]
    title: str = Field(max_length=1000)
    url: str = Field(default="", max_length=2000)
    body: str = Field(default="", max_length=40_000)


class SessionIn(Schema):
    starts_at: ApiDateTime
    ends_at: ApiDateTime
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


class EnrolIn(Schema):
    user_id: DbId
    phone: str = Field(max_length=40)


class CodeOut(BaseModel):
    code: str
    url: str
    expires_in: int


class CheckinIn(Schema):
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


class OptionIn(Schema):
    text: str = Field(max_length=4000)
    correct: bool = False


class QuestionIn(Schema):
    kind: Literal["single", "multiple"]
    text: str = Field(max_length=8000)
    explanation: str = Field(default="", max_length=8000)
    options: list[OptionIn] = Field(max_length=quizzes.MAX_OPTIONS)


class QuestionOut(BaseModel):
    id: int
    topic_id: int
    kind: str


class QuizIn(Schema):
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


class AnswerIn(Schema):
    question_id: DbId
    option_ids: list[DbId] = Field(default_factory=list, max_length=quizzes.MAX_OPTIONS)


class AnswersIn(Schema):
    answers: list[AnswerIn] = Field(max_length=200)


class FeedbackIn(Schema):
    ratings: dict[str, int] = Field(default_factory=dict, max_length=10)
    text: str = Field(default="", max_length=8000)


class CertificateOut(BaseModel):
    code: str
    holder_name: str
    course_title: str
    issued_at: datetime
    verify_url: str
