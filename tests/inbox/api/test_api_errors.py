"""Authentication and the error contract: 401 without a good token, JSON errors, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from danvan.accounts.models import ApiToken
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow

if TYPE_CHECKING:
    from tests.conftest import Personas
    from tests.inbox.api.conftest import World

API = "/api/v1"

# Every route, with a body good enough to reach the handler.
ROUTES: list[tuple[str, str, dict[str, object] | None]] = [
    ("GET", "/conversations", None),
    ("GET", "/conversations/{id}", None),
    ("PATCH", "/conversations/{id}", {"status": "closed"}),
    ("GET", "/conversations/{id}/messages", None),
    ("POST", "/conversations/{id}/replies", {"text": "Dạ"}),
    ("POST", "/conversations/{id}/assign", {"assignee_id": None}),
    ("POST", "/conversations/{id}/read", None),
    ("GET", "/conversations/{id}/notes", None),
    ("POST", "/conversations/{id}/notes", {"text": "Ghi chú"}),
    ("PUT", "/conversations/{id}/labels", {"label_ids": []}),
    ("GET", "/labels", None),
    ("POST", "/labels", {"name": "Nhãn"}),
    ("GET", "/areas", None),
    ("GET", "/areas/provinces", None),
    ("GET", "/me", None),
    ("GET", "/users", None),
    ("POST", "/users", {"email": "x@y.vn", "password": "12345678", "role": "admin"}),
    ("PATCH", "/users/{id}", {"role": "admin"}),
    ("GET", "/audit", None),
    ("GET", "/contacts/{id}", None),
    ("GET", "/contacts/{id}/export", None),
    ("DELETE", "/contacts/{id}?reason=x", None),
]
ID_ROUTES = [route for route in ROUTES if "{id}" in route[1]]
BODY_ROUTES = [route for route in ROUTES if route[2] is not None]


@pytest.fixture
def strict_client(app: FastAPI) -> Iterator[TestClient]:
    """A client that shows server errors as 500 responses instead of raising them."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_route_answers_401_without_a_token(
    client: TestClient, method: str, path: str, body: dict[str, object] | None
) -> None:
    response = client.request(method, API + path.replace("{id}", "1"), json=body)
    assert response.status_code == 401
    assert response.json() == {"detail": "Missing bearer token", "code": "unauthorized"}
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_wrong_or_revoked_token_gets_401(
    client: TestClient, database: Database, personas: Personas
) -> None:
    for header in ("Bearer dv_not-a-token", "Basic abc", "Bearer ", "dv_token"):
        response = client.get(f"{API}/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json()["code"] == "unauthorized"
    with database.session() as session:
        for token in session.scalars(
            select(ApiToken).where(ApiToken.user_id == personas.officer_a.user.id)
        ):
            token.revoked_at = utcnow()
    revoked = client.get(f"{API}/me", headers=personas.officer_a.headers)
    assert revoked.status_code == 401
    assert revoked.json() == {"detail": "Invalid token", "code": "unauthorized"}


def test_a_good_token_is_accepted_and_its_use_recorded(
    client: TestClient, database: Database, personas: Personas
) -> None:
    response = client.get(f"{API}/me", headers=personas.officer_a.headers)
    assert response.status_code == 200
    with database.session() as session:
        token = session.scalars(
            select(ApiToken).where(ApiToken.user_id == personas.officer_a.user.id)
        ).one()
        assert token.last_used_at is not None


def test_a_disabled_account_token_gets_401(
    client: TestClient, database: Database, personas: Personas
) -> None:
    with database.session() as session:
        user = session.get(type(personas.officer_a.user), personas.officer_a.user.id)
        assert user is not None
        user.is_active = False
    assert client.get(f"{API}/me", headers=personas.officer_a.headers).status_code == 401


def test_out_of_range_ids_get_422_not_500(strict_client: TestClient, personas: Personas) -> None:
    for method, path, body in ID_ROUTES:
        for bad in ("0", "-3", "99999999999999999999", "abc"):
            response = strict_client.request(
                method, API + path.replace("{id}", bad), json=body, headers=personas.admin.headers
            )
            assert response.status_code == 422, (path, bad)
            assert response.json()["code"] == "invalid_input"


MALFORMED_BODIES = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b'{"text": "\\u0000"}',
    b'{"text": "' + "ạ".encode() * 40_000 + b'"}',
    b"\xff\xfe",
    b'{"label_ids": [1, "x"]}',
    b'{"assignee_id": 1e400}',
]


def test_malformed_bodies_get_4xx_never_500(
    strict_client: TestClient, personas: Personas, world: World
) -> None:
    headers = {**personas.admin.headers, "content-type": "application/json"}
    for body in MALFORMED_BODIES:
        for method, path, _ in BODY_ROUTES:
            url = API + path.replace("{id}", str(world.a))
            response = strict_client.request(method, url, content=body, headers=headers)
            assert 400 <= response.status_code < 500, (body[:20], method, path, response.text)
            assert set(response.json()) >= {"detail", "code"}, (method, path)


def test_hostile_query_strings_get_4xx_or_empty_results(
    strict_client: TestClient, personas: Personas, world: World
) -> None:
    headers = personas.admin.headers
    for params in (
        {"q": "\x00"},
        {"q": "%_\\'\""},
        {"label": "\x00"},
        {"label": "99999999999999"},
        {"before": "0001-01-01T00:00:00+14:00"},
        {"before": "9999-12-31T23:59:59-12:00"},
        {"before": "2026-13-45"},
    ):
        response = strict_client.get(f"{API}/conversations", params=params, headers=headers)
        assert response.status_code in (200, 422), (params, response.text)
    for params in ({"action": "\x00"}, {"since": "0001-01-01T00:00:00+14:00"}):
        response = strict_client.get(f"{API}/audit", params=params, headers=headers)
        assert response.status_code in (200, 422), (params, response.text)


def test_a_streamed_body_past_the_limit_gets_a_json_413(
    client: TestClient, personas: Personas, world: World
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(40):
            yield b"a" * 10_000
        yield b'"}'

    response = client.post(
        f"{API}/conversations/{world.a}/replies",
        content=chunks(),
        headers={**personas.officer_a.headers, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
