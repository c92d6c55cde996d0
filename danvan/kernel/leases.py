"""Named leases in the database: one holder at a time, taken with a conditional UPDATE that
behaves alike on SQLite and PostgreSQL, and freed by expiry when a holder dies. The single
SQLite worker and every background job (one worker at a time runs it) are held this way."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from danvan.kernel.db import rowcount
from danvan.kernel.models import Lease, utcnow


def take_lease(
    session: Session, *, name: str, holder: str, ttl: timedelta, now: datetime | None = None
) -> Lease | None:
    """Take or renew the lease `name` for `holder`; None (with nothing changed) when someone
    else holds it unexpired. A conditional UPDATE, so it behaves alike on SQLite and PostgreSQL."""
    now = now or utcnow()
    taken = rowcount(
        session.execute(
            update(Lease)
            .where(Lease.name == name, or_(Lease.until < now, Lease.holder == holder))
            .values(holder=holder, until=now + ttl),
            execution_options={"synchronize_session": False},
        )
    )
    if not taken:
        if session.get(Lease, name) is not None:
            return None
        try:
            with session.begin_nested():
                session.add(Lease(name=name, holder=holder, until=now + ttl))
        except IntegrityError:
            return None  # someone created it first
    return session.get(Lease, name, populate_existing=True)


def get_lease(session: Session, *, name: str) -> Lease | None:
    return session.get(Lease, name, populate_existing=True)


def release_lease(session: Session, *, name: str, holder: str) -> None:
    session.execute(
        update(Lease).where(Lease.name == name, Lease.holder == holder).values(until=utcnow()),
        execution_options={"synchronize_session": False},
    )
