from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from danvan.accounts.models import AuditEntry
from danvan.channels.base import EventKind, InboundEvent
from danvan.inbox.conversations import ASK_COMMUNE_TEXT, do_ask_commune
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Conversation, Message, OutboxItem
from danvan.kernel.db import Database
from danvan.kernel.errors import Forbidden, Invalid


def _write(database: Database, text: str, msg_id: str, channel: str = "zalo_oa") -> int:
    with database.session() as session:
        ingest_events(
            session,
            events=[
                InboundEvent(
                    channel=channel,
                    kind=EventKind.MESSAGE,
                    event_name="user_send_text",
                    dedupe_key=msg_id,
                    occurred_at=datetime(2026, 11, 29, 8, 0, tzinfo=UTC),
                    user_id="84900000001",
                    message_id=msg_id,
                    text=text,
                    raw="{}",
                )
            ],
            province_code=8,
        )
        return session.scalars(select(Conversation.id)).one()


def test_staff_ask_a_triage_citizen_for_their_commune_once(database: Database, personas) -> None:
    conversation_id = _write(database, "Đường hỏng quá", "m1")
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        prompt = do_ask_commune(session, actor=personas.admin.actor, conversation=conversation)
        assert prompt.text == ASK_COMMUNE_TEXT
        assert prompt.author_id == personas.admin.user.id
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxItem)) == 1
        actions = session.scalars(select(AuditEntry.action)).all()
        assert "ask_commune" in actions
        conversation = session.get(Conversation, conversation_id)
        with pytest.raises(Invalid, match="một lần"):
            do_ask_commune(session, actor=personas.admin.actor, conversation=conversation)


def test_the_citizens_answer_routes_the_conversation(database: Database, personas) -> None:
    conversation_id = _write(database, "Đường hỏng quá", "m1")
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        do_ask_commune(session, actor=personas.admin.actor, conversation=conversation)
    _write(database, "Minh Quang", "m2")
    with database.session() as session:
        assert session.get(Conversation, conversation_id).commune_code == 2302


def test_a_conversation_with_a_commune_or_from_the_web_is_not_asked(
    database: Database, personas
) -> None:
    conversation_id = _write(database, "Tôi ở xã Minh Quang", "m1")
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        with pytest.raises(Invalid, match="đã có"):
            do_ask_commune(session, actor=personas.officer_a.actor, conversation=conversation)
        with pytest.raises(Forbidden):
            do_ask_commune(session, actor=personas.viewer_a.actor, conversation=conversation)
    with database.session() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Message).where(Message.direction == "out")
            )
            == 0
        )
