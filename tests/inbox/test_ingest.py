from datetime import UTC, datetime

from sqlalchemy import func, select

from danvan.channels.base import EventKind, InboundEvent
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Contact, Conversation, Message, OutboxItem
from danvan.kernel.db import Database


def _text(msg_id: str, text: str, user: str = "u1") -> InboundEvent:
    return InboundEvent(
        channel="zalo_oa",
        kind=EventKind.MESSAGE,
        event_name="user_send_text",
        dedupe_key=msg_id,
        occurred_at=datetime(2026, 11, 29, 8, 0, tzinfo=UTC),
        user_id=user,
        message_id=msg_id,
        text=text,
        raw="{}",
    )


def test_a_message_creates_contact_conversation_and_message(database: Database) -> None:
    with database.session() as session:
        result = ingest_events(session, events=[_text("m1", "Chào cán bộ")], province_code=8)
    assert result.stored == 1
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 1
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.unread_count == 1
        assert conversation.commune_code is None  # waits in triage
        assert session.scalars(select(Message)).all()[0].text == "Chào cán bộ"


def test_a_redelivered_event_stores_nothing_new(database: Database) -> None:
    for _ in range(2):
        with database.session() as session:
            ingest_events(session, events=[_text("m1", "Chào")], province_code=8)
    with database.session() as session:
        inbound = select(func.count()).select_from(Message).where(Message.direction == "in")
        assert session.scalar(inbound) == 1


def test_the_oa_asks_once_for_the_commune(database: Database) -> None:
    with database.session() as session:
        for msg_id, text in (("m1", "Đường hỏng"), ("m2", "Ai trả lời không")):
            ingest_events(session, events=[_text(msg_id, text)], province_code=8, ask_commune=True)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxItem)) == 1


def test_the_commune_is_not_asked_unless_the_deployment_wants_it(database: Database) -> None:
    with database.session() as session:
        ingest_events(session, events=[_text("m1", "Đường hỏng")], province_code=8)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxItem)) == 0


def test_a_declared_commune_routes_the_conversation(database: Database) -> None:
    with database.session() as session:
        ingest_events(session, events=[_text("m1", "Tôi ở xã Minh Quang")], province_code=8)
    with database.session() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.commune_code == 2302
        assert session.scalar(select(func.count()).select_from(OutboxItem)) == 0


def test_a_message_id_seen_again_under_another_event_key_is_stored_once(
    database: Database,
) -> None:
    # The Bot dedupes on event name + message id; the same message under two names must not
    # break the unique message id (a 500 would make the platform retry forever).
    first = _text("m1", "Chào")
    again = InboundEvent(**{**first.__dict__, "dedupe_key": "other-key", "text": "Chào lại"})
    with database.session() as session:
        result = ingest_events(session, events=[first, again], province_code=8)
    assert result.stored == 2
    assert len(result.messages) == 1
    with database.session() as session:
        inbound = select(func.count()).select_from(Message).where(Message.direction == "in")
        assert session.scalar(inbound) == 1
