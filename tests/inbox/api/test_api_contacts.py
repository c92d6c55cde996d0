"""Contacts through the API: the record, the Decree 13 export, and erasure."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from danvan.accounts.models import AuditEntry
from danvan.channels.web.inbound import message_event, photo_attachment
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Contact, InboundEvent, Message
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings

if TYPE_CHECKING:
    from tests.conftest import Personas
    from tests.inbox.api.conftest import World

API = "/api/v1"


def test_a_contact_record_is_returned_within_scope(
    client: TestClient, personas: Personas, world: World
) -> None:
    response = client.get(f"{API}/contacts/{world.contact_a}", headers=personas.viewer_a.headers)
    assert response.status_code == 200
    contact = response.json()
    assert contact["display_name"] == "Hoàng Thị Lan"
    assert contact["phone"] == "0912345678"
    assert contact["channel"] == "zalo_oa"
    assert contact["commune_name"] == "Xã Minh Quang"
    assert contact["commune_source"] == "citizen"
    assert contact["consent_at"] is not None
    assert contact["conversation_id"] == world.a
    assert contact["erased"] is False
    missing = client.get(f"{API}/contacts/424242", headers=personas.admin.headers)
    assert missing.status_code == 404


def test_an_officer_exports_a_contact_with_messages_and_without_notes(
    client: TestClient, database: Database, personas: Personas, world: World
) -> None:
    headers = personas.officer_a.headers
    client.post(
        f"{API}/conversations/{world.a}/replies",
        json={"text": "Dạ, xã đã ghi nhận"},
        headers=headers,
    ).raise_for_status()
    client.post(
        f"{API}/conversations/{world.a}/notes", json={"text": "Nội bộ"}, headers=headers
    ).raise_for_status()
    response = client.get(f"{API}/contacts/{world.contact_a}/export", headers=headers)
    assert response.status_code == 200
    export = response.json()
    assert export["format"] == "danvan.contact-export/1"
    assert export["contact"]["phone"] == "0912345678"
    assert export["contact"]["external_id"] == "8461000000000000001"
    assert [(m["direction"], m["text"]) for m in export["messages"]] == [
        ("in", "Tôi ở xã Minh Quang, đường liên thôn bị sạt lở"),
        ("out", "Dạ, xã đã ghi nhận"),
    ]
    assert all(m["created_at"] for m in export["messages"])
    assert "Nội bộ" not in response.text
    assert export["excluded"][0]["what"] == "internal_notes"
    assert export["excluded"][0]["count"] == 1
    assert export["also_held"][0]["count"] == 2  # the message and the shared-info events
    with database.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
        assert entry.object_id == str(world.contact_a)
        assert entry.actor_id == personas.officer_a.user.id


def test_a_viewer_may_not_export(client: TestClient, personas: Personas, world: World) -> None:
    response = client.get(
        f"{API}/contacts/{world.contact_a}/export", headers=personas.viewer_a.headers
    )
    assert response.status_code == 403


def test_an_admin_erases_a_contact_and_keeps_the_counts(
    client: TestClient, database: Database, personas: Personas, world: World, settings: Settings
) -> None:
    response = client.delete(
        f"{API}/contacts/{world.contact_a}",
        params={"reason": "Người dân yêu cầu xoá qua điện thoại"},
        headers=personas.admin.headers,
    )
    assert response.status_code == 200
    result = response.json()
    assert result["contact_id"] == world.contact_a
    assert result["messages_erased"] == 1
    assert result["events_deleted"] == 2
    assert result["kept"]
    with database.session() as session:
        contact = session.get(Contact, world.contact_a)
        assert contact is not None
        assert contact.phone is None
        assert contact.display_name == "(đã xoá)"
        assert contact.commune_code == 2302
        texts = session.scalars(
            select(Message.text).where(Message.conversation_id == world.a)
        ).all()
        assert texts == [""]
        assert session.scalar(select(func.count()).select_from(InboundEvent)) == 2  # B, triage
    record = client.get(f"{API}/contacts/{world.contact_a}", headers=personas.officer_a.headers)
    assert record.json()["erased"] is True
    assert record.json()["phone"] is None
    again = client.delete(
        f"{API}/contacts/{world.contact_a}",
        params={"reason": "lần hai"},
        headers=personas.admin.headers,
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_erased"


def test_erasure_removes_the_web_form_photo_files_after_commit(
    client: TestClient, database: Database, personas: Personas, settings: Settings
) -> None:
    media = Path(settings.media_dir)
    media.mkdir(parents=True, exist_ok=True)
    name = "0123456789abcdef0123456789abcdef.jpg"
    (media / name).write_bytes(b"\xff\xd8 photo")
    (media / "keep.txt").write_text("not ours")
    event = message_event(
        tracking_code="DV-7K3M9Q",
        text="Tôi ở xã Minh Quang, ảnh ổ gà",
        received_at=datetime(2026, 11, 29, 9, 0, tzinfo=UTC),
        photo=photo_attachment(name=name, size=8),
    )
    with database.session() as session:
        ingest_events(session, events=[event], province_code=8)
        contact_id = session.scalars(select(Contact.id).where(Contact.channel == "web")).one()
    response = client.delete(
        f"{API}/contacts/{contact_id}", params={"reason": "Yêu cầu"}, headers=personas.admin.headers
    )
    assert response.status_code == 200
    assert response.json()["media_files"] == 1
    assert response.json()["events_deleted"] == 1
    assert not (media / name).exists()
    assert (media / "keep.txt").exists()


def test_only_admins_erase_and_a_reason_is_required(
    client: TestClient, database: Database, personas: Personas, world: World
) -> None:
    url = f"{API}/contacts/{world.contact_a}"
    for persona in (personas.officer_a, personas.viewer_a):
        response = client.delete(url, params={"reason": "x"}, headers=persona.headers)
        assert response.status_code == 403
    for params in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}):
        response = client.delete(url, params=params, headers=personas.admin.headers)
        assert response.status_code == 422, params
    with database.session() as session:
        contact = session.get(Contact, world.contact_a)
        assert contact is not None
        assert contact.phone == "0912345678"
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "contact_delete")
            )
            == 0
        )
