"""The SQL of ingest's hot path (a citizen's message).

ORM flushes cost more than the SQL itself, so citizens' messages are written with Core
statements, built once per dialect, taking their values as parameters. A group commit (several
webhook calls in one transaction, `danvan.inbox.routes.webhooks`) writes the messages of known
citizens together (`write_batch`): what to write is decided here, the same rows as one message
after the other; `ingest_batch` writes it in three statements for the whole batch (one each on
PostgreSQL, over arrays). Other messages take the one-message path (`ingest._fast_message`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Table, bindparam, case, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from danvan.channels.base import EventKind, InboundEvent
from danvan.inbox import ingest_batch
from danvan.inbox.models import ANSWER_SOURCE, Contact, Conversation, Direction, Message
from danvan.inbox.models import InboundEvent as InboundEventRow
from danvan.kernel import geo
from danvan.kernel.models import utcnow
from danvan.kernel.text import clean, preview


class Counts(Protocol):
    """What a call's result counts (`ingest.IngestResult`)."""

    messages: list[int]


EVENTS: Table = InboundEventRow.__table__  # type: ignore[assignment]
CONTACTS: Table = Contact.__table__  # type: ignore[assignment]
CONVERSATIONS: Table = Conversation.__table__  # type: ignore[assignment]
MESSAGES: Table = Message.__table__  # type: ignore[assignment]
_STATEMENTS: dict[tuple[str, str], Any] = {}


def _insert_ignoring(dialect: str, table: Table, *columns: str, returning: Sequence[str]) -> Any:
    """INSERT ... ON CONFLICT (columns) DO NOTHING RETURNING … (SQLite >= 3.35, PostgreSQL)."""
    stmt = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return stmt.on_conflict_do_nothing(index_elements=list(columns)).returning(
        *(table.c[name] for name in returning)
    )


def _contact_columns() -> list[Any]:
    contacts, conversations = CONTACTS.c, CONVERSATIONS.c
    return [
        contacts.id,
        contacts.channel,
        contacts.external_id,
        contacts.app_user_id,
        contacts.display_name,
        contacts.commune_code,
        contacts.commune_asked_at,
        contacts.last_interaction_at,
        conversations.id.label("conversation_id"),
        conversations.commune_code.label("conversation_commune"),
    ]


def _touch(name: str) -> Any:
    # Counters in SQL (no lost update between two writers); SET expressions all see the row as
    # it was, so the preview and the time move together. `p_n` messages arrived, the newest at
    # `p_at` with `p_preview`.
    conversations = CONVERSATIONS.c
    at = bindparam("p_at", type_=conversations.last_message_at.type)
    newest = conversations.last_message_at <= at
    values: dict[str, Any] = {
        "unread_count": conversations.unread_count + bindparam("p_n"),
        # A staff member's own Zalo conversation stays out of the inbox (staff_zalo).
        "status": case((conversations.status == "staff", "staff"), else_="open"),
        "last_message_preview": case(
            (newest, bindparam("p_preview", type_=conversations.last_message_preview.type)),
            else_=conversations.last_message_preview,
        ),
        "last_message_at": case((newest, at), else_=conversations.last_message_at),
        # The citizen now waits for an answer, since their first unanswered message (`p_first`).
        "awaiting_since": func.coalesce(
            conversations.awaiting_since,
            bindparam("p_first", type_=conversations.awaiting_since.type),
        ),
    }
    if name == "touch_commune":
        values["commune_code"] = func.coalesce(
            conversations.commune_code,
            bindparam("p_commune", type_=conversations.commune_code.type),
        )
    stmt = update(CONVERSATIONS).where(conversations.id == bindparam("p_id")).values(values)
    return stmt.returning(conversations.commune_code)


