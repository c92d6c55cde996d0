"""Writes on a conversation: replies, notes, assignment and labels."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from danvan.accounts.models import AuditEntry
from danvan.inbox.conversations import MAX_REPLY_CHARS
from danvan.inbox.models import Message, OutboxItem
from danvan.kernel.db import Database

if TYPE_CHECKING:
    from tests.conftest import Personas
    from tests.inbox.api.conftest import World

API = "/api/v1"


def _outbox_rows(database: Database) -> list[OutboxItem]:
    with database.session() as session:
        return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


def test_a_reply_gets_201_the_queued_message_and_an_outbox_row(
    client: TestClient, database: Database, personas: Personas, world: World
) -> None:
    response = client.post(
        f"{API}/conversations/{world.a}/replies",
        json={"text": "Chào chị, xã đã cử người kiểm tra."},
        headers=personas.officer_a.headers,
    )
    assert response.status_code == 201
    message = response.json()
    assert message["direction"] == "out"
    assert message["text"] == "Chào chị, xã đã cử người kiểm tra."
    assert message["delivery_status"] == "queued"
    assert message["source"] == "staff"
    assert message["author"]["id"] == personas.officer_a.user.id
    outbox = [row for row in _outbox_rows(database) if row.message_id == message["id"]]
    assert len(outbox) == 1
    assert outbox[0].recipient == "8461000000000000001"
    assert outbox[0].status == "pending"
    with database.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "reply")).one()
    assert entry.via == "api"
    assert entry.actor_id == personas.officer_a.user.id


def test_a_reply_is_stored_nfc_normalised(
    client: TestClient, database: Database, personas: Personas, world: World
) -> None:
    decomposed = unicodedata.normalize("NFD", "Cảm ơn bà con xã Minh Quang")
    assert decomposed != unicodedata.normalize("NFC", decomposed)
    response = client.post(
        f"{API}/conversations/{world.a}/replies",
        json={"text": f"  {decomposed}\x00 "},
        headers=personas.officer_a.headers,
    )
    assert response.status_code == 201
    assert response.json()["text"] == "Cảm ơn bà con xã Minh Quang"
    with database.session() as session:
        stored = session.get(Message, response.json()["id"])
        assert stored is not None
        assert stored.text == unicodedata.normalize("NFC", "Cảm ơn bà con xã Minh Quang")


def test_the_reply_limit_is_measured_after_normalisation(
    client: TestClient, personas: Personas, world: World
) -> None:
    # Each "ệ" is three code points in NFD but one after NFC: the limit counts one.
    text = unicodedata.normalize("NFD", "ệ" * MAX_REPLY_CHARS)
    response = client.post(
        f"{API}/conversations/{world.a}/replies",
        json={"text": text},
        headers=personas.officer_a.headers,
    )
    assert response.status_code == 201


def test_an_empty_or_too_long_reply_gets_422_and_stores_nothing(
    client: TestClient, database: Database, personas: Personas, world: World
) -> None:
    url = f"{API}/conversations/{world.a}/replies"
    headers = personas.officer_a.headers
    empty = client.post(url, json={"text": "   "}, headers=headers)
    assert empty.status_code == 422
    assert empty.json() == {"detail": "Nội dung trả lời không được để trống", "code": "empty"}
    long = client.post(url, json={"text": "a" * (MAX_REPLY_CHARS + 1)}, headers=headers)
    assert long.status_code == 422
    assert long.json()["code"] == "too_long"
    assert str(MAX_REPLY_CHARS) in long.json()["detail"]
    for body in ({}, {"text": 5}, {"text": None}, {"text": "a", "extra": 1}):
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid_input"
    not_json = client.post(
        url, content=b"{not json", headers={**headers, "content-type": "application/json"}
    )
    assert not_json.status_code == 422
    with database.session() as session:
        outbound = select(func.count()).select_from(Message).where(Message.direction == "out")
        assert session.scalar(outbound) == 0


def test_a_huge_body_is_refused_before_it_is_read(
    client: TestClient, personas: Personas, world: World
) -> None:
    response = client.post(
        f"{API}/conversations/{world.a}/replies",
        json={"text": "a" * 400_000},
        headers=personas.officer_a.headers,
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_notes_are_added_and_listed(client: TestClient, personas: Personas, world: World) -> None:
    url = f"{API}/conversations/{world.a}/notes"
    created = client.post(
        url, json={"text": "Đã gọi điện cho trưởng thôn"}, headers=personas.officer_a.headers
    )
    assert created.status_code == 201
    assert created.json()["text"] == "Đã gọi điện cho trưởng thôn"
    assert created.json()["author"]["full_name"] == "Nguyễn Văn An"
    listed = client.get(url, headers=personas.viewer_a.headers)
    assert listed.status_code == 200
    assert [n["id"] for n in listed.json()] == [created.json()["id"]]
    empty = client.post(url, json={"text": ""}, headers=personas.officer_a.headers)
    assert empty.status_code == 422
    assert empty.json()["code"] == "empty"


def test_a_conversation_is_assigned_and_unassigned(
    client: TestClient, personas: Personas, world: World
) -> None:
    url = f"{API}/conversations/{world.a}/assign"
    assigned = client.post(
        url, json={"assignee_id": personas.colleague_a.user.id}, headers=personas.officer_a.headers
    )
    assert assigned.status_code == 200
    assert assigned.json()["assignee"] == {
        "id": personas.colleague_a.user.id,
        "full_name": "Trần Thị Bình",
    }
    mine = client.get(
        f"{API}/conversations",
        params={"assigned_to_me": True},
        headers=personas.colleague_a.headers,
    )
    assert [c["id"] for c in mine.json()["items"]] == [world.a]
    unassigned = client.post(url, json={"assignee_id": None}, headers=personas.officer_a.headers)
    assert unassigned.json()["assignee"] is None


def test_assigning_to_someone_outside_the_commune_gets_422(
    client: TestClient, personas: Personas, world: World
) -> None:
    url = f"{API}/conversations/{world.a}/assign"
    for assignee in (personas.officer_b.user.id, personas.viewer_a.user.id, 424242):
        response = client.post(
            url, json={"assignee_id": assignee}, headers=personas.officer_a.headers
        )
        assert response.status_code == 422, assignee
        assert response.json()["code"] == "invalid"
    missing_key = client.post(url, json={}, headers=personas.officer_a.headers)
    assert missing_key.status_code == 422


def test_labels_are_replaced_as_a_set(client: TestClient, personas: Personas, world: World) -> None:
    headers = personas.officer_a.headers
    ids = [
        client.post(f"{API}/labels", json={"name": name}, headers=headers).json()["id"]
        for name in ("Giao thông", "Khẩn")
    ]
    url = f"{API}/conversations/{world.a}/labels"
    both = client.put(url, json={"label_ids": ids}, headers=headers)
    assert both.status_code == 200
    assert [label["name"] for label in both.json()["labels"]] == ["Giao thông", "Khẩn"]
    none = client.put(url, json={"label_ids": []}, headers=headers)
    assert none.json()["labels"] == []
    unknown = client.put(url, json={"label_ids": [ids[0], 999999]}, headers=headers)
    assert unknown.status_code == 422
    assert client.get(f"{API}/conversations/{world.a}", headers=headers).json()["labels"] == []


def test_a_triage_citizen_is_asked_for_their_commune_once_through_the_api(
    client: TestClient, personas: Personas, world: World
) -> None:
    url = f"{API}/conversations/{world.triage}/ask-commune"
    first = client.post(url, headers=personas.admin.headers)
    assert first.status_code == 201
    assert first.json()["delivery_status"] == "queued"
    again = client.post(url, headers=personas.admin.headers)
    assert again.status_code == 422
    assert again.json()["code"] == "already_asked"
    assert client.post(url, headers=personas.officer_a.headers).status_code == 404
