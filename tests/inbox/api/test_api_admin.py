"""Admin-only routes: staff accounts and the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.testclient import TestClient
from sqlalchemy import select

from danvan.accounts.models import AuditEntry
from danvan.accounts.staff import authenticate
from danvan.kernel.db import Database

if TYPE_CHECKING:
    from tests.conftest import Personas
    from tests.inbox.api.conftest import World

API = "/api/v1"


def test_an_admin_lists_every_staff_account(client: TestClient, personas: Personas) -> None:
    response = client.get(f"{API}/users", headers=personas.admin.headers)
    assert response.status_code == 200
    users = {u["email"]: u for u in response.json()}
    assert len(users) == 5
    officer = users["an@minhquang.tq.gov.vn"]
    assert officer["role"] == "officer"
    assert officer["communes"] == [{"code": 2302, "name": "Xã Minh Quang"}]
    assert officer["is_active"] is True
    assert "password_hash" not in officer


def test_only_admins_reach_the_admin_routes(client: TestClient, personas: Personas) -> None:
    for persona in (personas.officer_a, personas.viewer_a):
        for method, path, body in (
            ("GET", "/users", None),
            ("POST", "/users", {"email": "n@x.vn", "password": "12345678", "role": "admin"}),
            ("PATCH", f"/users/{persona.user.id}", {"role": "admin"}),
            ("GET", "/audit", None),
        ):
            response = client.request(method, API + path, json=body, headers=persona.headers)
            assert response.status_code == 403, (persona.user.email, path)
            assert response.json()["code"] == "forbidden"


def test_an_admin_creates_an_officer_who_can_sign_in(
    client: TestClient, database: Database, personas: Personas
) -> None:
    response = client.post(
        f"{API}/users",
        json={
            "email": "  Dung@MinhQuang.tq.gov.vn ",
            "password": "mật khẩu dài",
            "role": "officer",
            "communes": [2302],
            "full_name": "Đỗ Thị Dung",
        },
        headers=personas.admin.headers,
    )
    assert response.status_code == 201
    user = response.json()
    assert user["email"] == "dung@minhquang.tq.gov.vn"
    assert user["role"] == "officer"
    assert user["communes"] == [{"code": 2302, "name": "Xã Minh Quang"}]
    with database.session() as session:
        assert authenticate(session, email="dung@minhquang.tq.gov.vn", password="mật khẩu dài")
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "user_create")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None
        assert entry.actor_id == personas.admin.user.id
        assert entry.via == "api"


def test_bad_accounts_are_refused_with_422(client: TestClient, personas: Personas) -> None:
    good = {"email": "e@x.vn", "password": "12345678", "role": "officer", "communes": [2302]}
    for change in (
        {"role": "superuser"},
        {"communes": [1]},
        {"communes": []},
        {"password": "short"},
        {"email": "not-an-email"},
        {"email": "an@minhquang.tq.gov.vn"},  # taken
        {"communes": ["Minh Quang"]},
    ):
        response = client.post(
            f"{API}/users", json={**good, **change}, headers=personas.admin.headers
        )
        assert response.status_code == 422, change
        assert response.json()["detail"], change


def test_an_admin_changes_a_role_and_communes(
    client: TestClient, personas: Personas, world: World
) -> None:
    url = f"{API}/users/{personas.officer_b.user.id}"
    response = client.patch(
        url, json={"role": "viewer", "communes": [2269, 2302]}, headers=personas.admin.headers
    )
    assert response.status_code == 200
    assert response.json()["role"] == "viewer"
    assert [c["code"] for c in response.json()["communes"]] == [2269, 2302]
    # The new scope applies at once: now a viewer of both communes.
    assert client.get(
        f"{API}/conversations/{world.a}", headers=personas.officer_b.headers
    ).is_success
    denied = client.post(
        f"{API}/conversations/{world.a}/replies",
        json={"text": "Dạ"},
        headers=personas.officer_b.headers,
    )
    assert denied.status_code == 403
    audit = client.get(
        f"{API}/audit", params={"action": "role_change"}, headers=personas.admin.headers
    ).json()["items"]
    assert audit[0]["detail"] == {
        "from": {"role": "officer", "communes": [2269]},
        "to": {"role": "viewer", "communes": [2269, 2302]},
    }
    communes_only = client.patch(url, json={"communes": [2269]}, headers=personas.admin.headers)
    assert communes_only.json()["role"] == "viewer"
    assert [c["code"] for c in communes_only.json()["communes"]] == [2269]


def test_role_changes_that_would_lock_people_out_are_refused(
    client: TestClient, personas: Personas
) -> None:
    officer = f"{API}/users/{personas.officer_a.user.id}"
    no_commune = client.patch(officer, json={"communes": []}, headers=personas.admin.headers)
    assert no_commune.status_code == 422
    assert no_commune.json()["code"] == "no_commune"
    bad_commune = client.patch(officer, json={"communes": [1]}, headers=personas.admin.headers)
    assert bad_commune.status_code == 422
    last_admin = client.patch(
        f"{API}/users/{personas.admin.user.id}",
        json={"role": "officer", "communes": [2302]},
        headers=personas.admin.headers,
    )
    assert last_admin.status_code == 422
    assert last_admin.json()["code"] == "last_admin"
    missing = client.patch(f"{API}/users/424242", json={}, headers=personas.admin.headers)
    assert missing.status_code == 404


def test_the_audit_log_is_filtered_and_paged(
    client: TestClient, personas: Personas, world: World
) -> None:
    for text in ("Một", "Hai", "Ba"):
        client.post(
            f"{API}/conversations/{world.a}/replies",
            json={"text": text},
            headers=personas.officer_a.headers,
        ).raise_for_status()
    headers = personas.admin.headers
    replies = client.get(f"{API}/audit", params={"action": "reply"}, headers=headers).json()
    assert len(replies["items"]) == 3
    first = replies["items"][0]
    assert first["actor"] == {"id": personas.officer_a.user.id, "full_name": "Nguyễn Văn An"}
    assert first["via"] == "api"
    assert first["object_type"] == "conversation"
    assert first["object_id"] == str(world.a)
    assert replies["next_before_id"] is None
    page = client.get(
        f"{API}/audit", params={"action": "reply", "limit": 2}, headers=headers
    ).json()
    assert len(page["items"]) == 2
    rest = client.get(
        f"{API}/audit",
        params={"action": "reply", "limit": 2, "before_id": page["next_before_id"]},
        headers=headers,
    ).json()
    assert len(rest["items"]) == 1
    ids = [e["id"] for e in page["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True)
    by_actor = client.get(
        f"{API}/audit", params={"actor_id": personas.officer_b.user.id}, headers=headers
    ).json()
    assert all(e["actor"]["id"] == personas.officer_b.user.id for e in by_actor["items"])
    by_object = client.get(
        f"{API}/audit",
        params={"object_type": "conversation", "object_id": str(world.a)},
        headers=headers,
    ).json()
    assert len(by_object["items"]) == 3
    later = client.get(
        f"{API}/audit", params={"since": "2999-01-01T00:00:00Z"}, headers=headers
    ).json()
    assert later["items"] == []
