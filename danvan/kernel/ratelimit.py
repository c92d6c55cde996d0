"""Fixed-window rate limits kept in the database, so every web process shares them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from danvan.kernel.models import RateLimitBucket, utcnow


def hit(session: Session, *, key: str, limit: int, window: timedelta) -> bool:
    """Count one hit on `key`; False when the window already holds `limit` hits.

    Runs in its own savepoint so that a refusal never disturbs the caller's transaction.
    """
    now = utcnow()
    key = key[:128]
    with session.begin_nested():
        # Start a new window if the old one ended, or count the hit in the current one.
        reset = session.execute(
            update(RateLimitBucket)
            .where(RateLimitBucket.key == key, RateLimitBucket.window_start <= now - window)
            .values(window_start=now, count=1)
        )
        if reset.rowcount:  # type: ignore[attr-defined]
            return True
        counted = session.execute(
            update(RateLimitBucket)
            .where(RateLimitBucket.key == key, RateLimitBucket.count < limit)
            .values(count=RateLimitBucket.count + 1)
        )
        if counted.rowcount:  # type: ignore[attr-defined]
            return True
        if session.get(RateLimitBucket, key) is not None:
            return False
    try:
        with session.begin_nested():
            session.add(RateLimitBucket(key=key, window_start=now, count=1))
    except IntegrityError:
        # Another process created the bucket first: count against it.
        return hit(session, key=key, limit=limit, window=window)
    return True
