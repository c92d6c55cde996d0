"""Engine and session set-up. Every SQLite quirk of the project lives here.

SQLite is the embedded default (WAL, foreign keys, a busy timeout, and transactions that take the
write lock up front so that two writers queue instead of failing half-way). PostgreSQL is the store
for production and scale-out; nothing outside this module should need to know which one is in use,
except the outbox claim, which asks `supports_skip_locked`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from danvan.kernel import areas


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Use psycopg 3, the driver we pin, when the URL names none.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock at BEGIN: a writer waits for another (busy_timeout)
        # instead of failing with "database is locked" when it upgrades a read lock mid-way.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def supports_skip_locked(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


# Files written for rows of a transaction that has not committed yet (uploaded photos): removed
# if that transaction rolls back, so that a failed commit leaves no orphan file behind.
_FILES_ON_ROLLBACK = "danvan.files_on_rollback"


def remove_on_rollback(session: Session, path: Path) -> None:
    """Delete `path` if the session's transaction is rolled back instead of committed."""
    session.info.setdefault(_FILES_ON_ROLLBACK, []).append(path)


@event.listens_for(Session, "after_commit")
def _keep_files(session: Session) -> None:
    session.info.pop(_FILES_ON_ROLLBACK, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_files(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without `after_commit` having taken the list: it rolled
    # back (a savepoint's end is not the outermost one, so a savepoint rollback keeps them).
    if transaction.parent is None:
        for path in session.info.pop(_FILES_ON_ROLLBACK, []):
            path.unlink(missing_ok=True)


class WriterGate:
    """The SQLite writer lock of one process: reentrant for the thread that holds it (a session
    may open another before either touches the database), and releasable from any thread,
    because FastAPI enters and exits a request's session dependency on whichever threadpool
    threads are free (a threading.RLock raises "cannot release un-acquired lock" then, and a
    plain Lock deadlocks the nested case)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._owner: int | None = None
        self._depth = 0

    def __enter__(self) -> None:
        me = threading.get_ident()
        with self._cond:
            while self._depth and self._owner != me:
                self._cond.wait()
            self._owner = me
            self._depth += 1

    def __exit__(self, *_exc: object) -> None:
        with self._cond:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._cond.notify()


class Database:
    """An engine and its session factory; one per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        areas.load_models()
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time and its busy handler waits by sleeping (up to 100 ms
        # a turn), which makes tail latency poor when threads of one process contend. Queue
        # them on a lock instead; other processes still wait on busy_timeout.
        # See `WriterGate` for why this is not a threading.RLock.
        self._sqlite_lock = WriterGate() if self.engine.dialect.name == "sqlite" else None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        if self._sqlite_lock is None:
            with self.sessionmaker() as session, session.begin():
                yield session
            return
        with self._sqlite_lock, self.sessionmaker() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def has_schema(database: Database) -> bool:
    """Whether the database's tables exist (any migration applied): a new checkout's database
    has none until `danvan db upgrade` (or the demo) creates them."""
    try:
        return inspect(database.engine).has_table("alembic_version")
    except OperationalError:  # the file or server cannot be opened: certainly no tables
        return False


def missing_table(exc: BaseException) -> bool:
    """Whether a database error says a table does not exist (SQLite's "no such table",
    PostgreSQL's undefined_table, SQLSTATE 42P01 from psycopg): the schema has not been
    created or upgraded."""
    if not isinstance(exc, DBAPIError):
        return False
    return getattr(exc.orig, "sqlstate", None) == "42P01" or "no such table" in str(exc.orig)


_database: Database | None = None


def get_database() -> Database:
    """The process-wide database built from the settings."""
    global _database
    if _database is None:
        from danvan.kernel.settings import get_settings

        _database = Database(get_settings().database_url)
    return _database


def set_database(database: Database | None) -> None:
    global _database
    _database = database


def rowcount(result: Any) -> int:
    """The rows an UPDATE or DELETE touched (the conditional-UPDATE claims and leases read it)."""
    return cast(CursorResult[Any], result).rowcount