def _build(dialect: str, name: str) -> Any:
    contacts, conversations = CONTACTS.c, CONVERSATIONS.c
    if name == "event":
        return _insert_ignoring(dialect, EVENTS, "channel", "dedupe_key", returning=["id"])
    if name == "message":
        return _insert_ignoring(dialect, MESSAGES, "channel", "external_id", returning=["id"])
    if name == "contact":
        return _insert_ignoring(dialect, CONTACTS, "channel", "external_id", returning=["id"])
    if name == "conversation":
        return _insert_ignoring(dialect, CONVERSATIONS, "contact_id", returning=["id"])
    if name == "find_contact":
        return (
            select(*_contact_columns())
            .outerjoin(CONVERSATIONS, conversations.contact_id == contacts.id)
            .where(
                contacts.channel == bindparam("p_channel"),
                contacts.external_id == bindparam("p_external_id"),
            )
        )
    if name == "find_contacts":  # several at once: `keys`, a list of (channel, external id)
        pairs = tuple_(contacts.channel, contacts.external_id)
        return (
            select(*_contact_columns())
            .outerjoin(CONVERSATIONS, conversations.contact_id == contacts.id)
            .where(pairs.in_(bindparam("keys", expanding=True)))
        )
    if name == "known_messages":  # `keys`, a list of (channel, platform message id)
        pairs = tuple_(MESSAGES.c.channel, MESSAGES.c.external_id)
        query = select(MESSAGES.c.channel, MESSAGES.c.external_id)
        return query.where(pairs.in_(bindparam("keys", expanding=True)))
    if name == "find_conversation":
        return select(conversations.id).where(conversations.contact_id == bindparam("p_contact"))
    if name == "update_contact":
        return update(CONTACTS).where(contacts.id == bindparam("p_id"))
    if name == "ask_contact":
        return (
            update(CONTACTS)
            .where(contacts.id == bindparam("p_id"), contacts.commune_asked_at.is_(None))
            .values(commune_asked_at=bindparam("p_at", type_=contacts.commune_asked_at.type))
            .returning(contacts.id)
        )
    if name in ("touch", "touch_commune"):
        return _touch(name)
    raise KeyError(name)


def statement(connection: Connection, name: str) -> Any:
    """The named statement for this connection's dialect (built once)."""
    key = (connection.dialect.name, name)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = _build(connection.dialect.name, name)
    return stmt


def event_row(event: InboundEvent) -> dict[str, Any]:
    """The `inbound_events` row of a parsed event."""
    return {
        "channel": event.channel,
        "event_name": event.event_name[:64],
        "dedupe_key": event.dedupe_key[:200],
        "raw": event.raw,
        "outcome": "stored" if event.kind == EventKind.UNKNOWN else "processed",
        "received_at": utcnow(),
    }


def open_conversations(
    connection: Connection, events: Sequence[InboundEvent], contacts: dict[tuple[str, str], Any]
) -> None:
    """First messages of citizens without a conversation (new ones above all), for the whole
    batch at once: their contacts and conversations are created as `ingest._fast_message`
    creates them one by one, and read into `contacts`, so that `write_batch` stores their
    messages with the known citizens'. Left to the one-message path: a first message without a
    platform id, or whose id is already stored or came earlier in the batch (no conversation is
    opened for those)."""
    ids: set[tuple[str, str | None]] = set()  # platform message ids met so far
    keys: set[tuple[str, str]] = set()  # citizens met so far
    first: dict[tuple[str, str], InboundEvent] = {}
    for event in events:
        key = (event.channel, event.user_id or "")
        row = contacts.get(key)
        message = (event.channel, event.message_id)
        fresh = key not in keys and event.message_id and message not in ids
        if fresh and (row is None or row["conversation_id"] is None):
            first[key] = event
        keys.add(key)
        ids.add(message)
    if first:
        wanted = sorted((e.channel, e.message_id) for e in first.values())
        known = connection.execute(statement(connection, "known_messages"), {"keys": wanted})
        stored = {(channel, external_id) for channel, external_id in known}
        first = {k: e for k, e in first.items() if (e.channel, e.message_id) not in stored}
    if not first:
        return
    new = [
        {
            "channel": event.channel,
            "external_id": event.user_id,
            "first_interaction_at": event.occurred_at,
            "last_interaction_at": event.occurred_at,
            "is_follower": event.channel == "zalo_oa",
        }
        for key, event in sorted(first.items())
        if contacts.get(key) is None
    ]
    if new:
        connection.execute(statement(connection, "contact"), new)
    found = _find_contacts(connection, list(first))
    conversations = [
        {
            "contact_id": row["id"],
            "channel": row["channel"],
            "commune_code": row["commune_code"],
            "last_message_at": max(row["last_interaction_at"], first[key].occurred_at),
        }
        for key, row in sorted(found.items())
        if row["conversation_id"] is None
    ]
    if conversations:
        connection.execute(statement(connection, "conversation"), conversations)
        found = _find_contacts(connection, list(first))
    contacts.update(found)


