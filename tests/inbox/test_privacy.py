"""danvan.inbox.privacy: scope, export and erasure of a citizen's personal data (Decree 13/2023)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from danvan.accounts.models import AuditEntry
from danvan.channels.base import Attachment, EventKind, InboundEvent, SharedInfo
from danvan.inbox import privacy
from danvan.inbox.conversations import do_add_note, do_reply
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Contact, Conversation, Message, Note, OutboxItem
from danvan.inbox.models import InboundEvent as InboundEventRow
from danvan.kernel.db import Database
from danvan.kernel.errors import Forbidden, Invalid, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tests.conftest import Personas

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
LAN = "8461000000000000001"  # the citizen whose data is exported and erased
# A neighbour whose id contains Lan's: must not be touched by Lan's erasure.
NEIGHBOUR = "18461000000000000001"


def _event(kind: EventKind, name: str, user: str, at: datetime, **fields: object) -> InboundEvent:
    payload: dict[str, object] = {"event_name": name, "timestamp": str(int(at.timestamp() * 1000))}
    if kind in (EventKind.FOLLOW, EventKind.UNFOLLOW):
        payload |= {"oa_id": "oa-1", "follower": {"id": user}}
    else:
        payload |= {"sender": {"id": user}, "recipient": {"id": "oa-1"}}
    message_id = fields.get("message_id")
    if message_id:
        payload["message"] = {"msg_id": message_id, "text": fields.get("text", "")}
    key = str(message_id or f"{name}:{user}:{payload['timestamp']}")
    return InboundEvent(
        channel="zalo_oa",
        kind=kind,
        event_name=name,
        dedupe_key=key,
        occurred_at=at,
        user_id=user,
        raw=json.dumps(payload),
        **fields,  # type: ignore[arg-type]
    )


def _ingest(database: Database, *events: InboundEvent) -> None:
    with database.session() as session:
        ingest_events(session, events=list(events), province_code=8)


def _contact(session: Session, external_id: str) -> Contact:
    return session.scalars(select(Contact).where(Contact.external_id == external_id)).one()


@pytest.fixture
def lan(database: Database, personas: Personas) -> int:
    """Lan follows the OA, writes from Xã Minh Quang with a photo, shares her phone; an officer
    answers and notes; the neighbour writes too. Returns Lan's contact id."""
    _ingest(
        database,
        _event(EventKind.FOLLOW, "follow", LAN, T0),
        _event(
            EventKind.MESSAGE,
            "user_send_text",
            LAN,
            T0 + timedelta(minutes=1),
            message_id="m-lan-1",
            text="Tôi ở xã Minh Quang, cầu treo bị hỏng",
            display_name="Hoàng Thị Lan",
        ),
        _event(
            EventKind.MESSAGE,
            "user_send_image",
            LAN,
            T0 + timedelta(minutes=2),
            message_id="m-lan-2",
            message_kind="image",
            attachments=(Attachment(type="image", url="https://zalo.example/photo.jpg"),),
        ),
        _event(
            EventKind.USER_INFO,
            "user_submit_info",
            LAN,
            T0 + timedelta(minutes=3),
            shared_info=SharedInfo(name="Hoàng Thị Lan", phone="0912345678", address="Thôn Bản"),
        ),
        _event(
            EventKind.MESSAGE,
            "user_send_text",
            NEIGHBOUR,
            T0 + timedelta(minutes=4),
            message_id="m-neighbour-1",
            text="Tôi ở xã Minh Quang",
        ),
    )
    with database.session() as session:
        contact = _contact(session, LAN)
        conversation = session.scalars(
            select(Conversation).where(Conversation.contact_id == contact.id)
        ).one()
        officer = personas.officer_a.actor
        do_reply(session, actor=officer, conversation=conversation, text="Chào chị Lan")
        do_add_note(session, actor=officer, conversation=conversation, text="Chị Lan ở thôn Bản")
        return contact.id


def test_officers_of_the_commune_and_admins_access_the_contact(
    database: Database, personas: Personas, lan: int
) -> None:
    with database.session() as session:
        for persona in (personas.officer_a, personas.viewer_a, personas.admin):
            assert privacy.access_contact(session, actor=persona.actor, contact_id=lan).id == lan
        with pytest.raises(NotFound):
            privacy.access_contact(session, actor=personas.officer_b.actor, contact_id=lan)
        with pytest.raises(NotFound):
            privacy.access_contact(session, actor=personas.admin.actor, contact_id=424242)


