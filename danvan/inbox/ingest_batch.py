"""A group commit's citizens' messages in three steps, written in the driver's own SQL.

`ingest_sql.write_batch` decides what to write (the same rows as one message after the other);
this module writes it, with as little work per message as the database allows:

- PostgreSQL: each step is ONE statement over arrays (`unnest`), whatever the batch holds: the
  raw events inserted and the senders' contacts read back in the same statement, the messages
  inserted, then contacts and conversations updated together. A batch of known citizens is
  BEGIN, three statements and COMMIT (and the pool's pre-ping); psycopg prepares each
  statement server-side after its fifth run. The arrays go in binary (`%(name)b`): psycopg's
  text form of an array runs two regular expressions per element (quoting, escaping), which
  made dumping the parameters the largest cost of a batch in the web process.
- SQLite (in-process, no round trips): multi-row INSERT … RETURNING, one read of the contacts
  and `executemany` UPDATEs on the sqlite3 cursor (five statements), skipping SQLAlchemy's
  per-row parameter processing. Values are still converted by the column types' own processors
  (obtained once), so rows are stored exactly as the ORM stores them
  (tests/inbox/test_ingest_fast_path.py compares them).

Redeliveries stay no-ops: every INSERT is `ON CONFLICT … DO NOTHING` on the same unique keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect

from danvan.kernel.models import JSONType, UTCDateTime

Key = tuple[str, str]
# The contact columns a batch reads (ingest_sql._contact_columns, same names).
CONTACT_FIELDS = (
    "id",
    "channel",
    "external_id",
    "app_user_id",
    "display_name",
    "commune_code",
    "commune_asked_at",
    "last_interaction_at",
    "conversation_id",
    "conversation_commune",
)
EVENT_COLUMNS = ("channel", "event_name", "dedupe_key", "raw", "outcome", "received_at")
MESSAGE_COLUMNS = (
    "conversation_id",
    "channel",
    "direction",
    "kind",
    "text",
    "attachments",
    "external_id",
    "source",
    "created_at",
)
# What a contact may change in a batch (None: unchanged; none of them is ever set back to NULL).
CONTACT_CHANGES = (
    "last_interaction_at",
    "app_user_id",
    "display_name",
    "commune_code",
    "commune_source",
)
# A conversation's new messages: how many, the newest's time and preview, the oldest's time,
# and the citizen's commune when known (`ingest_sql.write_batch` computes them).
TOUCH_FIELDS = ("p_id", "p_n", "p_at", "p_preview", "p_first", "p_commune")


def is_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


# --- PostgreSQL: one statement per step over arrays ----------------------------------------------

# Two web processes may write batches that share citizens, and redeliveries of the same events:
# every statement takes its rows in one order (events by key, contacts and conversations by
# id; messages follow their events, see `_pg_insert_messages`) and the statements come in one
# order, so two batches wait for each other instead of deadlocking.

_PG_EVENTS = """
WITH batch AS (
  SELECT * FROM unnest(
    %(channel)b::text[], %(event_name)b::text[], %(dedupe_key)b::text[], %(raw)b::text[],
    %(outcome)b::text[], %(received_at)b::timestamptz[], %(user_id)b::text[]
  ) AS b(channel, event_name, dedupe_key, raw, outcome, received_at, user_id)
), stored AS (
  INSERT INTO inbound_events (channel, event_name, dedupe_key, raw, outcome, received_at)
  SELECT channel, event_name, dedupe_key, raw, outcome, received_at FROM batch
  ON CONFLICT (channel, dedupe_key) DO NOTHING
  RETURNING channel, dedupe_key
)
SELECT stored.channel, stored.dedupe_key, b.user_id, c.id, c.app_user_id, c.display_name,
  c.commune_code, c.commune_asked_at, c.last_interaction_at, v.id, v.commune_code
FROM stored
JOIN batch b ON b.channel = stored.channel AND b.dedupe_key = stored.dedupe_key
LEFT JOIN contacts c ON c.channel = b.channel AND c.external_id = b.user_id
LEFT JOIN conversations v ON v.contact_id = c.id
"""

_PG_MESSAGES = """
INSERT INTO messages (
  conversation_id, channel, direction, kind, text, attachments, external_id, source, created_at
)
SELECT conversation_id, channel, direction, kind, text, attachments::jsonb, external_id,
  source, created_at
