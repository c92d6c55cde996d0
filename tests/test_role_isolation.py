"""Role and commune isolation across every API route and the CLI.

Conversations wait in commune A (2302, Xã Minh Quang), commune B (2269, Xã Thượng Lâm) and in
triage (no commune yet). Officer B must see nothing of A, through any route; viewer A reads A but
writes nothing; officers never see triage; the admin sees everything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from danvan.accounts.models import AuditEntry
from danvan.channels.base import EventKind, InboundEvent
from danvan.cli import app as cli
from danvan.inbox.conversations import do_add_note, do_reply, get_or_create_label
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Contact, Conversation, Label, Message, Note, OutboxItem
from danvan.kernel.db import Database

if TYPE_CHECKING:
    from tests.conftest import Personas

API = "/api/v1"
T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@dataclass
class Inbox:
    a: int
    b: int
    triage: int
    contact_a: int
    contact_b: int
    contact_triage: int
    label: int


def _writes(database: Database, user_id: str, text: str, at: datetime) -> tuple[int, int]:
    """A citizen's Zalo message, ingested; (conversation id, contact id)."""
    event = InboundEvent(
        channel="zalo_oa",
        kind=EventKind.MESSAGE,
        event_name="user_send_text",
        dedupe_key=f"m-{user_id}",
        occurred_at=at,
        user_id=user_id,
        display_name=f"Công dân {user_id}",
        message_id=f"m-{user_id}",
        text=text,
        raw=json.dumps({"sender": {"id": user_id}, "message": {"msg_id": f"m-{user_id}"}}),
    )
    with database.session() as session:
        ingest_events(session, events=[event], province_code=8)
        contact = session.scalars(select(Contact).where(Contact.external_id == user_id)).one()
        conversation = session.scalars(
            select(Conversation).where(Conversation.contact_id == contact.id)
        ).one()
        return conversation.id, contact.id


@pytest.fixture
def inbox(database: Database, personas: Personas) -> Inbox:
    a, contact_a = _writes(database, "citizen-a", "Tôi ở xã Minh Quang, đường hỏng", T0)
    b, contact_b = _writes(database, "citizen-b", "Tôi ở xã Thượng Lâm", T0 + timedelta(minutes=1))
    triage, contact_triage = _writes(database, "citizen-t", "Mất điện", T0 + timedelta(minutes=2))
    with database.session() as session:
        conversation = session.get(Conversation, a)
        assert conversation is not None
        officer = personas.officer_a.actor
        do_reply(session, actor=officer, conversation=conversation, text="Dạ, xã đã ghi nhận")
        do_add_note(session, actor=officer, conversation=conversation, text="Gọi trưởng thôn")
        label = get_or_create_label(session, actor=officer, name="Giao thông")
    return Inbox(a, b, triage, contact_a, contact_b, contact_triage, label.id)


def _snapshot(database: Database) -> dict[str, object]:
    """What a refused write must leave unchanged."""
    with database.session() as session:
        conversation = session.get(Conversation, 1)
        return {
            "messages": session.scalar(select(func.count()).select_from(Message)),
            "outbox": session.scalar(select(func.count()).select_from(OutboxItem)),
            "notes": session.scalar(select(func.count()).select_from(Note)),
            "labels": session.scalar(select(func.count()).select_from(Label)),
            "contacts": sorted(
                (c.id, c.display_name, c.external_id) for c in session.scalars(select(Contact))
            ),
            "conversations": sorted(
                (c.id, c.commune_code, c.status, c.assignee_id, c.unread_count)
                for c in session.scalars(select(Conversation))
            ),
            "conversation_1_labels": [label.id for label in conversation.labels]
            if conversation
            else [],
            "audit": session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.via == "api")
            ),
        }


def _reads(conversation: int, contact: int) -> list[tuple[str, str]]:
    return [
        ("GET", f"/conversations/{conversation}"),
        ("GET", f"/conversations/{conversation}/messages"),
        ("GET", f"/conversations/{conversation}/notes"),
        ("GET", f"/contacts/{contact}"),
    ]


def _writes_on(
    conversation: int, contact: int, assignee: int, label: int
) -> list[tuple[str, str, dict[str, object] | None]]:
    return [
        ("POST", f"/conversations/{conversation}/replies", {"text": "Xin chào"}),
        ("POST", f"/conversations/{conversation}/assign", {"assignee_id": assignee}),
        ("POST", f"/conversations/{conversation}/notes", {"text": "Ghi chú"}),
        ("PUT", f"/conversations/{conversation}/labels", {"label_ids": [label]}),
        ("PATCH", f"/conversations/{conversation}", {"status": "closed"}),
        ("PATCH", f"/conversations/{conversation}", {"commune_code": 2269}),
        ("POST", f"/conversations/{conversation}/read", None),
        ("GET", f"/contacts/{contact}/export", None),
        ("DELETE", f"/contacts/{contact}?reason=test", None),
    ]


