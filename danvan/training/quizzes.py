"""Quizzes: a question bank per topic, quizzes drawn from it (shuffled questions and options per
attempt), a time limit enforced on the server, pass mark, retake policy, automatic grading with
a configured partial-credit rule, and per-question statistics by topic.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.kernel.errors import Invalid, NotFound
from danvan.training.actors import Learner, audit, require_organiser
from danvan.training.checks import check_text
from danvan.training.courses import access_course
from danvan.training.models import (
    AttemptAnswer,
    Course,
    CourseTopic,
    Question,
    QuestionOption,
    Quiz,
    QuizAttempt,
)

KINDS = ("single", "multiple")
PARTIAL_CREDIT_RULES = ("proportional", "all_or_nothing")
MAX_OPTIONS = 10
MAX_QUESTION = 2000
MAX_OPTION = 1000


# --- The question bank ----------------------------------------------------------------------------


@dataclass
class OptionInput:
    text: str
    correct: bool = False


def do_add_question(
    session: Session,
    *,
    actor: Actor,
    topic: CourseTopic,
    kind: str,
    text: str,
    options: Sequence[OptionInput],
    explanation: str = "",
) -> Question:
    require_organiser(actor)
    if kind not in KINDS:
        raise Invalid("Loại câu hỏi phải là single hoặc multiple", code="invalid_input")
    body = check_text(text, what="Câu hỏi", limit=MAX_QUESTION)
    cleaned = [
        OptionInput(check_text(o.text, what="Phương án", limit=MAX_OPTION), o.correct)
        for o in options
    ]
    if not 2 <= len(cleaned) <= MAX_OPTIONS:
        raise Invalid(
            "Câu hỏi cần từ 2 đến {limit} phương án", code="invalid_input", limit=MAX_OPTIONS
        )
    correct = sum(o.correct for o in cleaned)
    if correct == 0:
        raise Invalid("Cần ít nhất một phương án đúng", code="invalid_input")
    if kind == "single" and correct != 1:
        raise Invalid("Câu hỏi một lựa chọn phải có đúng một phương án đúng", code="invalid_input")
    question = Question(
        topic_id=topic.id,
        kind=kind,
        text=body,
        explanation=check_text(explanation, what="Giải thích", limit=MAX_QUESTION, required=False),
    )
    for position, option in enumerate(cleaned, start=1):
        question.options.append(
            QuestionOption(position=position, text=option.text, is_correct=option.correct)
        )
    session.add(question)
    session.flush()
    audit(session, actor, "training_question_add", "topic", topic.id, {"question_id": question.id})
    return question


def list_questions(session: Session, *, topic_ids: Sequence[int]) -> list[Question]:
    if not topic_ids:
        return []
    return list(
        session.scalars(
            select(Question).where(Question.topic_id.in_(topic_ids)).order_by(Question.id)
        )
    )


# --- Quizzes --------------------------------------------------------------------------------------


def do_create_quiz(
    session: Session,
    *,
    actor: Actor,
    course: Course,
    title: str,
    topic_ids: Sequence[int] = (),
    question_count: int = 10,
    time_limit_minutes: int = 15,
    pass_percent: int = 70,
    max_attempts: int = 2,
    retake_after_pass: bool = False,
    partial_credit: str = "proportional",
) -> Quiz:
    require_organiser(actor)
    known = {t.id for t in course.topics}
    wanted = list(dict.fromkeys(topic_ids))
    if any(t not in known for t in wanted):
        raise Invalid("Chuyên đề không thuộc khoá học", code="invalid_topic")
    if not 1 <= question_count <= 200:
        raise Invalid("Số câu hỏi phải từ 1 đến 200", code="invalid_input")
    if not 1 <= time_limit_minutes <= 600:
        raise Invalid("Thời gian làm bài phải từ 1 đến 600 phút", code="invalid_input")
    if not 0 <= pass_percent <= 100:
        raise Invalid("Điểm đạt phải từ 0 đến 100 (%)", code="invalid_input")
    if not 0 <= max_attempts <= 100:
        raise Invalid("Số lần làm bài phải từ 0 (không giới hạn) đến 100", code="invalid_input")
    if partial_credit not in PARTIAL_CREDIT_RULES:
        raise Invalid(
            "Cách chấm câu nhiều lựa chọn phải là proportional hoặc all_or_nothing",
            code="invalid_input",
        )
    quiz = Quiz(
        course_id=course.id,
        title=check_text(title, what="Tên bài kiểm tra", limit=300),
        topic_ids=wanted,
        question_count=question_count,
        time_limit_minutes=time_limit_minutes,
        pass_percent=pass_percent,
        max_attempts=max_attempts,
        retake_after_pass=retake_after_pass,
        partial_credit=partial_credit,
    )
    session.add(quiz)
    session.flush()
    audit(session, actor, "training_quiz_create", "quiz", quiz.id)
    return quiz


def quiz_topic_ids(quiz: Quiz, course: Course) -> list[int]:
    return list(quiz.topic_ids) or [t.id for t in course.topics]


def list_quizzes(session: Session, *, course_id: int) -> list[Quiz]:
    return list(session.scalars(select(Quiz).where(Quiz.course_id == course_id).order_by(Quiz.id)))


def access_quiz(session: Session, *, actor: Actor, quiz_id: int, write: bool = False) -> Quiz:
    quiz = session.get(Quiz, quiz_id)
    if quiz is None:
        raise NotFound("Không tìm thấy bài kiểm tra")
    access_course(session, actor=actor, course_id=quiz.course_id, write=write)
    return quiz


def learner_quiz(session: Session, *, learner: Learner, quiz_id: int) -> Quiz:
    quiz = session.get(Quiz, quiz_id)
    if quiz is None or quiz.course_id != learner.trainee.course_id:
        raise NotFound("Không tìm thấy bài kiểm tra")
    return quiz


# --- Attempts -------------------------------------------------------------------------------------


def is_expired(attempt: QuizAttempt, *, now: datetime, grace: timedelta) -> bool:
    """An open attempt past its time limit (and the grace) is over, whether or not a job has
    marked it: nothing submitted after that is graded."""
    return attempt.status == "expired" or (
        attempt.status == "open" and now > attempt.deadline + grace
    )


def attempts_of(session: Session, *, quiz: Quiz, trainee_id: int) -> list[QuizAttempt]:
    return list(
        session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.trainee_id == trainee_id)
            .order_by(QuizAttempt.number)
        )
    )


def access_attempt(session: Session, *, learner: Learner, attempt_id: int) -> QuizAttempt:
    attempt = session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.trainee_id != learner.trainee.id:
        raise NotFound("Không tìm thấy bài làm")
    return attempt


def do_start_attempt(
    session: Session,
    *,
    learner: Learner,
    quiz: Quiz,
    course: Course,
    now: datetime,
    grace: timedelta,
    rng: random.Random | None = None,
) -> QuizAttempt:
    """A new attempt with its own draw and order of questions and options, or the attempt
    still running. Refused when the retake policy says no."""
    if quiz.course_id != learner.trainee.course_id:
        raise NotFound("Không tìm thấy bài kiểm tra")
    previous = attempts_of(session, quiz=quiz, trainee_id=learner.trainee.id)
    for attempt in previous:
        if attempt.status == "open" and not is_expired(attempt, now=now, grace=grace):
            return attempt
    if any(a.passed for a in previous) and not quiz.retake_after_pass:
        raise Invalid("Bạn đã đạt bài kiểm tra này", code="already_passed")
    if quiz.max_attempts and len(previous) >= quiz.max_attempts:
        raise Invalid(
            "Bạn đã dùng hết {limit} lượt làm bài", code="no_attempts_left", limit=quiz.max_attempts
        )
    bank = list_questions(session, topic_ids=quiz_topic_ids(quiz, course))
    if not bank:
        raise Invalid("Ngân hàng câu hỏi của bài này chưa có câu nào", code="empty_bank")
    rng = rng or random.SystemRandom()
    drawn = rng.sample(bank, min(quiz.question_count, len(bank)))
    layout: list[dict[str, Any]] = []
    for question in drawn:
        options = [o.id for o in question.options]
        rng.shuffle(options)
        layout.append({"q": question.id, "o": options})
    attempt = QuizAttempt(
        quiz_id=quiz.id,
        trainee_id=learner.trainee.id,
        number=len(previous) + 1,
        started_at=now,
        deadline=now + timedelta(minutes=quiz.time_limit_minutes),
        layout=layout,
        max_score=float(len(layout)),
    )
    try:
        with session.begin_nested():  # a double tap racing on PostgreSQL: one attempt only
            session.add(attempt)
    except IntegrityError:
        for running in attempts_of(session, quiz=quiz, trainee_id=learner.trainee.id):
            if running.status == "open" and not is_expired(running, now=now, grace=grace):
                return running
        raise
    audit(session, learner, "training_attempt_start", "quiz", quiz.id, {"attempt_id": attempt.id})
    return attempt


def credit(*, kind: str, correct: set[int], chosen: set[int], rule: str) -> float:
    """The credit (0..1) of one answer.

    Single choice: 1 for the right option, else 0. Multiple choice, "all_or_nothing": 1 only
    for exactly the right set. "proportional": each right option chosen earns 1/k (k = number
    of right options), each wrong option chosen costs 1/k, never below 0."""
    if kind == "single" or rule == "all_or_nothing":
        return 1.0 if chosen == correct else 0.0
    if not correct:
        return 0.0
    earned = len(chosen & correct) - len(chosen - correct)
    return max(0.0, earned / len(correct))


def do_submit_attempt(
    session: Session,
    *,
    learner: Learner,
    attempt: QuizAttempt,
    answers: Mapping[int, Sequence[int]],
    now: datetime,
    grace: timedelta,
) -> QuizAttempt:
    """Grade the answers ({question id: chosen option ids}). Refused after the time limit."""
    if attempt.trainee_id != learner.trainee.id:
        raise NotFound("Không tìm thấy bài làm")
    if attempt.status == "graded":
        raise Invalid("Bài làm này đã được nộp", code="already_submitted")
    if is_expired(attempt, now=now, grace=grace):
        raise Invalid(
            "Đã hết thời gian làm bài: bài nộp sau thời hạn không được chấm", code="time_over"
        )
    quiz = session.get(Quiz, attempt.quiz_id)
    assert quiz is not None
    shown = {int(item["q"]): [int(o) for o in item["o"]] for item in attempt.layout}
    unknown = [q for q in answers if q not in shown]
    if unknown:
        raise Invalid(
            "Câu hỏi không có trong bài làm: {unknown}", code="invalid_answer", unknown=unknown[:5]
        )
    questions = {
        q.id: q for q in session.scalars(select(Question).where(Question.id.in_(list(shown))))
    }
    total = 0.0
    for question_id in shown:
        question = questions.get(question_id)
        if question is None:  # removed from the bank since: not counted against anyone
            continue
        chosen = {int(o) for o in answers.get(question_id, ())}
        options = {o.id for o in question.options}
        if not chosen <= options:
            raise Invalid("Phương án không thuộc câu hỏi", code="invalid_answer")
        if question.kind == "single" and len(chosen) > 1:
            raise Invalid("Câu hỏi một lựa chọn chỉ được chọn một phương án", code="invalid_answer")
        correct = {o.id for o in question.options if o.is_correct}
        earned = credit(
            kind=question.kind, correct=correct, chosen=chosen, rule=quiz.partial_credit
        )
        total += earned
        session.add(
            AttemptAnswer(
                attempt_id=attempt.id,
                question_id=question_id,
                chosen=sorted(chosen),
                credit=earned,
            )
        )
    attempt.status = "graded"
    attempt.submitted_at = now
    attempt.score = round(total, 4)
    attempt.max_score = float(len(shown))
    attempt.percent = round(100 * total / len(shown), 1) if shown else 0.0
    attempt.passed = attempt.percent >= quiz.pass_percent
    session.flush()
    audit(
        session,
        learner,
        "training_attempt_submit",
        "quiz",
        quiz.id,
        {"attempt_id": attempt.id, "percent": attempt.percent},
    )
    return attempt


def answers_revealed(session: Session, *, quiz: Quiz, attempt: QuizAttempt) -> bool:
    """Right answers and explanations are shown once the trainee passed or has no attempt
    left: before that they would hand the next attempt's answers over (same question bank)."""
    if attempt.status != "graded":
        return False
    if attempt.passed or (quiz.max_attempts and attempt.number >= quiz.max_attempts):
        return True
    others = attempts_of(session, quiz=quiz, trainee_id=attempt.trainee_id)
    return bool(quiz.max_attempts) and len(others) >= quiz.max_attempts


