"""Tables of the training area: courses, topics and materials, sessions, trainees, attendance,
the question bank, quizzes and attempts, certificates and end-of-course feedback.

Trainees are staff (commune officials), so this is staff data, not citizen data: nothing here is
part of a citizen's Decree 13 export. A trainee imported from a list is not a `User`: they sign
in with a personal key (see ARCHITECTURE.md, "Training").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from danvan.kernel.models import Base, JSONType, NullableJSON, utcnow


class Course(Base):
    __tablename__ = "training_courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    # Target audience: commune codes (empty = the whole province) and staff roles.
    audience_communes: Mapped[list[int]] = mapped_column(JSONType, default=list)
    audience_roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    trainers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # A certificate needs this share of the sessions attended, and every quiz passed.
    min_attendance_percent: Mapped[int] = mapped_column(default=80)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    topics: Mapped[list[CourseTopic]] = relationship(
        back_populates="course",
        order_by="CourseTopic.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class CourseTopic(Base):
    __tablename__ = "training_topics"
    __table_args__ = (UniqueConstraint("course_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("training_courses.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")

    course: Mapped[Course] = relationship(back_populates="topics")
    materials: Mapped[list[TopicMaterial]] = relationship(
        order_by="TopicMaterial.id", cascade="all, delete-orphan", lazy="selectin"
    )


class TopicMaterial(Base):
    """A file, a link or a short text attached to a topic."""

    __tablename__ = "training_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("training_topics.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # file | link | text
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(2000), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    filename: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingSession(Base):
    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("training_courses.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    venue: Mapped[str] = mapped_column(String(300), default="")
    topic_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Trainee(Base):
    """Someone enrolled in a course: a staff account (`user_id`), or a person from an imported
    list who signs in with a personal key (only its SHA-256 is kept)."""

    __tablename__ = "training_trainees"
    __table_args__ = (
        UniqueConstraint("course_id", "phone"),
        Index("ix_training_trainees_course_user", "course_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("training_courses.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    full_name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[str] = mapped_column(String(200), default="")
    commune_code: Mapped[int | None] = mapped_column(index=True)
    phone: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Set when the trainee first signs in with their key: from then on it is their account.
    activated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attendance(Base):
    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("session_id", "trainee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    trainee_id: Mapped[int] = mapped_column(
        ForeignKey("training_trainees.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[str] = mapped_column(String(8))  # qr | manual
    at: Mapped[datetime] = mapped_column(default=utcnow)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Question(Base):
    """A question of a topic's bank: single or multiple choice, with an explanation."""

    __tablename__ = "training_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("training_topics.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # single | multiple
    text: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    options: Mapped[list[QuestionOption]] = relationship(
        order_by="QuestionOption.position", cascade="all, delete-orphan", lazy="selectin"
    )


class QuestionOption(Base):
    __tablename__ = "training_question_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("training_questions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    text: Mapped[str] = mapped_column(String(1000))
    is_correct: Mapped[bool] = mapped_column(default=False)


class Quiz(Base):
    __tablename__ = "training_quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("training_courses.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    # Topics drawn from (empty = every topic of the course) and how many questions per attempt.
    topic_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    question_count: Mapped[int] = mapped_column(default=10)
    time_limit_minutes: Mapped[int] = mapped_column(default=15)
    pass_percent: Mapped[int] = mapped_column(default=70)
    max_attempts: Mapped[int] = mapped_column(default=2)  # 0 = no limit
    retake_after_pass: Mapped[bool] = mapped_column(default=False)
    # Multiple choice: "all_or_nothing" or "proportional" (see core.training_quiz.credit).
    partial_credit: Mapped[str] = mapped_column(String(20), default="proportional")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizAttempt(Base):
    __tablename__ = "training_attempts"
    # One row per attempt number: a double tap on "start" cannot open two attempts.
    __table_args__ = (UniqueConstraint("quiz_id", "trainee_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("training_quizzes.id", ondelete="CASCADE"))
    trainee_id: Mapped[int] = mapped_column(
        ForeignKey("training_trainees.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | graded | expired
    # The questions in the order shown, each with its options in the order shown.
    layout: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    score: Mapped[float] = mapped_column(default=0.0)
    max_score: Mapped[float] = mapped_column(default=0.0)
    percent: Mapped[float] = mapped_column(default=0.0)
    passed: Mapped[bool] = mapped_column(default=False)


class AttemptAnswer(Base):
    __tablename__ = "training_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("training_attempts.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("training_questions.id", ondelete="CASCADE"), index=True
    )
    chosen: Mapped[list[int]] = mapped_column(JSONType, default=list)
    credit: Mapped[float] = mapped_column(default=0.0)


class Certificate(Base):
    __tablename__ = "training_certificates"
    __table_args__ = (UniqueConstraint("course_id", "trainee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id", ondelete="CASCADE"))
    trainee_id: Mapped[int] = mapped_column(ForeignKey("training_trainees.id", ondelete="CASCADE"))
    holder_name: Mapped[str] = mapped_column(String(200))
    course_title: Mapped[str] = mapped_column(String(300))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    """One trainee's end-of-course survey: ratings 1–5 and free text."""

    __tablename__ = "training_feedback"
    __table_args__ = (UniqueConstraint("course_id", "trainee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("training_courses.id", ondelete="CASCADE"), index=True
    )
    trainee_id: Mapped[int] = mapped_column(ForeignKey("training_trainees.id", ondelete="CASCADE"))
    ratings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    text: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # The text's words (personal data masked, segmented, stop words out, once each), written by
    # the worker (danvan.training.feedback_terms) for the course report; None: not yet.
    terms: Mapped[list[str] | None] = mapped_column(NullableJSON, default=None)
