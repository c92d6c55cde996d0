"""Attendance: rotating QR codes (current and previous window only), manual marking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from danvan.kernel.db import Database
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.training.attendance import check_checkin_code, checkin_code
from training.training_helpers import (
    API,
    PEOPLE,
    bearer,
    create_course,
    create_session,
    upload,
    xlsx,
)

if TYPE_CHECKING:
    from tests.conftest import Personas

KEY = "test-secret-key-0123456789"
T = datetime(2026, 11, 30, 8, 0, 10, tzinfo=UTC)  # 10 s into a 30-second window


@pytest.mark.parametrize(
    ("shown_at", "session_id", "key", "outcome"),
    [
        (T, 7, KEY, None),  # the code on the screen now
        (T - timedelta(seconds=30), 7, KEY, None),  # the previous one: a scan just at the turn
        (T - timedelta(seconds=60), 7, KEY, "qr_expired"),  # a photo sent a minute ago
        (T - timedelta(hours=5), 7, KEY, "qr_expired"),
        (T + timedelta(seconds=30), 7, KEY, "qr_expired"),  # a code from the future
        (T, 8, KEY, "qr_invalid"),  # another session's code
        (T, 7, "another-secret-key-000000", "qr_invalid"),  # forged without our key
    ],
    ids=[
        "current",
        "previous",
        "two windows old",
        "hours old",
        "future",
        "other session",
        "forged",
    ],
)
def test_only_the_current_and_previous_codes_are_accepted(
    shown_at: datetime, session_id: int, key: str, outcome: str | None
) -> None:
    code = checkin_code(secret_key=key, session_id=session_id, now=shown_at, period=30)
    if outcome is None:
        check_checkin_code(secret_key=KEY, session_id=7, code=code, now=T, period=30)
        return
    with pytest.raises(Invalid) as refused:
        check_checkin_code(secret_key=KEY, session_id=7, code=code, now=T, period=30)
    assert refused.value.code == outcome


@pytest.mark.parametrize("code", ["", "abc", "123-zz", "9" * 40, "1-" + "0" * 20])
def test_garbage_codes_are_refused(code: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_checkin_code(secret_key=KEY, session_id=7, code=code, now=T, period=30)
    assert refused.value.code == "qr_invalid"


def _setup(
    client: TestClient, personas: Personas
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    course = create_course(client, personas.admin.headers)
    session = create_session(client, personas.admin.headers, course["id"])
    trainees = upload(client, course["id"], xlsx(PEOPLE), personas.admin.headers).json()["trainees"]
    return course, session, trainees


def test_a_forged_code_is_refused_through_the_api_and_nothing_is_recorded(
    client: TestClient, database: Database, settings: Settings, personas: Personas
) -> None:
    course, session, trainees = _setup(client, personas)
    forged = checkin_code(
        secret_key="not-our-key-000000000", session_id=session["id"], now=utcnow(), period=30
    )
    response = client.post(
        f"{API}/sessions/{session['id']}/checkins",
        json={"code": forged},
        headers=bearer(trainees[0]["key"]),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "qr_invalid"
    report = client.get(
        f"{API}/courses/{course['id']}/report", headers=personas.admin.headers
    ).json()
    assert report["sessions"][0]["attended"] == 0


def test_checking_in_twice_keeps_one_attendance(
    client: TestClient, database: Database, settings: Settings, personas: Personas
) -> None:
    _course, session, trainees = _setup(client, personas)
    url = f"{API}/sessions/{session['id']}/checkins"
    code = client.get(
        f"{API}/sessions/{session['id']}/code", headers=personas.admin.headers
    ).json()["code"]
    first = client.post(url, json={"code": code}, headers=bearer(trainees[0]["key"]))
    again = client.post(url, json={"code": code}, headers=bearer(trainees[0]["key"]))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["created"] is False


def test_a_trainee_of_another_course_cannot_check_in(
    client: TestClient, database: Database, settings: Settings, personas: Personas
) -> None:
    _course, session, _trainees = _setup(client, personas)
    other = create_course(client, personas.admin.headers, title="Khoá khác")
    outsider = upload(client, other["id"], xlsx([PEOPLE[0]]), personas.admin.headers).json()[
        "trainees"
    ][0]
    code = client.get(
        f"{API}/sessions/{session['id']}/code", headers=personas.admin.headers
    ).json()["code"]
    response = client.post(
        f"{API}/sessions/{session['id']}/checkins",
        json={"code": code},
        headers=bearer(outsider["key"]),
    )
    assert response.status_code == 404


def test_organisers_mark_attendance_by_hand_and_others_cannot(
    client: TestClient, database: Database, settings: Settings, personas: Personas
) -> None:
    course, session, trainees = _setup(client, personas)
    url = f"{API}/sessions/{session['id']}/checkins"
    body = {"trainee_id": trainees[2]["id"]}
    assert client.post(url, json=body, headers=personas.officer_a.headers).status_code == 403
    marked = client.post(url, json=body, headers=personas.admin.headers)
    assert marked.status_code == 201
    assert marked.json()["method"] == "manual"
    report = client.get(
        f"{API}/courses/{course['id']}/report", headers=personas.admin.headers
    ).json()
    assert report["sessions"][0]["attended"] == 1
    removed = client.post(url, json={**body, "present": False}, headers=personas.admin.headers)
    assert removed.json()["present"] is False
    report = client.get(
        f"{API}/courses/{course['id']}/report", headers=personas.admin.headers
    ).json()
    assert report["sessions"][0]["attended"] == 0


def test_two_simultaneous_check_ins_of_one_trainee_record_one_attendance(
    client: TestClient, database: Database, settings: Settings, personas: Personas
) -> None:
    import threading

    from sqlalchemy import func, select

    from danvan.training.actors import Learner
    from danvan.training.attendance import do_check_in
    from danvan.training.models import Attendance, Trainee, TrainingSession

    if settings.is_sqlite:
        pytest.skip("SQLite serialises transactions: the race needs PostgreSQL")
    _course, session, trainees = _setup(client, personas)
    barrier = threading.Barrier(4)
    outcomes: list[object] = []

    def tap() -> None:
        try:
            with database.session() as db:
                row = db.get(TrainingSession, session["id"])
                trainee = db.get(Trainee, trainees[0]["id"])
                assert row is not None
                assert trainee is not None
                now = utcnow()
                code = checkin_code(secret_key=KEY, session_id=row.id, now=now, period=30)
                barrier.wait(timeout=10)
                outcomes.append(
                    do_check_in(
                        db,
                        learner=Learner(trainee),
                        training_session=row,
                        code=code,
                        secret_key=KEY,
                        now=now,
                        period=30,
                    )[1]
                )
        except Exception as exc:  # reported below
            outcomes.append(exc)

    threads = [threading.Thread(target=tap) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, outcomes)) == ["False", "False", "False", "True"], outcomes
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Attendance)) == 1
