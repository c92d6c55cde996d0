"""Alembic environment: the URL comes from the settings (or the caller), never from an ini file."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from danvan.kernel import areas
from danvan.kernel.db import make_engine
from danvan.kernel.models import Base

config = context.config
areas.load_models()
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Copying a table drops the old one, and with foreign keys on, SQLite would cascade that
        # drop to every child row (outbox attempts of an altered outbox, say). SQLite's own
        # recipe for altering tables: keys off (outside any transaction), alter, check, keys on.
        _driver(connection).execute("PRAGMA foreign_keys=OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows without their parent: {broken[:5]}")
    finally:
        if sqlite:
            _driver(connection).execute("PRAGMA foreign_keys=ON")


def _driver(connection: Connection) -> Any:
    """The sqlite3 connection under SQLAlchemy's (PRAGMA foreign_keys is a no-op in a
    transaction, and SQLAlchemy would open one for its own execute)."""
    return connection.connection.driver_connection


run_migrations_online()