@dataclass
class ShownQuestion:
    question: Question
    options: list[QuestionOption]  # in the attempt's order
    chosen: list[int]
    credit: float | None


def attempt_questions(session: Session, *, attempt: QuizAttempt) -> list[ShownQuestion]:
    """The attempt's questions and options in the order this trainee saw them."""
    ids = [int(item["q"]) for item in attempt.layout]
    questions = {q.id: q for q in session.scalars(select(Question).where(Question.id.in_(ids)))}
    answers = {
        a.question_id: a
        for a in session.scalars(
            select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
        )
    }
    shown: list[ShownQuestion] = []
    for item in attempt.layout:
        question = questions.get(int(item["q"]))
        if question is None:
            continue
        by_id = {o.id: o for o in question.options}
        answer = answers.get(question.id)
        shown.append(
            ShownQuestion(
                question=question,
                options=[by_id[int(o)] for o in item["o"] if int(o) in by_id],
                chosen=list(answer.chosen) if answer else [],
                credit=answer.credit if answer else None,
            )
        )
    return shown


# --- Statistics -----------------------------------------------------------------------------------


@dataclass
class QuestionStat:
    question_id: int
    topic_id: int
    text: str
    answers: int
    mean_credit: float  # 0..1
    fully_right: int


@dataclass
class TopicStat:
    topic_id: int
    title: str
    position: int
    answers: int
    mean_credit: float


