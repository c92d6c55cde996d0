"""Platform OAuth tokens kept in the database (they rotate; see PlatformToken)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.models import PlatformToken


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
