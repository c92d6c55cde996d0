"""The Core fast path for citizens' messages gives the same rows as the ORM path it replaced.

`_apply` (the ORM code, still used for other event kinds) handles MESSAGE events too, so the
same script of events is fed once through `ingest_events` and once through `_apply`, under
different ids, and every resulting row is compared.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.channels.base import Attachment, EventKind, InboundEvent
from danvan.inbox import ingest
from danvan.inbox.ingest import ingest_events, ingest_many
from danvan.inbox.models import Contact, Conversation, Message, OutboxItem
from danvan.kernel.db import Database

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def _event(
    tag: str,
    n: int,
    *,
    user: str,
    kind: EventKind = EventKind.MESSAGE,
    minutes: int = 0,
    text: str = "",
    message_id: str | None = None,
    channel: str = "zalo_oa",
    **extra: Any,
) -> InboundEvent:
    return InboundEvent(
        channel=channel,
        kind=kind,
        event_name="user_send_text",
        dedupe_key=f"{tag}-e{n}",
        occurred_at=T0 + timedelta(minutes=minutes),
        user_id=f"{tag}-{user}",
        message_id=f"{tag}-{message_id}" if message_id else None,
        text=text,
        raw="{}",
        **extra,
    )


def _script(tag: str) -> list[list[InboundEvent]]:
    """Calls (lists of events) covering first messages, redeliveries, known message ids,
    out-of-order times, declared communes, names, follows and echoes."""
    return [
        [_event(tag, 1, user="u1", text="Đường hỏng quá", message_id="m1", display_name="An")],
        [_event(tag, 1, user="u1", text="Đường hỏng quá", message_id="m1")],  # redelivered
        [_event(tag, 2, user="u1", text="Again", message_id="m1", minutes=1)],  # known id
        [_event(tag, 3, user="u1", text="sớm hơn", message_id="m3", minutes=-5)],
        [
            _event(tag, 4, user="u1", text="Tôi ở xã Minh Quang ạ", message_id="m4", minutes=3),
            _event(
                tag,
                5,
                user="u1",
                text="",
                message_id="m5",
                minutes=4,
                message_kind="image",
                attachments=(Attachment(type="image", url="https://x/1.jpg"),),
            ),
        ],
        [
            _event(tag, 6, user="u2", kind=EventKind.FOLLOW, minutes=1),
            _event(
                tag,
                7,
                user="u2",
                text="minh quang",
                message_id="m7",
                minutes=2,
                app_user_id="app-2",
            ),
            _event(
                tag, 8, user="u2", text="  NFD: Xa\u0303 Minh Quang  ", message_id="m8", minutes=2
            ),
        ],
        [_event(tag, 9, user="u3", text="hi", message_id="m9", kind=EventKind.ECHO)],
        [_event(tag, 10, user="u3", text="Xin chào", message_id="m10", minutes=1)],
        [_event(tag, 11, user="u3", text="Xin chào lại", message_id="m9", minutes=2)],
        [_event(tag, 12, user="u4", text="first", message_id="m12")],
        [_event(tag, 13, user="u5", text="web", message_id="m13", channel="web")],
        [_event(tag, 14, user="u6", text="no id", minutes=1), _event(tag, 15, user="u6", text="")],
    ]


def _reference(
    session: Session, *, events: list[InboundEvent], province_code: int, ask: bool = True
) -> None:
    for event in events:
        if ingest._store_raw(session, event):
            ingest._apply(session, event, province_code=province_code, ask_commune=ask)


def _snapshot(session: Session, tag: str) -> dict[str, Any]:
    def strip(value: str | None) -> str | None:
        return value.removeprefix(f"{tag}-") if value else value

    result: dict[str, Any] = {}
    contacts = session.scalars(
        select(Contact).where(Contact.external_id.like(f"{tag}-%")).order_by(Contact.external_id)
    ).all()
    for contact in contacts:
        conversation = session.scalar(
            select(Conversation).where(Conversation.contact_id == contact.id)
        )
        messages = []
        outbox = 0
        if conversation is not None:
            for m in session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation.id)
                .order_by(Message.id)
            ):
                messages.append(
                    (
                        m.direction,
                        m.kind,
                        m.text,
                        m.attachments,
                        strip(m.external_id),
                        m.source,
                        m.delivery_status,
                        m.created_at if m.source != "system" else None,
                    )
                )
                outbox += len(
                    session.scalars(select(OutboxItem).where(OutboxItem.message_id == m.id)).all()
                )
        result[strip(contact.external_id) or ""] = {
            "contact": (
                contact.channel,
                contact.app_user_id,
                contact.display_name,
                contact.commune_code,
                contact.commune_source,
                contact.is_follower,
                contact.first_interaction_at,
                contact.last_interaction_at,
                contact.commune_asked_at is None,
            ),
            "conversation": None
            if conversation is None
            else (
                conversation.channel,
                conversation.commune_code,
                conversation.status,
                conversation.unread_count,
                conversation.last_message_at,
                conversation.last_message_preview,
            ),
            "messages": messages,
            "outbox": outbox,
        }
    return result


def test_the_fast_path_stores_exactly_what_the_orm_path_stores(database: Database) -> None:
    results = []
    for call in _script("new"):
        with database.session() as session:
            results.append(ingest_events(session, events=call, province_code=8, ask_commune=True))
    for call in _script("ref"):
        with database.session() as session:
            _reference(session, events=call, province_code=8)
    with database.session() as session:
        new, ref = _snapshot(session, "new"), _snapshot(session, "ref")
    assert new == ref
    assert set(new) == {"u1", "u2", "u3", "u4", "u5", "u6"}
    assert new["u1"]["contact"][3] == 2302  # declared in a sentence
    assert new["u1"]["outbox"] == 1  # asked once, before the commune was known
    assert [r.duplicates for r in results[:2]] == [0, 1]
    assert results[2].messages == []  # a known message id under another event key


def test_objects_loaded_before_ingest_in_the_same_session_see_its_writes(
    database: Database,
) -> None:
    with database.session() as session:
        ingest_events(
            session, events=[_event("s", 1, user="u", text="a", message_id="m1")], province_code=8
        )
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.unread_count == 1
        ingest_events(
            session,
            events=[
                _event("s", 2, user="u", kind=EventKind.FOLLOW, minutes=1),
                _event("s", 3, user="u", text="xã Minh Quang", message_id="m3", minutes=2),
            ],
            province_code=8,
        )
        assert conversation.unread_count == 2
        assert conversation.commune_code == 2302
        assert conversation.last_message_preview == "xã Minh Quang"
        assert conversation.contact.is_follower is True


def test_one_group_commit_stores_what_the_calls_store_one_by_one(database: Database) -> None:
    """The webhook's group commit hands every waiting call to `ingest_many` at once: its
    few statements per batch give the rows of the calls stored one after the other."""
    calls = _script("grp")
    with database.session() as session:
        results = ingest_many(session, calls=calls, province_code=8, ask_commune=True)
    for call in _script("ref"):
        with database.session() as session:
            _reference(session, events=call, province_code=8)
    with database.session() as session:
        assert _snapshot(session, "grp") == _snapshot(session, "ref")
    assert [r.duplicates for r in results[:2]] == [0, 1]  # a repeat within the batch
    assert results[2].messages == []  # a known message id under another event key


def test_first_messages_without_the_commune_question_are_written_with_the_batch(
    database: Database,
) -> None:
    """Not asking for communes, new citizens' first messages (and a follower's) are written by
    the batch's statements (`ingest_sql.open_conversations`): the same rows as one by one,
    with the ones it leaves alone (no platform id, an id already stored or repeated)."""
    calls = [
        *_script("nb"),
        [_event("nb", 20, user="u7", text="một", message_id="m20")],
        [_event("nb", 21, user="u7", text="hai", message_id="m21", minutes=-1)],
        [_event("nb", 22, user="u8", text="trùng", message_id="m20", minutes=1)],
        [_event("nb", 23, user="u9", text="", minutes=1)],
        [_event("nb", 24, user="u9", text="có id", message_id="m24", minutes=2)],
        [_event("nb", 25, user="u4", text='NULL "{a,b}" \\ ', message_id="m25", minutes=3)],
    ]
    with database.session() as session:
        results = ingest_many(session, calls=calls, province_code=8, ask_commune=False)
    for call in calls:
        with database.session() as session:
            events = [_retag(e, "nbref", "nb-") for e in call]
            _reference(session, events=events, province_code=8, ask=False)
    with database.session() as session:
        new, ref = _snapshot(session, "nb"), _snapshot(session, "nbref")
    assert new == ref
    assert new["u7"]["conversation"][3:] == (2, T0, "một")
    assert new["u8"]["conversation"] is None  # its only message id was u7's
    assert [len(r.messages) for r in results[-6:]] == [1, 1, 0, 1, 1, 1]
    assert new["u4"]["messages"][-1][2] == 'NULL "{a,b}" \\'  # as typed (arrays in binary)
    assert all(n["outbox"] == 0 for n in new.values())


def test_a_group_commit_of_known_citizens_and_replays(database: Database) -> None:
    """Known citizens (the batched statements), messages repeated within a batch and replayed
    in a later one: each stored once, counted per conversation."""
    first = [[_event("k", n, user=f"u{n}", text="chào", message_id=f"m{n}")] for n in range(3)]
    with database.session() as session:
        ingest_many(session, calls=first, province_code=8, ask_commune=True)
    later = [
        [_event("k", 10 + n, user=f"u{n % 3}", text=f"tin {n}", message_id=f"n{n}", minutes=n)]
        for n in range(6)
    ]
    replay = [*later, later[0], [_event("k", 99, user="u0", text="x", message_id="n1")]]
    with database.session() as session:
        results = ingest_many(session, calls=replay, province_code=8, ask_commune=True)
    assert [r.stored for r in results] == [1, 1, 1, 1, 1, 1, 0, 1]
    assert [len(r.messages) for r in results] == [1, 1, 1, 1, 1, 1, 0, 0]
    with database.session() as session:
        again = ingest_many(session, calls=later, province_code=8, ask_commune=True)
    assert [r.duplicates for r in again] == [1] * 6
    for call in first:
        with database.session() as session:
            _reference(session, events=[_retag(e, "kref") for e in call], province_code=8)
    for call in replay:
        with database.session() as session:
            _reference(session, events=[_retag(e, "kref") for e in call], province_code=8)
    with database.session() as session:
        new, ref = _snapshot(session, "k"), _snapshot(session, "kref")
    assert new == ref
    assert [new[f"u{n}"]["conversation"][3] for n in range(3)] == [3, 3, 3]
    assert new["u2"]["conversation"][5] == "tin 5"


def _retag(event: InboundEvent, tag: str, old: str = "k-") -> InboundEvent:
    def swap(value: str | None) -> str | None:
        return value.replace(old, f"{tag}-", 1) if value else value

    return replace(
        event,
        dedupe_key=swap(event.dedupe_key) or "",
        user_id=swap(event.user_id),
        message_id=swap(event.message_id),
    )
