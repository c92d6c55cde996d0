"""Revision 0008 fills `conversations.awaiting_since` for conversations that existed before it:
the citizen's first message after the last staff answer (a danvan reply or one typed in Zalo's
OA inbox); nothing for answered or closed conversations. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import command

from danvan.kernel.db import Database
from danvan.migrations import alembic_config, upgrade

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def _fill(table: sa.Table, values: dict[str, Any]) -> dict[str, Any]:
    """`values` plus a sample for every other required column."""
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key:
            continue
        kind = column.type
        if isinstance(kind, sa.Boolean):
            row[column.name] = False
        elif isinstance(kind, sa.Integer):
            row[column.name] = 0
        elif isinstance(kind, sa.DateTime):
            row[column.name] = T0
        elif isinstance(kind, sa.JSON):
            row[column.name] = []
        else:
            row[column.name] = ""
    return row


def _at(value: Any) -> datetime | None:
    """A stored time as an aware datetime (SQLite returns text, PostgreSQL a datetime)."""
    if value is None:
        return None
    found = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def test_waiting_conversations_get_their_first_unanswered_message(database: Database) -> None:
    url = database.engine.url.render_as_string(hide_password=False)
    command.downgrade(alembic_config(url), "0003")
    meta = sa.MetaData()
    meta.reflect(database.engine)
    contacts, conversations, messages = (
        meta.tables[n] for n in ("contacts", "conversations", "messages")
    )

    def conversation(n: int, status: str, turns: list[tuple[str, str, int]]) -> None:
        with database.engine.begin() as conn:
            conn.execute(
                contacts.insert().values(
                    _fill(contacts, {"id": n, "channel": "zalo_oa", "external_id": f"c{n}"})
                )
            )
            conn.execute(
                conversations.insert().values(
                    _fill(
                        conversations,
                        {"id": n, "contact_id": n, "channel": "zalo_oa", "status": status},
                    )
                )
            )
            for i, (direction, source, minutes) in enumerate(turns):
                conn.execute(
                    messages.insert().values(
                        _fill(messages, {
                            "id": n * 100 + i, "conversation_id": n, "channel": "zalo_oa",
                            "direction": direction, "source": source, "text": "x",
                            "created_at": T0 + timedelta(minutes=minutes),
                        })
                    )
                )  # fmt: skip

    replied = [("in", "citizen", 0), ("out", "staff", 5)]
    conversation(1, "open", [*replied, ("in", "citizen", 10), ("in", "citizen", 20)])
    conversation(2, "open", [("in", "citizen", 0), ("out", "oa_inbox", 5)])
    conversation(3, "closed", [("in", "citizen", 0)])
    conversation(4, "open", [("in", "citizen", 0), ("out", "system", 1)])  # a notice: no answer
    upgrade(url)
    with database.engine.connect() as conn:
        found = dict(conn.execute(sa.text("SELECT id, awaiting_since FROM conversations")).all())
    waited = {k: _at(v) for k, v in found.items()}
    assert waited[2] is None
    assert waited[3] is None
    assert waited[1] == T0 + timedelta(minutes=10)
    assert waited[4] == T0