FROM unnest(
  %(conversation_id)b::int[], %(channel)b::text[], %(direction)b::text[], %(kind)b::text[],
  %(text)b::text[], %(attachments)b::text[], %(external_id)b::text[], %(source)b::text[],
  %(created_at)b::timestamptz[]
) WITH ORDINALITY AS m(conversation_id, channel, direction, kind, text, attachments, external_id,
  source, created_at, n)
ORDER BY n
ON CONFLICT (channel, external_id) DO NOTHING
RETURNING id, channel, external_id
"""

# Contacts and conversations in one statement (a data-modifying WITH always runs). The SET
# expressions see each row as it was before the statement (so the preview and the time move
# together), counters are computed in SQL (no lost update between two writers).
_PG_UPDATE = """
WITH contact_changes AS (
  UPDATE contacts AS c SET
    last_interaction_at = coalesce(u.last_interaction_at, c.last_interaction_at),
    app_user_id = coalesce(u.app_user_id, c.app_user_id),
    display_name = coalesce(u.display_name, c.display_name),
    commune_code = coalesce(u.commune_code, c.commune_code),
    commune_source = coalesce(u.commune_source, c.commune_source)
  FROM unnest(
    %(c_id)b::int[], %(c_last_interaction_at)b::timestamptz[], %(c_app_user_id)b::text[],
    %(c_display_name)b::text[], %(c_commune_code)b::int[], %(c_commune_source)b::text[]
  ) AS u(id, last_interaction_at, app_user_id, display_name, commune_code, commune_source)
  WHERE c.id = u.id
)
UPDATE conversations AS v SET
  unread_count = v.unread_count + t.n,
  status = CASE WHEN v.status = 'staff' THEN 'staff' ELSE 'open' END,
  last_message_preview = CASE WHEN v.last_message_at <= t.at THEN t.preview
    ELSE v.last_message_preview END,
  last_message_at = CASE WHEN v.last_message_at <= t.at THEN t.at ELSE v.last_message_at END,
  awaiting_since = coalesce(v.awaiting_since, t.first),
  commune_code = coalesce(v.commune_code, t.commune)
FROM unnest(
  %(t_id)b::int[], %(t_n)b::int[], %(t_at)b::timestamptz[], %(t_preview)b::text[],
  %(t_first)b::timestamptz[], %(t_commune)b::int[]
) AS t(id, n, at, preview, first, commune)
WHERE v.id = t.id
"""


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _pg_store_events(
    connection: Connection, rows: Sequence[dict[str, Any]]
) -> tuple[set[Key], dict[Key, dict[str, Any]]]:
    rows = sorted(rows, key=lambda row: (row["channel"], row["dedupe_key"]))  # lock order (above)
    params = {name: [row[name] for row in rows] for name in (*EVENT_COLUMNS, "user_id")}
    params["received_at"] = [_aware(value) for value in params["received_at"]]
    inserted: set[Key] = set()
    contacts: dict[Key, dict[str, Any]] = {}
    for channel, key, user_id, *contact in connection.exec_driver_sql(_PG_EVENTS, params):
        inserted.add((channel, key))
        if contact[0] is not None:
            row = dict(
                zip(CONTACT_FIELDS, (contact[0], channel, user_id, *contact[1:]), strict=True)
            )
            row["commune_asked_at"] = _utc(row["commune_asked_at"])
            row["last_interaction_at"] = _utc(row["last_interaction_at"])
            contacts[(channel, user_id)] = row
    return inserted, contacts


def _pg_insert_messages(connection: Connection, rows: Sequence[dict[str, Any]]) -> dict[Key, int]:
    # In the batch's order (the order the calls arrived, as one by one and on SQLite): a
    # citizen's messages get ids in the order they came (pages take a conversation's last
    # message by id). No lock-order sort is needed here: a message is written only for an
    # event this batch stored, and `_PG_EVENTS` (sorted by key) already makes a second writer of
    # the same events wait, then skip them.
    params: dict[str, list[Any]] = {name: [row[name] for row in rows] for name in MESSAGE_COLUMNS}
    params["attachments"] = [_json(connection.dialect)(a) for a in params["attachments"]]
    params["created_at"] = [_aware(value) for value in params["created_at"]]
    result = connection.exec_driver_sql(_PG_MESSAGES, params)
    return {(channel, external): id_ for id_, channel, external in result}


def _pg_update(
    connection: Connection, contacts: dict[int, dict[str, Any]], touches: Sequence[dict[str, Any]]
) -> None:
    ids = sorted(contacts)
    params: dict[str, list[Any]] = {"c_id": ids}
    for name in CONTACT_CHANGES:
        params[f"c_{name}"] = [contacts[i].get(name) for i in ids]
    ordered = sorted(touches, key=lambda t: t["p_id"])
    for name in TOUCH_FIELDS:
        params[f"t_{name[2:]}"] = [t.get(name) for t in ordered]
    for name in ("c_last_interaction_at", "t_at", "t_first"):
        params[name] = [_aware(value) for value in params[name]]
    connection.exec_driver_sql(_PG_UPDATE, params)


# --- SQLite: multi-row INSERTs and executemany on the sqlite3 cursor ------------------------------

_SQLITE_UPDATE_CONTACT = """
UPDATE contacts SET
  last_interaction_at = coalesce(?, last_interaction_at),
  app_user_id = coalesce(?, app_user_id),
  display_name = coalesce(?, display_name),
  commune_code = coalesce(?, commune_code),
  commune_source = coalesce(?, commune_source)