def _find_contacts(connection: Connection, keys: list[tuple[str, str]]) -> dict[Any, Any]:
    contacts = CONTACTS.c
    query = (
        select(*_contact_columns())
        .outerjoin(CONVERSATIONS, CONVERSATIONS.c.contact_id == contacts.id)
        .where(tuple_(contacts.channel, contacts.external_id).in_(sorted(keys)))
    )
    return {
        (row["channel"], row["external_id"]): row for row in connection.execute(query).mappings()
    }


def write_batch(
    connection: Connection,
    batch: list[tuple[Counts, InboundEvent, Any]],
    *,
    province_code: int,
) -> None:
    """Messages of known citizens who have a conversation, all at once: the same rows as
    `ingest._fast_message` one after the other (which other citizens' messages take)."""
    originals: dict[int, Any] = {}
    states: dict[int, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    for _result, event, contact in batch:
        originals.setdefault(contact["id"], contact)
        state = states.setdefault(contact["id"], dict(contact))
        if event.occurred_at > state["last_interaction_at"]:
            state["last_interaction_at"] = event.occurred_at
        if event.app_user_id and not state["app_user_id"]:
            state["app_user_id"] = event.app_user_id
        if event.display_name and not state["display_name"]:
            state["display_name"] = clean(event.display_name)[:200]
        rows.append(message_row(event, conversation_id=contact["conversation_id"]))
    # Repeats of one platform id within the batch: the first is stored, like a known id.
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        unique.setdefault((row["channel"], row["external_id"]), row)
    created = ingest_batch.insert_messages(connection, list(unique.values()))
    touches: dict[int, dict[str, Any]] = {}
    for (result, event, contact), row in zip(batch, rows, strict=True):
        message_id = created.pop((row["channel"], row["external_id"]), None)
        if message_id is None:
            continue  # already stored (a known id): the raw event is kept, nothing else
        result.messages.append(message_id)
        state = states[contact["id"]]
        if state["commune_code"] is None and row["text"]:
            found = geo.find_commune_in_text(row["text"], province_code)
            if found:
                state["commune_code"], state["commune_source"] = found.code, "citizen"
        touch = touches.setdefault(
            contact["conversation_id"], {"p_n": 0, "p_at": None, "p_first": event.occurred_at}
        )
        touch["p_n"] += 1
        touch["p_first"] = min(touch["p_first"], event.occurred_at)
        if touch["p_at"] is None or event.occurred_at >= touch["p_at"]:
            touch["p_at"] = event.occurred_at
            touch["p_preview"] = preview(row["text"] or f"[{event.message_kind}]", 200)
        if state["commune_code"] is not None:
            touch["p_commune"] = state["commune_code"]
    changed = ("last_interaction_at", "app_user_id", "display_name", "commune_code")
    ingest_batch.update(
        connection,
        {
            contact_id: {
                **{k: state[k] for k in changed if state[k] != originals[contact_id][k]},
                **({"commune_source": "citizen"} if "commune_source" in state else {}),
            }
            for contact_id, state in states.items()
        },
        [{"p_id": conversation_id, **touch} for conversation_id, touch in touches.items()],
    )


def message_row(event: InboundEvent, *, conversation_id: int) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "channel": event.channel,
        "direction": Direction.IN.value,
        "kind": event.message_kind,
        "text": clean(event.text),
        "attachments": [a.as_dict() for a in event.attachments],
        "external_id": event.message_id,
        "source": "citizen",
        "created_at": event.occurred_at,
    }


def mark_answer(connection: Connection, event: InboundEvent, message_id: int | None) -> None:
    """The inbound message of `event` (by id, else by its platform id) is an answer an area
    took, not a citizen's opinion (`models.ANSWER_SOURCE`)."""
    query = update(MESSAGES).where(MESSAGES.c.direction == Direction.IN.value)
    if message_id is not None:
        query = query.where(MESSAGES.c.id == message_id)
    elif event.message_id:
        query = query.where(
            MESSAGES.c.channel == event.channel, MESSAGES.c.external_id == event.message_id
        )
    else:
        return
    connection.execute(query.values(source=ANSWER_SOURCE))