def test_officer_b_sees_nothing_of_commune_a_through_any_route(
    client: TestClient, database: Database, personas: Personas, inbox: Inbox
) -> None:
    headers = personas.officer_b.headers
    listed = client.get(f"{API}/conversations", params={"limit": 200}, headers=headers).json()
    assert [c["id"] for c in listed["items"]] == [inbox.b]
    for params in (
        {"commune_code": 2302},
        {"q": "minh quang"},
        {"q": "Công dân citizen-a"},
        {"label": "Giao thông"},
    ):
        found = client.get(f"{API}/conversations", params=params, headers=headers).json()
        assert inbox.a not in [c["id"] for c in found["items"]], params
    for method, path in _reads(inbox.a, inbox.contact_a):
        response = client.request(method, API + path, headers=headers)
        assert response.status_code == 404, path
        assert "citizen-a" not in response.text
    before = _snapshot(database)
    for method, path, body in _writes_on(
        inbox.a, inbox.contact_a, personas.officer_b.user.id, inbox.label
    ):
        response = client.request(method, API + path, json=body, headers=headers)
        # Scope is checked before role: even the admin-only erasure answers 404, leaking nothing.
        assert response.status_code == 404, (method, path, response.text)
        assert "citizen-a" not in response.text
    assert _snapshot(database) == before


def test_the_same_out_of_scope_answer_as_for_a_missing_object(
    client: TestClient, personas: Personas, inbox: Inbox
) -> None:
    headers = personas.officer_b.headers
    hidden = client.get(f"{API}/conversations/{inbox.a}", headers=headers)
    missing = client.get(f"{API}/conversations/987654", headers=headers)
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


def test_viewer_a_reads_commune_a_but_writes_nothing(
    client: TestClient, database: Database, personas: Personas, inbox: Inbox
) -> None:
    headers = personas.viewer_a.headers
    listed = client.get(f"{API}/conversations", headers=headers).json()
    assert [c["id"] for c in listed["items"]] == [inbox.a]
    for method, path in _reads(inbox.a, inbox.contact_a):
        assert client.request(method, API + path, headers=headers).status_code == 200, path
    before = _snapshot(database)
    for method, path, body in _writes_on(
        inbox.a, inbox.contact_a, personas.officer_a.user.id, inbox.label
    ):
        response = client.request(method, API + path, json=body, headers=headers)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["code"] == "forbidden"
    creating = client.post(f"{API}/labels", json={"name": "Mới"}, headers=headers)
    assert creating.status_code == 403
    assert _snapshot(database) == before


def test_officers_never_see_triage(client: TestClient, personas: Personas, inbox: Inbox) -> None:
    for persona in (
        personas.officer_a,
        personas.colleague_a,
        personas.viewer_a,
        personas.officer_b,
    ):
        headers = persona.headers
        listed = client.get(f"{API}/conversations", headers=headers).json()["items"]
        assert inbox.triage not in [c["id"] for c in listed]
        triage = client.get(f"{API}/conversations", params={"triage": True}, headers=headers)
        assert triage.json()["items"] == []
        for method, path in _reads(inbox.triage, inbox.contact_triage):
            assert client.request(method, API + path, headers=headers).status_code == 404, path


def test_the_admin_sees_everything(client: TestClient, personas: Personas, inbox: Inbox) -> None:
    headers = personas.admin.headers
    listed = client.get(f"{API}/conversations", headers=headers).json()["items"]
    assert {c["id"] for c in listed} == {inbox.triage, inbox.b, inbox.a}
    for conversation, contact in (
        (inbox.a, inbox.contact_a),
        (inbox.b, inbox.contact_b),
        (inbox.triage, inbox.contact_triage),
    ):
        for method, path in _reads(conversation, contact):
            assert client.request(method, API + path, headers=headers).status_code == 200, path


def test_officer_a_writes_within_commune_a(
    client: TestClient, personas: Personas, inbox: Inbox
) -> None:
    headers = personas.officer_a.headers
    for method, path, body in _writes_on(
        inbox.a, inbox.contact_a, personas.colleague_a.user.id, inbox.label
    ):
        response = client.request(method, API + path, json=body, headers=headers)
        if path.endswith("?reason=test"):
            assert response.status_code == 403  # erasure is for admins
        elif body == {"commune_code": 2269}:
            assert response.status_code == 422  # not officer A's commune to send it to
        else:
            assert response.is_success, (method, path, response.text)


def test_a_token_from_the_cli_carries_the_same_scope(
    client: TestClient, personas: Personas, inbox: Inbox
) -> None:
    result = CliRunner().invoke(cli, ["token", "create", "cuong@thuonglam.tq.gov.vn"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/me", headers=headers).json()["email"] == "cuong@thuonglam.tq.gov.vn"
    assert client.get(f"{API}/conversations/{inbox.a}", headers=headers).status_code == 404
    assert client.get(f"{API}/conversations/{inbox.b}", headers=headers).status_code == 200


def test_the_cli_contact_commands_apply_the_same_roles(
    database: Database, personas: Personas, inbox: Inbox
) -> None:
    runner = CliRunner()
    hidden = runner.invoke(
        cli, ["contact", "export", str(inbox.contact_a), "--as", "cuong@thuonglam.tq.gov.vn"]
    )
    assert hidden.exit_code != 0
    assert "Không tìm thấy" in hidden.stderr
    viewer = runner.invoke(
        cli, ["contact", "export", str(inbox.contact_a), "--as", "xem@minhquang.tq.gov.vn"]
    )
    assert viewer.exit_code != 0
    officer_delete = runner.invoke(
        cli,
        [
            "contact",
            "delete",
            str(inbox.contact_a),
            "--reason",
            "x",
            "--as",
            "an@minhquang.tq.gov.vn",
        ],
    )
    assert officer_delete.exit_code != 0
    assert "quản trị viên" in officer_delete.stderr
    with database.session() as session:
        contact = session.get(Contact, inbox.contact_a)
        assert contact is not None
        assert contact.external_id == "citizen-a"