def test_a_contact_without_a_conversation_is_scoped_by_its_own_commune(
    database: Database, personas: Personas
) -> None:
    _ingest(database, _event(EventKind.FOLLOW, "follow", "follower-only", T0))
    with database.session() as session:
        contact_id = _contact(session, "follower-only").id
        with pytest.raises(NotFound):  # no commune: admins only, like triage
            privacy.access_contact(session, actor=personas.officer_a.actor, contact_id=contact_id)
        admin = personas.admin.actor
        assert privacy.access_contact(session, actor=admin, contact_id=contact_id)
        export = privacy.export_contact(
            session, actor=admin, contact=session.get(Contact, contact_id)
        )
    assert export["conversation"] is None
    assert export["messages"] == []
    assert export["also_held"][0]["count"] == 1


def test_the_export_holds_contact_data_and_messages_both_ways(
    database: Database, personas: Personas, lan: int
) -> None:
    with database.session() as session:
        contact = session.get(Contact, lan)
        assert contact is not None
        export = privacy.export_contact(session, actor=personas.officer_a.actor, contact=contact)
    json.dumps(export)  # JSON-ready as it is
    assert export["contact"]["display_name"] == "Hoàng Thị Lan"
    assert export["contact"]["phone"] == "0912345678"
    assert export["contact"]["address"] == "Thôn Bản"
    assert export["contact"]["consent_at"] is not None
    assert export["contact"]["is_follower"] is True
    assert export["conversation"]["commune_name"] == "Xã Minh Quang"
    messages = export["messages"]
    assert [m["direction"] for m in messages] == ["in", "in", "out"]
    assert messages[0]["text"] == "Tôi ở xã Minh Quang, cầu treo bị hỏng"
    assert messages[1]["attachments"] == [
        {"type": "image", "url": "https://zalo.example/photo.jpg"}
    ]
    assert messages[2]["source"] == "staff"
    assert "author" not in messages[2]  # staff identities are not the citizen's data
    assert "Chị Lan ở thôn Bản" not in json.dumps(export, ensure_ascii=False)
    assert export["excluded"] == [
        {"what": "internal_notes", "count": 1, "explanation": privacy.EXCLUDED_NOTES}
    ]
    # follow, two messages, shared info: the neighbour's message is not Lan's.
    assert export["also_held"][0]["count"] == 4


def test_viewers_and_other_communes_cannot_export(
    database: Database, personas: Personas, lan: int
) -> None:
    with database.session() as session:
        contact = session.get(Contact, lan)
        assert contact is not None
        with pytest.raises(Forbidden):
            privacy.export_contact(session, actor=personas.viewer_a.actor, contact=contact)
    with database.session() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "export")
            )
            == 0
        )


def test_the_export_is_audited(database: Database, personas: Personas, lan: int) -> None:
    with database.session() as session:
        contact = session.get(Contact, lan)
        assert contact is not None
        privacy.export_contact(session, actor=personas.admin.actor, contact=contact)
    with database.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert (entry.object_type, entry.object_id) == ("contact", str(lan))
    assert entry.detail == {"messages": 3}


def test_erasure_removes_personal_data_and_keeps_counts(
    database: Database, personas: Personas, lan: int
) -> None:
    with database.session() as session:
        contact = session.get(Contact, lan)
        assert contact is not None
        deletion = privacy.do_delete_contact(
            session, actor=personas.admin.actor, contact=contact, reason="Yêu cầu của người dân"
        )
    assert deletion.messages_erased == 3
    assert deletion.notes_erased == 1
    assert deletion.events_deleted == 4
    assert deletion.outbox_cancelled == 1  # the officer's reply had not gone out yet
    with database.session() as session:
        contact = session.get(Contact, lan)
        assert contact is not None
        assert contact.display_name == privacy.ERASED_NAME
        assert contact.phone is None
        assert contact.address is None
        assert contact.app_user_id is None
        assert contact.consent_at is None
        assert contact.external_id == f"erased:{lan}"
        assert contact.commune_code == 2302  # a dimension of the anonymised counts
        conversation = session.scalars(
            select(Conversation).where(Conversation.contact_id == lan)
        ).one()
        assert conversation.last_message_preview == ""
        assert conversation.status == "closed"
        messages = session.scalars(
            select(Message).where(Message.conversation_id == conversation.id)
        ).all()
        assert len(messages) == 3
        assert {m.direction for m in messages} == {"in", "out"}
        assert all(m.text == "" and m.attachments == [] and m.external_id is None for m in messages)
        notes = session.scalars(select(Note).where(Note.conversation_id == conversation.id)).all()
        assert [n.text for n in notes] == [""]
        outbox = session.scalars(select(OutboxItem)).all()
        lan_outbox = [o for o in outbox if o.message.conversation_id == conversation.id]
        assert [(o.status, o.recipient) for o in lan_outbox] == [("failed", "")]
        reply = next(m for m in messages if m.source == "staff")
        assert reply.delivery_status == "failed"
        assert reply.delivery_error == privacy.CANCELLED_ERROR
        # Only the neighbour's raw event is left.
        keys = session.scalars(select(InboundEventRow.dedupe_key)).all()
        assert keys == ["m-neighbour-1"]
        neighbour = _contact(session, NEIGHBOUR)
        assert neighbour.display_name == ""
        assert neighbour.commune_code == 2302


