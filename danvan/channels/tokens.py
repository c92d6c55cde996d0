"""Platform OAuth tokens kept in the database (they rotate; see PlatformToken).

No HTTP here: a refresh is handed a function that asks the platform for the next pair, and this
module makes sure only one process refreshes at a time and that the rotated pair is saved in the
same transaction that held the lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.channels.models import PlatformToken
from danvan.kernel.models import utcnow


@dataclass(frozen=True)
class TokenPair:
    """What a token endpoint answered."""

    access_token: str
    refresh_token: str
    expires_in: int | None  # seconds; None when the platform did not say


@dataclass(frozen=True)
class TokenSnapshot:
    """The stored pair at one version, detached from any session."""

    access_token: str
    refresh_token: str
    expires_at: datetime | None
    version: int

    def expires_within(self, window: timedelta) -> bool:
        return self.expires_at is not None and self.expires_at - utcnow() < window


def _snapshot(row: PlatformToken) -> TokenSnapshot:
    return TokenSnapshot(
        access_token=row.access_token,
        refresh_token=row.refresh_token,
        expires_at=row.access_expires_at,
        version=row.version,
    )


def store_tokens(
    session: Session,
    *,
    platform: str,
    access_token: str,
    refresh_token: str,
    expires_at: datetime | None,
) -> PlatformToken:
    row = session.scalar(
        select(PlatformToken).where(PlatformToken.platform == platform).with_for_update()
    )
    if row is None:
        row = PlatformToken(platform=platform, access_token="", refresh_token="")
        session.add(row)
    row.access_token = access_token
    row.refresh_token = refresh_token
    row.access_expires_at = expires_at
    row.version = (row.version or 0) + 1
    session.flush()
    return row


def get_tokens(session: Session, *, platform: str) -> PlatformToken | None:
    return session.scalar(select(PlatformToken).where(PlatformToken.platform == platform))


def load_tokens(session: Session, *, platform: str) -> TokenSnapshot | None:
    row = get_tokens(session, platform=platform)
    return _snapshot(row) if row is not None else None


def rotate_tokens(
    session: Session,
    *,
    platform: str,
    seen_version: int,
    refresh: Callable[[str], TokenPair],
) -> TokenSnapshot | None:
    """Refresh the pair unless someone else already did; None when no pair is stored.

    Takes the row lock (FOR UPDATE on PostgreSQL; SQLite's transactions already hold the write
    lock), then re-reads: if the version moved past `seen_version`, another worker rotated the
    pair while we waited, and its pair is returned without a second refresh (the old refresh
    token is dead by then). Otherwise `refresh(refresh_token)` is called *under the lock* and the
    new pair saved in this transaction. Exceptions from `refresh` propagate and nothing changes.
    """
    row = session.scalar(
        select(PlatformToken)
        .where(PlatformToken.platform == platform)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        return None
    if row.version != seen_version:
        return _snapshot(row)
    pair = refresh(row.refresh_token)
    row.access_token = pair.access_token
    row.refresh_token = pair.refresh_token
    row.access_expires_at = (
        utcnow() + timedelta(seconds=pair.expires_in) if pair.expires_in is not None else None
    )
    row.version += 1
    session.flush()
    return _snapshot(row)
