"""The group commit's batched statements (danvan.inbox.ingest_batch): a mixed batch stores what
the calls store one by one, a failing call fails alone without partial rows, a batch of known
citizens costs a fixed number of statements, and two processes writing overlapping batches on
PostgreSQL store every event once."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from danvan.channels.base import EventKind, InboundEvent, ParsedWebhook
from danvan.inbox.ingest import ingest_many
from danvan.inbox.models import Contact, Conversation, Message
from danvan.inbox.models import InboundEvent as InboundEventRow
from danvan.inbox.routes.webhooks import _store_many
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def _message(key: str, user: str, *, minutes: int = 0, at: datetime | None = None) -> InboundEvent:
    return InboundEvent(
        channel="zalo_oa",
        kind=EventKind.MESSAGE,
        event_name="user_send_text",
        dedupe_key=key,
        occurred_at=at or T0 + timedelta(minutes=minutes),
        user_id=user,
        message_id=key,
        text=f"tin {key}",
        raw="{}",
    )


def _call(*events: InboundEvent) -> ParsedWebhook:
    return ParsedWebhook(events=list(events))


def _unread(database: Database) -> dict[str, int]:
    with database.session() as session:
        rows = session.execute(
            select(Contact.external_id, Conversation.unread_count).join(
                Conversation, Conversation.contact_id == Contact.id
            )
        )
        return {external_id: unread for external_id, unread in rows}


def _keys(database: Database, column: Any) -> list[str]:
    with database.session() as session:
        return sorted(session.scalars(select(column)).all())


def test_a_mixed_batch_with_a_failing_call(database: Database, settings: Settings) -> None:
    settings.ask_commune_automatically = False
    first = [_call(_message("m1", "u1")), _call(_message("m2", "u2"))]
    assert _store_many(database, first, settings) == [None, None]
    naive = (T0 + timedelta(minutes=9)).replace(tzinfo=None)  # refused by every datetime column
    follow = InboundEvent(
        channel="zalo_oa",
        kind=EventKind.FOLLOW,
        event_name="follow",
        dedupe_key="follow-u4",
        occurred_at=T0,
        user_id="u4",
        raw="{}",
    )
    outcomes = _store_many(
        database,
        [
            _call(_message("m10", "u1", minutes=1)),  # known citizens: the batched statements
            _call(_message("m11", "u2", minutes=2), _message("m12", "u1", minutes=3)),
            _call(_message("m10", "u1", minutes=1)),  # the same event again, in the same batch
            _call(_message("m13", "u3", minutes=4)),  # a new citizen: the one-message path
            _call(_message("m14", "u2", at=naive)),  # fails
            _call(follow),  # another kind of event
            _call(_message("m1", "u1")),  # redelivered from an earlier batch
        ],
        settings,
    )
    assert [outcome is None for outcome in outcomes] == [True] * 4 + [False] + [True] * 2
    # The failing call left nothing behind; the others are stored once each.
    assert _keys(database, InboundEventRow.dedupe_key) == [
        "follow-u4",
        *(f"m{n}" for n in (1, 10, 11, 12, 13, 2)),
    ]
    assert _keys(database, Message.external_id) == [f"m{n}" for n in (1, 10, 11, 12, 13, 2)]
    assert _unread(database) == {"u1": 3, "u2": 2, "u3": 1}


def test_a_citizens_messages_in_one_batch_get_ids_in_the_order_written(
    database: Database, settings: Settings
) -> None:
    """Lock order sorts a batch's rows; ids must still follow the time written (pages take a
    conversation's last message by id). Keys are chosen to sort against time."""
    settings.ask_commune_automatically = False
    written = [f"z{9 - i}" for i in range(8)]  # z9 first ... z2 last: keys sort backwards
    new_citizen = [_call(_message(key, "u-new", minutes=i)) for i, key in enumerate(written)]
    assert _store_many(database, new_citizen, settings) == [None] * 8
    later = [f"y{9 - i}" for i in range(4)]
    known = [_call(_message(key, "u-new", minutes=10 + i)) for i, key in enumerate(later)]
    assert _store_many(database, known, settings) == [None] * 4
    with database.session() as session:
        stored = session.scalars(select(Message.external_id).order_by(Message.id)).all()
        conversation = session.scalars(select(Conversation)).one()
    assert stored == [*written, *later]
    assert conversation.unread_count == 12
    assert conversation.last_message_preview == "tin y6"


def test_a_batch_of_known_citizens_costs_a_fixed_number_of_statements(database: Database) -> None:
    with database.session() as session:
        ingest_many(
            session,
            calls=[[_message(f"first-{n}", f"u{n}")] for n in range(5)],
            province_code=8,
        )
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements.append(sql)

    with database.session() as session:
        session.connection()  # BEGIN before counting
        event.listen(database.engine, "before_cursor_execute", count)
        try:
            results = ingest_many(
                session,
                calls=[[_message(f"k{n}", f"u{n % 5}", minutes=n)] for n in range(40)],
                province_code=8,
            )
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
    assert [len(r.messages) for r in results] == [1] * 40
    # PostgreSQL: events + contacts, messages, contacts + conversations. SQLite: events,
    # contacts, messages, contacts' and conversations' executemany.
    assert len(statements) == (3 if database.engine.dialect.name == "postgresql" else 5)
    assert _unread(database) == {f"u{n}": 9 for n in range(5)}


def _writer(url: str, calls: list[list[str]], ready: Any, outcomes: Any) -> None:
    """One web process: waits for the other, then stores its calls in batches of 16."""
    database = Database(url)
    settings = Settings(database_url=url, secret_key="test-secret-key-0123456789", province=8)
    parsed = [
        _call(*(_message(key, user, minutes=int(key[1:]) % 50) for key, user in c)) for c in calls
    ]
    ready.wait()
    failed = 0
    for start in range(0, len(parsed), 16):
        failed += sum(
            o is not None for o in _store_many(database, parsed[start : start + 16], settings)
        )
    outcomes.put(failed)
    database.dispose()


def test_two_processes_writing_overlapping_batches_store_each_event_once(
    database: Database, settings: Settings
) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("several web processes are a PostgreSQL deployment")
    users = [f"u{n}" for n in range(10)]
    with database.session() as session:
        ingest_many(
            session, calls=[[_message(f"a{n}", u)] for n, u in enumerate(users)], province_code=8
        )
    # 300 events each; 100 of them sent by both processes (in another order), as redeliveries.
    mine = [[(f"m{n}", users[n % 10])] for n in range(300)]
    theirs = [[(f"m{n}", users[n % 10])] for n in range(200, 500)][::-1]
    context = multiprocessing.get_context("spawn")
    ready, outcomes = context.Barrier(2), context.Queue()
    processes = [
        context.Process(target=_writer, args=(settings.database_url, calls, ready, outcomes))
        for calls in (mine, theirs)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
        assert process.exitcode == 0
    assert [outcomes.get(timeout=5), outcomes.get(timeout=5)] == [0, 0]
    with database.session() as session:
        stored = session.scalar(select(func.count()).select_from(InboundEventRow))
        messages = session.scalar(select(func.count()).select_from(Message))
        unread = session.scalar(select(func.sum(Conversation.unread_count)))
    assert stored == messages == unread == 10 + 500