def test_erasure_is_audited_with_counts_and_never_the_data(
    database: Database, personas: Personas, lan: int
) -> None:
    with database.session() as session:
        contact = session.get(Contact, lan)
        assert contact is not None
        privacy.do_delete_contact(
            session, actor=personas.admin.actor, contact=contact, reason="Đơn ngày 29/11"
        )
    with database.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "contact_delete")
        ).one()
        trail = session.scalars(select(AuditEntry.action)).all()
    assert entry.actor_id == personas.admin.user.id
    assert entry.detail["reason"] == "Đơn ngày 29/11"
    assert entry.detail["messages"] == 3
    assert "0912345678" not in json.dumps(entry.detail)
    assert "Hoàng" not in json.dumps(entry.detail, ensure_ascii=False)
    assert {"reply", "note"} <= set(trail)  # the earlier trail is kept


def test_only_admins_erase_and_only_with_a_reason(
    database: Database, personas: Personas, lan: int
) -> None:
    with database.session() as session:
        contact = session.get(Contact, lan)
        assert contact is not None
        with pytest.raises(Forbidden):
            privacy.do_delete_contact(
                session, actor=personas.officer_a.actor, contact=contact, reason="x"
            )
        with pytest.raises(Invalid):
            privacy.do_delete_contact(
                session, actor=personas.admin.actor, contact=contact, reason=" "
            )


def test_a_second_erasure_is_refused(database: Database, personas: Personas, lan: int) -> None:
    admin = personas.admin.actor
    with database.session() as session:
        contact = session.get(Contact, lan)
        assert contact is not None
        privacy.do_delete_contact(session, actor=admin, contact=contact, reason="Yêu cầu")
    with database.session() as session:
        contact = session.get(Contact, lan)
        assert contact is not None
        with pytest.raises(privacy.AlreadyErased):
            privacy.do_delete_contact(session, actor=admin, contact=contact, reason="Yêu cầu")


def test_the_citizen_writing_again_starts_a_new_contact(
    database: Database, personas: Personas, lan: int
) -> None:
    with database.session() as session:
        contact = session.get(Contact, lan)
        assert contact is not None
        privacy.do_delete_contact(session, actor=personas.admin.actor, contact=contact, reason="x")
    _ingest(
        database,
        _event(
            EventKind.MESSAGE,
            "user_send_text",
            LAN,
            T0 + timedelta(days=1),
            message_id="m-lan-3",
            text="Xin chào",
        ),
    )
    with database.session() as session:
        fresh = _contact(session, LAN)
        assert fresh.id != lan
        assert fresh.display_name == ""


def test_raw_events_that_are_not_json_are_matched_on_whole_ids(
    database: Database, personas: Personas, lan: int
) -> None:
    with database.session() as session:
        session.add_all(
            [
                InboundEventRow(
                    channel="zalo_oa", event_name="x", dedupe_key="k1", raw=f"user={LAN}&a=1"
                ),
                InboundEventRow(
                    channel="zalo_oa", event_name="x", dedupe_key="k2", raw=f"user={NEIGHBOUR}"
                ),
            ]
        )
    with database.session() as session:
        contact = session.get(Contact, lan)
        assert contact is not None
        privacy.do_delete_contact(session, actor=personas.admin.actor, contact=contact, reason="x")
    with database.session() as session:
        keys = set(session.scalars(select(InboundEventRow.dedupe_key)))
    assert keys == {"m-neighbour-1", "k2"}


def test_remove_media_touches_only_web_form_photo_names(tmp_path: Path) -> None:
    photo = "0123456789abcdef0123456789abcdef.png"
    (tmp_path / photo).write_bytes(b"png")
    outside = tmp_path.parent / "secret.jpg"
    outside.write_bytes(b"x")
    removed = privacy.remove_media(tmp_path, [photo, "../secret.jpg", "missing" * 2, photo])
    assert removed == 1
    assert not (tmp_path / photo).exists()
    assert outside.exists()
