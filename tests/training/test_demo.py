"""The demo shows the training area: the nine-topic course, attendance, quiz results."""

from __future__ import annotations

from sqlalchemy import func, select

from danvan.demo.seed import seed
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.training.models import Attendance, Certificate, Course, Feedback, QuizAttempt


def test_the_demo_has_a_two_day_course_with_results(database: Database, settings: Settings) -> None:
    with database.session() as session:
        seed(session, settings=settings)
    with database.session() as session:
        course = session.scalars(select(Course)).one()
        assert len(course.topics) == 9
        assert course.topics[8].title.endswith("Zalo OA của tỉnh")

        def count(model: type) -> int:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

        assert count(Attendance) > 10
        assert count(QuizAttempt) == 18
        assert count(Feedback) == 10
        assert count(Certificate) > 0
