"""Rate limits kept in the database, so every web process and worker shares them: fixed windows
(`hit`), failures in a row for backoff (`strike`, `peek`, `forget`) and per-second pacing of
sends (`take_send_slots`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from danvan.kernel.db import rowcount
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


def take_send_slots(
    session: Session, *, key: str, limit: int, want: int, now: datetime
) -> tuple[int, datetime]:
    """Take up to `want` sends in the current wall-clock second of `key` (at most `limit` per
    second in all): how many were granted, and the second they belong to. Windows are aligned
    to whole seconds, so that no second of the clock (as the platform counts) sees more than
    `limit`, whatever the number of workers; a worker drops what it has not used when its
    second is over."""
    second = now.replace(microsecond=0)
    want = max(1, min(want, limit))
    restarted = rowcount(
        session.execute(
            update(RateLimitBucket)
            .where(RateLimitBucket.key == key, RateLimitBucket.window_start < second)
            .values(window_start=second, count=want),
            execution_options={"synchronize_session": False},
        )
    )
    if restarted:
        return want, second
    bucket = session.scalar(
        select(RateLimitBucket)
        .where(RateLimitBucket.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if bucket is None:
        try:
            with session.begin_nested():
                session.add(RateLimitBucket(key=key, window_start=second, count=want))
        except IntegrityError:
            return 0, second  # created by another worker this instant: try the next turn
        return want, second
    if bucket.window_start != second:
        return 0, second  # a newer second was started by another worker's clock
    granted = min(want, limit - bucket.count)
    if granted <= 0:
        return 0, second
    bucket.count += granted
    return granted, second


def strike(session: Session, *, key: str, forget_after: timedelta) -> int:
    """Count one more failure on `key` and return how many there are in a row: the count
    starts over when the last failure is older than `forget_after`. The bucket's
    `window_start` holds the time of the last failure (for backoff from it)."""
    now = utcnow()
    key = key[:128]
    with session.begin_nested():
        restarted = session.execute(
            update(RateLimitBucket)
            .where(RateLimitBucket.key == key, RateLimitBucket.window_start <= now - forget_after)
            .values(window_start=now, count=1),
            execution_options={"synchronize_session": False},
        )
        if rowcount(restarted):
            return 1
        counted = session.execute(
            update(RateLimitBucket)
            .where(RateLimitBucket.key == key)
            .values(window_start=now, count=RateLimitBucket.count + 1),
            execution_options={"synchronize_session": False},
        )
        if rowcount(counted):
            return int(
                session.scalar(select(RateLimitBucket.count).where(RateLimitBucket.key == key)) or 1
            )
    try:
        with session.begin_nested():
            session.add(RateLimitBucket(key=key, window_start=now, count=1))
    except IntegrityError:
        return strike(session, key=key, forget_after=forget_after)
    return 1


def peek(session: Session, *, key: str) -> tuple[datetime, int] | None:
    """The bucket of `key` as stored now (window start or last failure, count), or None."""
    row = session.execute(
        select(RateLimitBucket.window_start, RateLimitBucket.count).where(
            RateLimitBucket.key == key[:128]
        )
    ).first()
    return None if row is None else (row[0], row[1])


def forget(session: Session, *, key: str) -> None:
    """Drop the bucket of `key` (e.g. failures in a row, after a success)."""
    session.execute(
        delete(RateLimitBucket).where(RateLimitBucket.key == key[:128]),
        execution_options={"synchronize_session": False},
    )