WHERE id = ?
"""

_SQLITE_TOUCH = """
UPDATE conversations SET
  unread_count = unread_count + ?2,
  status = CASE WHEN status = 'staff' THEN 'staff' ELSE 'open' END,
  last_message_preview = CASE WHEN last_message_at <= ?3 THEN ?4 ELSE last_message_preview END,
  last_message_at = CASE WHEN last_message_at <= ?3 THEN ?3 ELSE last_message_at END,
  awaiting_since = coalesce(awaiting_since, ?5),
  commune_code = coalesce(commune_code, ?6)
WHERE id = ?1
"""


@cache
def _insert_values(
    table: str, columns: tuple[str, ...], n: int, conflict: str, returning: str
) -> str:
    row = "(" + ", ".join("?" * len(columns)) + ")"
    # Only this module's constant names are formatted in; the values are parameters.
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * n)} "  # noqa: S608
        f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}"
    )


_PROCESSORS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {}


def _processors(dialect: Dialect) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """The UTCDateTime and JSON columns' own conversions for this dialect, obtained once
    (SQLite: naive UTC text, JSON text). On PostgreSQL JSON text is cast to jsonb in the
    statement (jsonb keeps the value, not the spelling) and psycopg sends aware datetimes."""
    found = _PROCESSORS.get(dialect.name)
    if found is None:
        if dialect.name == "postgresql":
            found = (_aware, json.dumps)
        else:
            when = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
            as_json = JSONType.dialect_impl(dialect).bind_processor(dialect)
            found = (when or _same, as_json or json.dumps)
        _PROCESSORS[dialect.name] = found
    return found


def _same(value: Any) -> Any:
    return value


def _aware(value: datetime | None) -> datetime | None:
    """psycopg would read a naive datetime in the server's zone: refused, as UTCDateTime does."""
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime given to a UTCDateTime column")
    return value


def _datetime(dialect: Dialect) -> Callable[[Any], Any]:
    return _processors(dialect)[0]


_READERS: dict[str, Callable[[Any], Any]] = {}


def _read_datetime(dialect: Dialect) -> Callable[[Any], Any]:
    """The UTCDateTime column's conversion of what the driver returns (SQLite: text)."""
    found = _READERS.get(dialect.name)
    if found is None:
        impl = UTCDateTime().dialect_impl(dialect)
        found = _READERS[dialect.name] = impl.result_processor(dialect, None) or _same
    return found


def _json(dialect: Dialect) -> Callable[[Any], Any]:
    return _processors(dialect)[1]


def _sqlite_insert(
    connection: Connection,
    table: str,
    columns: tuple[str, ...],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: str,
    returning: str,
) -> list[Any]:
    sql = _insert_values(table, columns, len(rows), conflict, returning)
    flat = [value for row in rows for value in row]
    return list(connection.exec_driver_sql(sql, tuple(flat)))


@cache
def _sqlite_contacts_sql(n: int) -> str:
    pairs = ", ".join(["(?, ?)"] * n)
    return (
        "SELECT c.id, c.channel, c.external_id, c.app_user_id, c.display_name, c.commune_code,"  # noqa: S608
        " c.commune_asked_at, c.last_interaction_at, v.id, v.commune_code"
        f" FROM (VALUES {pairs}) AS k"
        " JOIN contacts AS c ON c.channel = k.column1 AND c.external_id = k.column2"
        " LEFT JOIN conversations AS v ON v.contact_id = c.id"
    )


