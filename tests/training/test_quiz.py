"""Quizzes: server-side time limit, partial-credit grading, shuffling, retake policy."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from danvan.kernel.db import Database
from danvan.training.models import Question, QuizAttempt
from danvan.training.quizzes import credit
from training.training_helpers import (
    API,
    PEOPLE,
    add_question,
    bearer,
    create_course,
    right_answers,
    upload,
    xlsx,
)

if TYPE_CHECKING:
    from tests.conftest import Personas

# Right options {1, 2, 3} of 5; chosen set -> credit under each rule.
GRADING = [
    ({1, 2, 3}, 1.0, 1.0),
    ({1, 2}, 2 / 3, 0.0),
    ({1}, 1 / 3, 0.0),
    ({1, 2, 4}, 1 / 3, 0.0),  # two right, one wrong
    ({1, 4, 5}, 0.0, 0.0),  # never below zero
    ({1, 2, 3, 4}, 2 / 3, 0.0),  # everything right plus a wrong one
    (set(), 0.0, 0.0),
]


@pytest.mark.parametrize(("chosen", "proportional", "all_or_nothing"), GRADING)
def test_multiple_choice_partial_credit_follows_the_configured_rule(
    chosen: set[int], proportional: float, all_or_nothing: float
) -> None:
    right = {1, 2, 3}
    assert credit(
        kind="multiple", correct=right, chosen=chosen, rule="proportional"
    ) == pytest.approx(proportional)
    assert (
        credit(kind="multiple", correct=right, chosen=chosen, rule="all_or_nothing")
        == all_or_nothing
    )


def test_single_choice_is_right_or_wrong() -> None:
    assert credit(kind="single", correct={2}, chosen={2}, rule="proportional") == 1.0
    assert credit(kind="single", correct={2}, chosen={3}, rule="proportional") == 0.0


def _quiz(client: TestClient, personas: Personas, **quiz: Any) -> tuple[int, list[str]]:
    admin = personas.admin.headers
    course = create_course(client, admin)
    topic = course["topics"][0]["id"]
    add_question(
        client,
        admin,
        topic,
        kind="multiple",
        text="Các kênh tiếp nhận ý kiến?",
        options=[
            ("Zalo OA", True),
            ("Biểu mẫu web", True),
            ("Zalo Bot", True),
            ("Thư nặc danh", False),
        ],
    )
    response = client.post(
        f"{API}/courses/{course['id']}/quizzes",
        json={"title": "Kiểm tra", "question_count": 1, "pass_percent": 60, **quiz},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    keys = [t["key"] for t in upload(client, course["id"], xlsx(PEOPLE), admin).json()["trainees"]]
    return int(response.json()["id"]), keys


def _partial(database: Database, attempt: dict[str, Any]) -> list[dict[str, Any]]:
    """Two of the three right options and the wrong one."""
    question = attempt["questions"][0]
    with database.session() as session:
        q = session.scalars(select(Question).where(Question.id == question["id"])).one()
        right = [o.id for o in q.options if o.is_correct][:2]
        wrong = [o.id for o in q.options if not o.is_correct]
    return [{"question_id": question["id"], "option_ids": right + wrong}]


@pytest.mark.parametrize(
    ("rule", "percent", "passed"), [("proportional", 33.3, False), ("all_or_nothing", 0.0, False)]
)
def test_an_attempt_is_graded_by_the_quiz_rule(
    client: TestClient,
    database: Database,
    personas: Personas,
    rule: str,
    percent: float,
    passed: bool,
) -> None:
    quiz, keys = _quiz(client, personas, partial_credit=rule, max_attempts=1)
    attempt = client.post(f"{API}/quizzes/{quiz}/attempts", headers=bearer(keys[0])).json()
    graded = client.post(
        f"{API}/attempts/{attempt['id']}/answers",
        json={"answers": _partial(database, attempt)},
        headers=bearer(keys[0]),
    ).json()
    assert graded["percent"] == percent
    assert graded["passed"] is passed
    assert graded["questions"][0]["explanation"]
    assert sum(o["correct"] for o in graded["questions"][0]["options"]) == 3


def test_an_attempt_after_its_time_limit_is_refused(
    client: TestClient, database: Database, personas: Personas
) -> None:
    quiz, keys = _quiz(client, personas, time_limit_minutes=5)
    attempt = client.post(f"{API}/quizzes/{quiz}/attempts", headers=bearer(keys[0])).json()
    with database.session() as session:  # the trainee started 5 min 11 s ago (grace: 10 s)
        row = session.get(QuizAttempt, attempt["id"])
        assert row is not None
        row.started_at -= timedelta(minutes=5, seconds=11)
        row.deadline -= timedelta(minutes=5, seconds=11)
    response = client.post(
        f"{API}/attempts/{attempt['id']}/answers",
        json={"answers": right_answers(database, attempt)},
        headers=bearer(keys[0]),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "time_over"
    with database.session() as session:
        row = session.get(QuizAttempt, attempt["id"])
        assert row is not None
        assert (row.status, row.passed, row.submitted_at) == ("open", False, None)
    shown = client.get(f"{API}/attempts/{attempt['id']}", headers=bearer(keys[0])).json()
    assert shown["status"] == "expired"


def test_an_attempt_within_the_grace_is_graded(
    client: TestClient, database: Database, personas: Personas
) -> None:
    quiz, keys = _quiz(client, personas, time_limit_minutes=5)
    attempt = client.post(f"{API}/quizzes/{quiz}/attempts", headers=bearer(keys[0])).json()
    with database.session() as session:
        row = session.get(QuizAttempt, attempt["id"])
        assert row is not None
        row.deadline -= timedelta(minutes=5, seconds=5)
    response = client.post(
        f"{API}/attempts/{attempt['id']}/answers",
        json={"answers": right_answers(database, attempt)},
        headers=bearer(keys[0]),
    )
    assert response.status_code == 200
    assert response.json()["passed"] is True


def test_the_retake_policy_is_enforced(
    client: TestClient, database: Database, personas: Personas
) -> None:
    quiz, keys = _quiz(client, personas, max_attempts=2)
    me = bearer(keys[0])
    for _ in range(2):
        attempt = client.post(f"{API}/quizzes/{quiz}/attempts", headers=me)
        assert attempt.status_code == 201
        again = client.post(f"{API}/quizzes/{quiz}/attempts", headers=me)
        assert again.status_code == 200  # the running attempt, not a new one
        assert again.json()["id"] == attempt.json()["id"]
        client.post(
            f"{API}/attempts/{attempt.json()['id']}/answers", json={"answers": []}, headers=me
        )
    third = client.post(f"{API}/quizzes/{quiz}/attempts", headers=me)
    assert third.status_code == 422
    assert third.json()["code"] == "no_attempts_left"


def test_a_passed_quiz_is_not_retaken_unless_allowed(
    client: TestClient, database: Database, personas: Personas
) -> None:
    quiz, keys = _quiz(client, personas, max_attempts=0)
    me = bearer(keys[0])
    attempt = client.post(f"{API}/quizzes/{quiz}/attempts", headers=me).json()
    client.post(
        f"{API}/attempts/{attempt['id']}/answers",
        json={"answers": right_answers(database, attempt)},
        headers=me,
    )
    again = client.post(f"{API}/quizzes/{quiz}/attempts", headers=me)
    assert again.status_code == 422
    assert again.json()["code"] == "already_passed"
    resubmit = client.post(
        f"{API}/attempts/{attempt['id']}/answers", json={"answers": []}, headers=me
    )
    assert resubmit.json()["code"] == "already_submitted"


def test_questions_and_options_are_shuffled_per_attempt(
    client: TestClient, database: Database, personas: Personas
) -> None:
    admin = personas.admin.headers
    course = create_course(client, admin)
    topic = course["topics"][0]["id"]
    for n in range(8):
        add_question(
            client,
            admin,
            topic,
            text=f"Câu {n}",
            options=[(f"Đúng {n}", True), *[(f"Sai {n}.{k}", False) for k in range(4)]],
        )
    quiz = client.post(
        f"{API}/courses/{course['id']}/quizzes",
        json={"title": "Q", "question_count": 8, "max_attempts": 0},
        headers=admin,
    ).json()
    keys = [t["key"] for t in upload(client, course["id"], xlsx(PEOPLE), admin).json()["trainees"]]
    layouts = []
    for key in keys:
        attempt = client.post(f"{API}/quizzes/{quiz['id']}/attempts", headers=bearer(key)).json()
        layouts.append(
            [(q["id"], tuple(o["id"] for o in q["options"])) for q in attempt["questions"]]
        )
        assert all(
            o["correct"] is None for q in attempt["questions"] for o in q["options"]
        )  # no answers leaked
    # Three independent shuffles of 8 questions of 5 options: all equal has odds of ~1e-16.
    assert len({tuple(layout) for layout in layouts}) > 1
    assert len({frozenset(q for q, _ in layout) for layout in layouts}) == 1  # same 8 questions


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ("other question", "invalid_answer"),
        ("two options on single choice", "invalid_answer"),
    ],
)
def test_malformed_answers_are_refused(
    client: TestClient, database: Database, personas: Personas, answers: str, code: str
) -> None:
    admin = personas.admin.headers
    course = create_course(client, admin)
    add_question(client, admin, course["topics"][0]["id"])
    quiz = client.post(
        f"{API}/courses/{course['id']}/quizzes", json={"title": "Q"}, headers=admin
    ).json()
    key = upload(client, course["id"], xlsx(PEOPLE), admin).json()["trainees"][0]["key"]
    attempt = client.post(f"{API}/quizzes/{quiz['id']}/attempts", headers=bearer(key)).json()
    question = attempt["questions"][0]
    body = (
        [{"question_id": question["id"] + 1000, "option_ids": []}]
        if answers == "other question"
        else [{"question_id": question["id"], "option_ids": [o["id"] for o in question["options"]]}]
    )
    response = client.post(
        f"{API}/attempts/{attempt['id']}/answers", json={"answers": body}, headers=bearer(key)
    )
    assert response.status_code == 422
    assert response.json()["code"] == code


def test_per_question_statistics_show_the_weakest_topic_first(
    client: TestClient, database: Database, personas: Personas
) -> None:
    admin = personas.admin.headers
    course = create_course(client, admin)
    easy, hard = course["topics"][0]["id"], course["topics"][1]["id"]
    add_question(client, admin, easy, text="Dễ")
    add_question(client, admin, hard, text="Khó")
    quiz = client.post(
        f"{API}/courses/{course['id']}/quizzes",
        json={"title": "Q", "question_count": 2},
        headers=admin,
    ).json()
    keys = [t["key"] for t in upload(client, course["id"], xlsx(PEOPLE), admin).json()["trainees"]]
    for key in keys:
        attempt = client.post(f"{API}/quizzes/{quiz['id']}/attempts", headers=bearer(key)).json()
        answers = [
            a for a in right_answers(database, attempt) if a["question_id"] != _qid(attempt, "Khó")
        ]
        client.post(
            f"{API}/attempts/{attempt['id']}/answers",
            json={"answers": answers},
            headers=bearer(key),
        )
    stats = client.get(f"{API}/quizzes/{quiz['id']}/stats", headers=admin).json()
    assert [t["topic_id"] for t in stats["topics"]] == [hard, easy]
    assert stats["topics"][0]["mean_credit"] == 0.0
    assert stats["questions"][0]["text"] == "Khó"
    assert stats["questions"][1]["answers"] == 3


def _qid(attempt: dict[str, Any], text: str) -> int:
    return next(int(q["id"]) for q in attempt["questions"] if q["text"] == text)


def test_right_answers_stay_hidden_while_retakes_remain(
    client: TestClient, database: Database, personas: Personas
) -> None:
    quiz, keys = _quiz(client, personas, max_attempts=2)
    me = bearer(keys[0])
    shown = []
    for _ in range(2):
        attempt = client.post(f"{API}/quizzes/{quiz}/attempts", headers=me).json()
        graded = client.post(
            f"{API}/attempts/{attempt['id']}/answers", json={"answers": []}, headers=me
        ).json()
        assert graded["percent"] == 0.0
        shown.append(
            (graded["questions"][0]["explanation"], graded["questions"][0]["options"][0]["correct"])
        )
    assert shown[0] == (None, None)  # one attempt left: no answers handed over
    assert shown[1][0] is not None  # none left: now the trainee learns from it
    assert shown[1][1] is not None
