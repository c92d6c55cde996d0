"""The database session context, as the web layer uses it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from danvan.inbox.models import Label
from danvan.kernel.db import Database


def test_a_session_may_end_on_another_thread_than_it_began(database: Database) -> None:
    """FastAPI runs a sync dependency's enter and exit on any free threadpool thread."""
    context = database.session()
    with ThreadPoolExecutor(max_workers=1) as first, ThreadPoolExecutor(max_workers=1) as second:
        session = first.submit(context.__enter__).result()
        session.add(Label(name="across-threads"))
        assert (
            first.submit(threading.get_ident).result()
            != second.submit(threading.get_ident).result()
        )
        second.submit(context.__exit__, None, None, None).result()
    with database.session() as check:
        assert check.scalar(select(Label.name).where(Label.name == "across-threads"))
    # And the next session is not blocked by a lock left held.
    with database.session() as again:
        again.add(Label(name="after"))


def test_a_session_may_open_another_on_the_same_thread(database: Database) -> None:
    """Nesting happens (a helper opens its own session inside a caller's): no deadlock."""
    with database.session() as outer:
        with database.session() as inner:
            inner.add(Label(name="inner"))
        outer.add(Label(name="outer"))
    with database.session() as check:
        assert sorted(check.scalars(select(Label.name))) == ["inner", "outer"]


def test_other_threads_wait_for_the_writer(database: Database) -> None:
    """SQLite only: one writer per process at a time (PostgreSQL needs no gate)."""
    if database.engine.dialect.name != "sqlite":
        pytest.skip("the writer gate exists for SQLite only")
    order: list[str] = []
    context = database.session()
    session = context.__enter__()
    session.add(Label(name="first"))
    with ThreadPoolExecutor(max_workers=1) as pool:

        def second() -> None:
            with database.session() as other:
                order.append("second")
                other.add(Label(name="second"))

        waiting = pool.submit(second)
        assert not waiting.done()  # blocked on the writer gate
        order.append("first")
        context.__exit__(None, None, None)
        waiting.result(timeout=30)
    assert order == ["first", "second"]