def question_stats(
    session: Session, *, course: Course, quiz: Quiz | None = None
) -> tuple[list[QuestionStat], list[TopicStat]]:
    """Per question and per topic: how many answered and the mean credit, weakest first. A
    topic with a low mean needs more teaching."""
    query = (
        select(
            AttemptAnswer.question_id,
            func.count(),
            func.avg(AttemptAnswer.credit),
            func.sum(case((AttemptAnswer.credit >= 1.0, 1), else_=0)),
        )
        .join(QuizAttempt, QuizAttempt.id == AttemptAnswer.attempt_id)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(Quiz.course_id == course.id, QuizAttempt.status == "graded")
        .group_by(AttemptAnswer.question_id)
    )
    if quiz is not None:
        query = query.where(Quiz.id == quiz.id)
    rows = session.execute(query).all()
    questions = {
        q.id: q
        for q in session.scalars(select(Question).where(Question.id.in_([r[0] for r in rows])))
    }
    stats = [
        QuestionStat(
            question_id=qid,
            topic_id=questions[qid].topic_id,
            text=questions[qid].text,
            answers=int(count),
            mean_credit=float(mean or 0.0),
            fully_right=int(right or 0),
        )
        for qid, count, mean, right in rows
        if qid in questions
    ]
    stats.sort(key=lambda s: (s.mean_credit, -s.answers, s.question_id))
    topics = {t.id: t for t in course.topics}
    by_topic: dict[int, list[QuestionStat]] = {}
    for stat in stats:
        by_topic.setdefault(stat.topic_id, []).append(stat)
    topic_stats = []
    for topic_id, items in by_topic.items():
        answers = sum(s.answers for s in items)
        mean = sum(s.mean_credit * s.answers for s in items) / answers if answers else 0.0
        topic = topics.get(topic_id)
        topic_stats.append(
            TopicStat(
                topic_id=topic_id,
                title=topic.title if topic else "",
                position=topic.position if topic else 0,
                answers=answers,
                mean_credit=mean,
            )
        )
    topic_stats.sort(key=lambda t: (t.mean_credit, t.position))
    return stats, topic_stats