def _sqlite_find_contacts(connection: Connection, keys: Sequence[Key]) -> dict[Key, Any]:
    """{(channel, external id): contact joined with its conversation} in one read."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    read = _read_datetime(connection.dialect)
    found: dict[Key, Any] = {}
    params = tuple(value for pair in wanted for value in pair)
    for values in connection.exec_driver_sql(_sqlite_contacts_sql(len(wanted)), params):
        row = dict(zip(CONTACT_FIELDS, values, strict=True))
        row["commune_asked_at"] = read(row["commune_asked_at"])
        row["last_interaction_at"] = read(row["last_interaction_at"])
        found[(row["channel"], row["external_id"])] = row
    return found


def _sqlite_store_events(connection: Connection, rows: Sequence[dict[str, Any]]) -> set[Key]:
    when = _datetime(connection.dialect)
    values = [
        (
            r["channel"],
            r["event_name"],
            r["dedupe_key"],
            r["raw"],
            r["outcome"],
            when(r["received_at"]),
        )
        for r in rows
    ]
    found = _sqlite_insert(
        connection,
        "inbound_events",
        EVENT_COLUMNS,
        values,
        conflict="channel, dedupe_key",
        returning="channel, dedupe_key",
    )
    return {(channel, key) for channel, key in found}


def _sqlite_insert_messages(
    connection: Connection, rows: Sequence[dict[str, Any]]
) -> dict[Key, int]:
    when, as_json = _datetime(connection.dialect), _json(connection.dialect)
    values = [
        (
            r["conversation_id"],
            r["channel"],
            r["direction"],
            r["kind"],
            r["text"],
            as_json(r["attachments"]),
            r["external_id"],
            r["source"],
            when(r["created_at"]),
        )
        for r in rows
    ]
    found = _sqlite_insert(
        connection,
        "messages",
        MESSAGE_COLUMNS,
        values,
        conflict="channel, external_id",
        returning="id, channel, external_id",
    )
    return {(channel, external): id_ for id_, channel, external in found}


def _sqlite_update(
    connection: Connection, contacts: dict[int, dict[str, Any]], touches: Sequence[dict[str, Any]]
) -> None:
    when = _datetime(connection.dialect)
    changes = [
        (
            when(c.get("last_interaction_at")) if c.get("last_interaction_at") else None,
            c.get("app_user_id"),
            c.get("display_name"),
            c.get("commune_code"),
            c.get("commune_source"),
            contact_id,
        )
        for contact_id, c in sorted(contacts.items())
        if any(c.get(name) is not None for name in CONTACT_CHANGES)
    ]
    if changes:
        connection.exec_driver_sql(_SQLITE_UPDATE_CONTACT, changes)
    counts = [
        (
            t["p_id"],
            t["p_n"],
            when(t["p_at"]),
            t["p_preview"],
            when(t["p_first"]),
            t.get("p_commune"),
        )
        for t in sorted(touches, key=lambda t: t["p_id"])
    ]
    if counts:
        connection.exec_driver_sql(_SQLITE_TOUCH, counts)


# --- The three steps ------------------------------------------------------------------------------


def store_events(
    connection: Connection, rows: Sequence[dict[str, Any]]
) -> tuple[set[Key], dict[Key, Any]]:
    """Insert the raw events (`ingest_sql.event_row` + "user_id"; distinct keys): the (channel,
    dedupe key) pairs inserted, and the contacts (joined with their conversation) of the
    senders of those, by (channel, user id)."""
    if not rows:
        return set(), {}
    if is_postgresql(connection):
        return _pg_store_events(connection, rows)
    inserted = _sqlite_store_events(connection, rows)
    senders = [
        (r["channel"], r["user_id"]) for r in rows if (r["channel"], r["dedupe_key"]) in inserted
    ]
    return inserted, _sqlite_find_contacts(connection, senders)


def insert_messages(connection: Connection, rows: Sequence[dict[str, Any]]) -> dict[Key, int]:
    """Insert inbound messages (`ingest_sql.message_row`, each with a distinct platform id):
    {(channel, external id): new id} for those not already stored."""
    if not rows:
        return {}
    if is_postgresql(connection):
        return _pg_insert_messages(connection, rows)
    return _sqlite_insert_messages(connection, rows)


def update(
    connection: Connection, contacts: dict[int, dict[str, Any]], touches: Sequence[dict[str, Any]]
) -> None:
    """Apply contact changes ({id: {column: new value}} over CONTACT_CHANGES) and count new
    messages into their conversations (TOUCH_FIELDS)."""
    contacts = {i: c for i, c in contacts.items() if c}
    if not contacts and not touches:
        return
    if is_postgresql(connection):
        _pg_update(connection, contacts, touches)
    else:
        _sqlite_update(connection, contacts, touches)
