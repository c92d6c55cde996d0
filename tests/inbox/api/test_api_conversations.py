"""GET /api/v1/conversations (filters, pagination), one conversation, its messages, PATCH, read."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient
from sqlalchemy import select

from danvan.accounts.models import AuditEntry
from danvan.inbox.conversations import do_reply, get_or_create_label
from danvan.inbox.models import Conversation
from danvan.kernel.db import Database

if TYPE_CHECKING:  # test folders are not packages: fixtures' types, for readers and editors
    from tests.conftest import Personas
    from tests.inbox.api.conftest import Citizens, World

API = "/api/v1"


def test_an_officer_lists_the_conversations_of_their_commune(
    client: TestClient, personas: Personas, world: World
) -> None:
    response = client.get(f"{API}/conversations", headers=personas.officer_a.headers)
    assert response.status_code == 200
    body = response.json()
    assert [c["id"] for c in body["items"]] == [world.a]
    assert body["next_before"] is None
    item = body["items"][0]
    assert item["channel"] == "zalo_oa"
    assert item["commune_code"] == 2302
    assert item["commune_name"] == "Xã Minh Quang"
    assert item["status"] == "open"
    assert item["unread_count"] == 1
    assert item["assignee"] is None
    assert item["labels"] == []
    assert item["last_message_preview"].startswith("Tôi ở xã Minh Quang")
    assert item["contact"] == {
        "id": world.contact_a,
        "display_name": "Hoàng Thị Lan",
        "phone": "0912345678",
        "commune_code": 2302,
        "is_follower": True,
    }


def test_the_phone_is_null_when_the_citizen_did_not_share_it(
    client: TestClient, personas: Personas, world: World
) -> None:
    response = client.get(f"{API}/conversations/{world.b}", headers=personas.officer_b.headers)
    assert response.json()["contact"]["phone"] is None


def test_an_admin_lists_every_conversation_newest_first(
    client: TestClient, personas: Personas, world: World
) -> None:
    response = client.get(f"{API}/conversations", headers=personas.admin.headers)
    assert [c["id"] for c in response.json()["items"]] == [world.triage, world.b, world.a]


def test_filters_narrow_the_list(client: TestClient, personas: Personas, world: World) -> None:
    headers = personas.admin.headers

    def ids(**params: object) -> list[int]:
        response = client.get(f"{API}/conversations", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert ids(triage=True) == [world.triage]
    assert ids(commune_code=2269) == [world.b]
    assert ids(channel="web") == []
    assert ids(channel="zalo_oa") == [world.triage, world.b, world.a]
    assert ids(unread=True) == [world.triage, world.b, world.a]
    assert ids(status="closed") == []
    assert ids(assigned_to_me=True) == []
    # Search works without diacritics, on the name and the last message.
    assert ids(q="hoang thi lan") == [world.a]
    assert ids(q="TIEM CHUNG") == [world.b]


def test_the_label_filter_takes_an_id_or_a_name(
    client: TestClient, database: Database, personas: Personas, world: World
) -> None:
    client.post(
        f"{API}/labels", json={"name": "Giao thông"}, headers=personas.officer_a.headers
    ).raise_for_status()
    label_id = client.get(f"{API}/labels", headers=personas.admin.headers).json()[0]["id"]
    client.put(
        f"{API}/conversations/{world.a}/labels",
        json={"label_ids": [label_id]},
        headers=personas.officer_a.headers,
    ).raise_for_status()
    for label in (str(label_id), "giao thong", "Giao thông"):
        response = client.get(
            f"{API}/conversations", params={"label": label}, headers=personas.admin.headers
        )
        assert [c["id"] for c in response.json()["items"]] == [world.a], label
    unknown = client.get(
        f"{API}/conversations", params={"label": "không có"}, headers=personas.admin.headers
    )
    assert unknown.status_code == 200
    assert unknown.json()["items"] == []


def test_pagination_with_before_walks_every_conversation_once(
    client: TestClient, citizens: Citizens, personas: Personas
) -> None:
    # Seven conversations in commune A; four of them share one instant.
    expected = []
    for n in range(7):
        at = citizens.t0 + timedelta(minutes=min(n, 3))
        expected.append(citizens.writes(user_id=f"u{n}", text="Tôi ở xã Minh Quang", at=at))
    seen: list[int] = []
    params: dict[str, object] = {"limit": 2}
    for _ in range(10):
        response = client.get(
            f"{API}/conversations", params=params, headers=personas.officer_a.headers
        )
        assert response.status_code == 200
        page = response.json()
        seen += [c["id"] for c in page["items"]]
        if page["next_before"] is None:
            break
        params = {
            "limit": 2,
            "before": page["next_before"],
            "before_id": page["next_before_id"],
        }
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))


def test_before_alone_returns_conversations_older_than_the_cursor(
    client: TestClient, personas: Personas, world: World
) -> None:
    cursor = "2026-11-29T08:01:00+00:00"  # the time of B's message
    response = client.get(
        f"{API}/conversations", params={"before": cursor}, headers=personas.admin.headers
    )
    assert [c["id"] for c in response.json()["items"]] == [world.a]
    # A cursor without a zone is taken as UTC.
    naive = client.get(
        f"{API}/conversations",
        params={"before": "2026-11-29T08:01:00"},
        headers=personas.admin.headers,
    )
    assert [c["id"] for c in naive.json()["items"]] == [world.a]


def test_bad_list_parameters_get_422_with_a_clear_message(
    client: TestClient, personas: Personas, world: World
) -> None:
    for params in (
        {"limit": 201},
        {"limit": 0},
        {"before": "yesterday"},
        {"channel": "facebook"},
        {"status": "archived"},
        {"commune_code": 99999999999},
        {"q": "x" * 201},
    ):
        response = client.get(f"{API}/conversations", params=params, headers=personas.admin.headers)
        assert response.status_code == 422, params
        body = response.json()
        assert body["code"] == "invalid_input"
        assert "Dữ liệu không hợp lệ" in body["detail"]
    limit = client.get(f"{API}/conversations?limit=500", headers=personas.admin.headers)
    assert "limit" in limit.json()["detail"]


def test_one_conversation_is_returned_in_full(
    client: TestClient, personas: Personas, world: World
) -> None:
    response = client.get(f"{API}/conversations/{world.a}", headers=personas.viewer_a.headers)
    assert response.status_code == 200
    assert response.json()["id"] == world.a
    assert response.json()["contact"]["display_name"] == "Hoàng Thị Lan"


def test_a_missing_conversation_is_404(client: TestClient, personas: Personas) -> None:
    response = client.get(f"{API}/conversations/987654", headers=personas.admin.headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "Không tìm thấy cuộc hội thoại", "code": "not_found"}


def test_messages_come_in_both_directions_with_delivery_fields(
    client: TestClient, database: Database, personas: Personas, world: World
) -> None:
    with database.session() as session:
        conversation = session.get(Conversation, world.a)
        assert conversation is not None
        do_reply(session, actor=personas.officer_a.actor, conversation=conversation, text="Dạ")
    response = client.get(
        f"{API}/conversations/{world.a}/messages", headers=personas.viewer_a.headers
    )
    assert response.status_code == 200
    inbound, outbound = response.json()
    assert inbound["direction"] == "in"
    assert inbound["kind"] == "text"
    assert inbound["source"] == "citizen"
    assert inbound["author"] is None
    assert inbound["delivery_status"] is None
    assert inbound["text"].startswith("Tôi ở xã Minh Quang")
    assert inbound["attachments"] == []
    assert outbound["direction"] == "out"
    assert outbound["text"] == "Dạ"
    assert outbound["source"] == "staff"
    assert outbound["author"] == {
        "id": personas.officer_a.user.id,
        "full_name": "Nguyễn Văn An",
    }
    assert outbound["delivery_status"] == "queued"
    assert outbound["delivery_error"] is None
    assert outbound["sent_at"] is None
    newer = client.get(
        f"{API}/conversations/{world.a}/messages",
        params={"after_id": inbound["id"]},
        headers=personas.viewer_a.headers,
    )
    assert [m["id"] for m in newer.json()] == [outbound["id"]]


def test_patch_moves_a_triage_conversation_to_a_commune(
    client: TestClient, database: Database, personas: Personas, world: World
) -> None:
    response = client.patch(
        f"{API}/conversations/{world.triage}",
        json={"commune_code": 2302},
        headers=personas.admin.headers,
    )
    assert response.status_code == 200
    assert response.json()["commune_code"] == 2302
    assert response.json()["commune_name"] == "Xã Minh Quang"
    # Now officer A sees it.
    seen = client.get(f"{API}/conversations/{world.triage}", headers=personas.officer_a.headers)
    assert seen.status_code == 200
    with database.session() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "set_commune" in actions


def test_patch_closes_and_reopens_a_conversation(
    client: TestClient, personas: Personas, world: World
) -> None:
    url = f"{API}/conversations/{world.a}"
    closed = client.patch(url, json={"status": "closed"}, headers=personas.officer_a.headers)
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    reopened = client.patch(url, json={"status": "open"}, headers=personas.officer_a.headers)
    assert reopened.json()["status"] == "open"


def test_patch_refuses_bad_input(client: TestClient, personas: Personas, world: World) -> None:
    url = f"{API}/conversations/{world.a}"
    headers = personas.officer_a.headers
    for body, code in (
        ({}, "empty"),
        ({"status": "archived"}, "invalid_input"),
        ({"commune_code": "Minh Quang"}, "invalid_input"),
        ({"colour": "red"}, "invalid_input"),
        ({"commune_code": 1}, "invalid"),  # not a commune
        ({"commune_code": 2269}, "invalid"),  # not officer A's commune
        ({"commune_code": None}, "invalid"),  # only admins send a conversation back to triage
    ):
        response = client.patch(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.json()["code"] == code, body


def test_marking_read_clears_the_unread_count(
    client: TestClient, personas: Personas, world: World
) -> None:
    response = client.post(
        f"{API}/conversations/{world.a}/read", headers=personas.officer_a.headers
    )
    assert response.status_code == 200
    assert response.json()["unread_count"] == 0
    listed = client.get(
        f"{API}/conversations", params={"unread": True}, headers=personas.officer_a.headers
    )
    assert listed.json()["items"] == []


def test_labels_can_be_listed_and_created_once(
    client: TestClient, database: Database, personas: Personas
) -> None:
    headers = personas.officer_a.headers
    created = client.post(
        f"{API}/labels", json={"name": "Môi trường", "color": "#16A34A"}, headers=headers
    )
    assert created.status_code == 201
    assert created.json()["name"] == "Môi trường"
    assert created.json()["color"] == "#16a34a"
    again = client.post(f"{API}/labels", json={"name": "moi truong"}, headers=headers)
    assert again.status_code == 200
    assert again.json()["id"] == created.json()["id"]
    with database.session() as session:
        get_or_create_label(session, actor=personas.admin.actor, name="An ninh")
    names = [label["name"] for label in client.get(f"{API}/labels", headers=headers).json()]
    assert names == ["An ninh", "Môi trường"]


def test_label_input_is_checked(client: TestClient, personas: Personas) -> None:
    headers = personas.officer_a.headers
    for body in ({"name": "  "}, {"name": "x" * 65}, {"name": "A", "color": "red"}, {}):
        response = client.post(f"{API}/labels", json=body, headers=headers)
        assert response.status_code == 422, body
