"""Who sees what: trainees' keys open their own training and nothing else; staff see courses
aimed at their communes and, in reports, their communes' trainees only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from danvan.kernel.db import Database
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


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/conversations"),
        ("get", "/me"),
        ("get", "/users"),
        ("get", "/audit"),
        ("get", "/communes"),
    ],
)
def test_a_trainee_key_opens_nothing_of_the_inbox_api(
    client: TestClient, database: Database, personas: Personas, method: str, url: str
) -> None:
    course = create_course(client, personas.admin.headers)
    key = upload(client, course["id"], xlsx(PEOPLE), personas.admin.headers).json()["trainees"][0][
        "key"
    ]
    response = client.request(method, API + url, headers=bearer(key))
    assert response.status_code in (401, 404), (url, response.status_code)
    assert response.status_code == 401 or url != "/conversations"


@pytest.mark.parametrize(
    "url",
    [
        "/courses",
        "/courses/{course}/report",
        "/courses/{course}/trainees",
        "/sessions/{session}/code",
    ],
)
def test_a_trainee_key_opens_no_organiser_route(
    client: TestClient, database: Database, personas: Personas, url: str
) -> None:
    course = create_course(client, personas.admin.headers)
    session = create_session(client, personas.admin.headers, course["id"])
    key = upload(client, course["id"], xlsx(PEOPLE), personas.admin.headers).json()["trainees"][0][
        "key"
    ]
    response = client.get(
        API + url.format(course=course["id"], session=session["id"]), headers=bearer(key)
    )
    assert response.status_code == 404


def test_a_trainee_signed_in_on_a_phone_is_not_staff(
    app: FastAPI, client: TestClient, database: Database, personas: Personas
) -> None:
    course = create_course(client, personas.admin.headers)
    trainee = upload(client, course["id"], xlsx(PEOPLE), personas.admin.headers).json()["trainees"][
        0
    ]
    with TestClient(app) as phone:
        assert phone.get(f"/hoc/vao/{trainee['key']}").status_code == 200
        for url in (
            "/inbox",
            "/training",
            "/cases",
            "/admin/users",
            f"/training/courses/{course['id']}",
        ):
            response = phone.get(url, follow_redirects=False)
            assert response.status_code == 303, url
            assert response.headers["location"].startswith("/login"), url


def test_a_reissued_link_signs_the_old_phone_out(
    app: FastAPI, client: TestClient, database: Database, personas: Personas
) -> None:
    from danvan.training.models import Trainee
    from danvan.training.trainees import do_issue_keys

    course = create_course(client, personas.admin.headers)
    trainee = upload(client, course["id"], xlsx(PEOPLE), personas.admin.headers).json()["trainees"][
        0
    ]
    with TestClient(app) as phone:
        phone.get(f"/hoc/vao/{trainee['key']}")
        assert "Hoàng Thị Lan" in phone.get("/hoc").text
        with database.session() as session:
            row = session.get(Trainee, trainee["id"])
            assert row is not None
            do_issue_keys(session, actor=personas.admin.actor, trainees=[row])
        assert "Hoàng Thị Lan" not in phone.get("/hoc").text
    assert (
        client.get(f"{API}/courses/{course['id']}", headers=bearer(trainee["key"])).status_code
        == 401
    )


def test_staff_see_courses_of_their_communes_and_their_trainees_only(
    client: TestClient, database: Database, personas: Personas
) -> None:
    only_a = create_course(client, personas.admin.headers, audience_communes=[2302])
    province = create_course(
        client, personas.admin.headers, title="Toàn tỉnh", audience_communes=[]
    )
    upload(client, province["id"], xlsx(PEOPLE), personas.admin.headers)
    seen_by_b = {
        c["id"] for c in client.get(f"{API}/courses", headers=personas.officer_b.headers).json()
    }
    assert seen_by_b == {province["id"]}
    assert (
        client.get(f"{API}/courses/{only_a['id']}", headers=personas.officer_b.headers).status_code
        == 404
    )
    report = client.get(
        f"{API}/courses/{province['id']}/report", headers=personas.officer_b.headers
    ).json()
    assert [p["full_name"] for p in report["people"]] == ["Lò Văn Sáng"]
    assert [c["commune_code"] for c in report["communes"]] == [2269]
    full = client.get(
        f"{API}/courses/{province['id']}/report", headers=personas.admin.headers
    ).json()
    assert len(full["people"]) == 3


@pytest.mark.parametrize("who", ["officer_a", "viewer_a"])
def test_only_organisers_create_courses(
    client: TestClient, database: Database, personas: Personas, who: str
) -> None:
    response = client.post(
        f"{API}/courses", json={"title": "X"}, headers=getattr(personas, who).headers
    )
    assert response.status_code == 403


def test_an_enrolled_staff_member_checks_in_with_their_own_token(
    client: TestClient, database: Database, personas: Personas
) -> None:
    course = create_course(client, personas.admin.headers)
    session = create_session(client, personas.admin.headers, course["id"])
    header = ("Họ và tên", "Chức vụ", "Xã/phường", "Số điện thoại", "Email")
    rows = [["Nguyễn Văn An", "Cán bộ", "Minh Quang", "0912000001", personas.officer_a.user.email]]
    upload(client, course["id"], xlsx(rows, header=header), personas.admin.headers)
    code = client.get(
        f"{API}/sessions/{session['id']}/code", headers=personas.admin.headers
    ).json()["code"]
    url = f"{API}/sessions/{session['id']}/checkins"
    assert (
        client.post(url, json={"code": code}, headers=personas.officer_a.headers).status_code == 201
    )
    refused = client.post(url, json={"code": code}, headers=personas.colleague_a.headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "not_enrolled"
