"""The database session context, as the web layer uses it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from danvan.db import Database
from danvan.models import Label


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
