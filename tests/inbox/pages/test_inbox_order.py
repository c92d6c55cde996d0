"""The inbox's order is a safety net: a conversation whose citizen waits for an answer comes
before answered ones, the longest wait first, and one with an unanswered urgent message comes
before all. A message with no label yet is listed like any other. Rows show the citizen's own
last words and how long they have waited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from staff_helpers import listed

from danvan.inbox import conversations as inbox
from danvan.inbox.models import Conversation, Delivery, Direction, Message
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.text import preview
from danvan.nlp.classifiers import Labels
from danvan.opinion.urgency import mark_urgent
from danvan.testing.citizens import citizen_writes
from danvan.testing.staff import Staff

A = 2302


def _label_urgent(database: Database, conversation_id: int) -> None:
    """What the analysis job does when the classifiers say "urgent" (danvan.opinion.labels)."""
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        found = session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.direction == "in")
            .order_by(Message.id.desc())
        ).first()
        assert found is not None
        labels = Labels("disaster", "negative", "complaint", True, False, 0.9)
        mark_urgent(session, labelled=[(found, conversation, labels)], now=utcnow())


def test_an_urgent_message_sorts_above_older_routine_ones(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    now = utcnow()
    routine_old = citizen_writes(
        database, commune=A, text="Hỏi lịch họp", at=now - timedelta(hours=3)
    )
    routine = citizen_writes(
        database, commune=A, text="Hỏi giờ làm việc", at=now - timedelta(hours=2)
    )
    urgent = citizen_writes(
        database, commune=A, text="Lũ cuốn trôi cầu", at=now - timedelta(minutes=5)
    )
    officer = staff_client(personas.officer_a)
    assert listed(officer.get("/inbox").text) == [routine_old, routine, urgent]

    _label_urgent(database, urgent)
    page = officer.get("/inbox").text
    assert listed(page) == [urgent, routine_old, routine]
    row = page[page.index(f'data-conversation="{urgent}"') :]
    assert "Khẩn cấp" in row[: row.index("</li>")]

    # Answered: it no longer waits, and goes below the conversations still waiting.
    with database.session() as session:
        conversation = inbox.access_conversation(
            session, actor=personas.officer_a.actor, conversation_id=urgent, write=True
        )
        inbox.do_reply(
            session, actor=personas.officer_a.actor, conversation=conversation, text="Đã báo"
        )
    page = officer.get("/inbox").text
    assert listed(page) == [routine_old, routine, urgent]
    row = page[page.index(f'data-conversation="{urgent}"') :]
    assert "Khẩn cấp" not in row[: row.index("</li>")]
    assert "Chờ trả lời" not in row[: row.index("</li>")]


def test_an_unlabelled_message_is_listed_as_waiting_like_any_other(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    # No classifier has run: nothing is held back for want of a label.
    first = citizen_writes(
        database, commune=A, text="Chưa gán nhãn", at=utcnow() - timedelta(hours=1)
    )
    page = staff_client(personas.officer_a).get("/inbox").text
    assert listed(page) == [first]
    row = page[page.index(f'data-conversation="{first}"') :]
    assert "Chờ trả lời 1 giờ" in row[: row.index("</li>")]


def test_a_row_shows_the_citizens_last_words_and_how_long_they_waited(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    at = utcnow() - timedelta(minutes=25)
    conversation_id = citizen_writes(
        database, commune=A, text="Nhà tôi bị ngập nước", at=at, name="Bà Lan"
    )
    # An automatic notice (as a case's status change sends: danvan.cases.events) becomes the
    # conversation's last message.
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        notice = Message(
            conversation_id=conversation_id,
            channel=conversation.channel,
            direction=Direction.OUT,
            text="Hồ sơ của bạn đã được tiếp nhận (thông báo tự động)",
            source="system",
            delivery_status=Delivery.QUEUED,
        )
        session.add(notice)
        session.flush()
        conversation.last_message_at = notice.created_at
        conversation.last_message_preview = preview(notice.text, 200)
    page = staff_client(personas.officer_a).get("/inbox").text
    row = page[page.index(f'data-conversation="{conversation_id}"') :]
    row = row[: row.index("</li>")]
    assert "Nhà tôi bị ngập nước" in row
    assert "thông báo tự động" not in row
    # An automatic notice is no answer: the citizen still waits.
    assert "Chờ trả lời 25 phút" in row
