"""Areas, the token's own account, and the OpenAPI document."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from danvan.kernel.text import fold

if TYPE_CHECKING:
    from tests.conftest import Personas

API = "/api/v1"


def test_areas_list_the_deployment_province_and_its_communes(
    client: TestClient, personas: Personas
) -> None:
    response = client.get(f"{API}/areas", headers=personas.viewer_a.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 8
    assert body["name"] == "Tuyên Quang"
    assert len(body["communes"]) == 124
    assert {"code": 2302, "name": "Xã Minh Quang", "kind": "xã"} in body["communes"]
    assert body["match"] is None


def test_areas_of_another_province(client: TestClient, personas: Personas) -> None:
    response = client.get(f"{API}/areas", params={"province": 1}, headers=personas.admin.headers)
    assert response.status_code == 200
    assert response.json()["name"] == "Thành phố Hà Nội"
    assert len(response.json()["communes"]) == 126
    missing = client.get(f"{API}/areas", params={"province": 3}, headers=personas.admin.headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


def test_q_matches_a_commune_with_or_without_diacritics_or_prefix(
    client: TestClient, personas: Personas
) -> None:
    for text in ("xa minh quang", "Minh Quang", "Xã Minh Quang", "tôi ở xã minh quang ạ"):
        response = client.get(f"{API}/areas", params={"q": text}, headers=personas.admin.headers)
        body = response.json()
        assert body["match"] == {"code": 2302, "name": "Xã Minh Quang", "kind": "xã"}, text
        assert body["communes"] == [body["match"]]


def test_q_without_a_single_match_lists_communes_containing_the_text(
    client: TestClient, personas: Personas
) -> None:
    response = client.get(f"{API}/areas", params={"q": "quang"}, headers=personas.admin.headers)
    body = response.json()
    assert body["match"] is None
    names = [c["name"] for c in body["communes"]]
    assert "Xã Minh Quang" in names
    assert "Xã Quảng Nguyên" in names  # diacritics do not matter
    assert all("quang" in fold(n) for n in names)
    nothing = client.get(f"{API}/areas", params={"q": "zzz"}, headers=personas.admin.headers)
    assert nothing.json()["communes"] == []


def test_the_34_provinces_are_listed(client: TestClient, personas: Personas) -> None:
    response = client.get(f"{API}/areas/provinces", headers=personas.officer_b.headers)
    assert response.status_code == 200
    provinces = response.json()
    assert len(provinces) == 34
    assert {"code": 8, "name": "Tuyên Quang", "commune_count": 124} in provinces


def test_me_tells_the_token_user_role_and_communes(client: TestClient, personas: Personas) -> None:
    response = client.get(f"{API}/me", headers=personas.officer_a.headers)
    assert response.status_code == 200
    assert response.json() == {
        "id": personas.officer_a.user.id,
        "email": "an@minhquang.tq.gov.vn",
        "full_name": "Nguyễn Văn An",
        "role": "officer",
        "locale": "vi",
        "communes": [{"code": 2302, "name": "Xã Minh Quang"}],
    }
    admin = client.get(f"{API}/me", headers=personas.admin.headers).json()
    assert admin["role"] == "admin"
    assert admin["communes"] == []


def test_the_openapi_document_renders_and_lists_the_routes(client: TestClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    for path in (
        "/api/v1/conversations",
        "/api/v1/conversations/{conversation_id}",
        "/api/v1/conversations/{conversation_id}/messages",
        "/api/v1/conversations/{conversation_id}/replies",
        "/api/v1/conversations/{conversation_id}/assign",
        "/api/v1/conversations/{conversation_id}/notes",
        "/api/v1/conversations/{conversation_id}/labels",
        "/api/v1/conversations/{conversation_id}/read",
        "/api/v1/areas",
        "/api/v1/areas/provinces",
        "/api/v1/me",
        "/api/v1/labels",
        "/api/v1/users",
        "/api/v1/users/{user_id}",
        "/api/v1/audit",
        "/api/v1/contacts/{contact_id}",
        "/api/v1/contacts/{contact_id}/export",
    ):
        assert path in paths, path
    reply = paths["/api/v1/conversations/{conversation_id}/replies"]["post"]
    assert "201" in reply["responses"]
    assert "Answer the citizen" in reply["description"]
    # Every operation documents its response (a JSON model; a file download names its media
    # type; 204 has none) and the JSON error shape.
    for path, operations in paths.items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            status, success = next(
                (k, v) for k, v in operation["responses"].items() if k.startswith("2")
            )
            if status == "204":
                assert "content" not in success, (method, path)
            elif path.endswith((".xlsx", ".docx", ".pdf")):
                assert set(success["content"]) - {"application/json"}, (method, path)
            else:
                assert "application/json" in success["content"], (method, path)
            assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOut"
            }
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
