"""Rollups stay exact when facts change after the analysis: a conversation's commune is set or
changed (by the citizen's answer, by staff), or the citizen's data is erased (Decree 13)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from danvan.channels.base import EventKind, InboundEvent
from danvan.inbox.conversations import do_set_commune
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Contact, Conversation, Message
from danvan.inbox.privacy import do_delete_contact
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.opinion import dashboard as data
from danvan.opinion.labels import run_pending
from danvan.opinion.models import MessageAnalysis
from danvan.opinion.rollups import local_day, run_rollups, zone
from danvan.opinion.scope import view_for

A, B = 2302, 2269  # Xã Minh Quang, Xã Thượng Lâm


def _figures(database: Database, settings: Settings, persona) -> dict[str, object]:
    """The dashboard's 7-day overview as `persona` sees it."""
    with database.session() as session:
        view = view_for(persona.actor, province_code=8)
        today = local_day(utcnow(), zone(settings.timezone))
        return data.overview(session, view=view, today=today, days=7)


def _by_commune(figures: dict[str, object]) -> dict[int | None, int | None]:
    return {row["code"]: row["total"] for row in figures["communes"]}  # type: ignore[attr-defined]


def _cycle(database: Database, settings: Settings) -> None:
    now = utcnow()
    run_pending(database, settings, now)  # keeps analyses' communes in step
    run_rollups(database, settings, now + timedelta(seconds=1))


def _conversation_of(database: Database, message_id: int) -> Conversation:
    with database.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        conversation = session.get(Conversation, message.conversation_id)
        assert conversation is not None
        session.expunge(conversation)
        return conversation


def test_staff_moving_a_conversation_moves_its_counts_between_communes(
    database: Database, settings: Settings, personas, write
) -> None:
    settings.analysis_enabled = False
    now = utcnow()
    in_triage = write("Đường vào thôn lầy lội", at=now - timedelta(hours=3), commune=None)
    write("Cầu treo hỏng", at=now - timedelta(hours=2), commune=B)
    write("Điện chập chờn", at=now - timedelta(hours=2), commune=B, topic="utilities")
    _cycle(database, settings)
    assert _by_commune(_figures(database, settings, personas.admin)) == {None: 1, B: 2}
    assert _figures(database, settings, personas.officer_a)["total"] == 0

    # Triage: staff set the commune. Both the commune's and triage's figures move.
    conversation_id = _conversation_of(database, in_triage).id
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        do_set_commune(
            session, actor=personas.admin.actor, conversation=conversation, commune_code=A
        )
    _cycle(database, settings)
    assert _by_commune(_figures(database, settings, personas.admin)) == {A: 1, B: 2}
    assert _figures(database, settings, personas.officer_a)["total"] == 1
    assert _figures(database, settings, personas.officer_b)["total"] == 2

    # Corrected later to B: A drops to nothing, B gains it.
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        do_set_commune(
            session, actor=personas.admin.actor, conversation=conversation, commune_code=B
        )
    _cycle(database, settings)
    assert _by_commune(_figures(database, settings, personas.admin)) == {B: 3}
    assert _figures(database, settings, personas.officer_a)["total"] == 0
    assert _figures(database, settings, personas.officer_b)["total"] == 3
    with database.session() as session:
        assert session.get(MessageAnalysis, in_triage).commune_code == B  # type: ignore[union-attr]


def test_a_citizen_naming_their_commune_later_moves_earlier_messages_too(
    database: Database, settings: Settings, personas, write
) -> None:
    settings.analysis_enabled = False
    now = utcnow()
    first = write("Nước sinh hoạt bị đục", at=now - timedelta(hours=2), commune=None)
    _cycle(database, settings)
    assert _by_commune(_figures(database, settings, personas.admin)) == {None: 1}
    with database.session() as session:
        contact = session.scalar(
            select(Contact)
            .join(Conversation, Conversation.contact_id == Contact.id)
            .join(Message, Message.conversation_id == Conversation.id)
            .where(Message.id == first)
        )
        assert contact is not None
        user_id = contact.external_id
        # The citizen answers the commune question (the webhook's fast path sets it).
        ingest_events(
            session,
            events=[
                InboundEvent(
                    channel="zalo_oa",
                    kind=EventKind.MESSAGE,
                    event_name="user_send_text",
                    dedupe_key="answer-1",
                    occurred_at=now - timedelta(hours=1),
                    user_id=user_id,
                    message_id="answer-1",
                    text="tôi ở xã Minh Quang",
                    raw=json.dumps({"text": "tôi ở xã Minh Quang"}),
                )
            ],
            province_code=8,
        )
    _cycle(database, settings)
    # The answer itself is not analysed here (classifiers off); the earlier message moved.
    assert _by_commune(_figures(database, settings, personas.admin)) == {A: 1}
    assert _figures(database, settings, personas.officer_a)["total"] == 1


def test_an_erased_citizen_stays_counted_anonymously_and_the_drill_down_shows_no_text(
    database: Database, settings: Settings, personas, write
) -> None:
    """Decision: the counts stay (anonymous aggregates, as privacy.py keeps the message rows
    for them); the drill-down still lists the message, without text, so figure and list agree."""
    settings.analysis_enabled = False
    now = utcnow()
    erased = write("Tôi là Trần Văn Hùng, 0987654321, đường hỏng", at=now - timedelta(hours=2))
    write("Đường thôn hỏng nặng", at=now - timedelta(hours=1))
    _cycle(database, settings)
    before = _figures(database, settings, personas.officer_a)
    assert before["total"] == 2

    with database.session() as session:
        message = session.get(Message, erased)
        assert message is not None
        conversation = session.get(Conversation, message.conversation_id)
        assert conversation is not None
        do_delete_contact(
            session,
            actor=personas.admin.actor,
            contact=conversation.contact,
            reason="Người dân yêu cầu xoá",
        )
    _cycle(database, settings)
    after = _figures(database, settings, personas.officer_a)
    assert after["total"] == 2
    assert [b.count for b in after["topics"]] == [b.count for b in before["topics"]]  # type: ignore[attr-defined]

    with database.session() as session:
        view = view_for(personas.officer_a.actor, province_code=8)
        rows = data.drill_down(session, view=view, since=now - timedelta(days=1))
    assert len(rows) == 2
    previews = {message_id: text for message_id, _c, _cc, _at, _t, _s, text in rows}
    assert previews[erased] == ""
    assert all("Hùng" not in t and "0987654321" not in t for t in previews.values())
