"""Staff sign-in sessions, kept on the server.

The (signed) session cookie carries a random token; the `staff_sessions` row keeps its SHA-256.
A session is good while its row is not revoked, has been used within `session_minutes`, and is
younger than `session_max_age_hours` (an absolute end that use does not push back). Sign-out,
a password change or reset, deactivation and "sign out everywhere" revoke rows, so a copied
cookie stops working on its next request. Ended rows are deleted by the `sessions_cleanup` job.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from danvan.accounts.models import StaffSession, User
from danvan.kernel.db import Database, rowcount
from danvan.kernel.models import utcnow
from danvan.kernel.security import hash_token, new_session_token
from danvan.kernel.settings import Settings

# `last_seen_at` is written at most this often (not on every page and htmx poll).
TOUCH_EVERY = timedelta(minutes=1)


def idle_limit(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.session_minutes)


def max_age(settings: Settings) -> timedelta:
    return timedelta(hours=settings.session_max_age_hours)


def do_start_session(session: Session, *, user: User, settings: Settings, ip: str = "") -> str:
    """A new session for `user`; returns the token for the cookie (only its hash is kept)."""
    token = new_session_token()
    now = utcnow()
    session.add(
        StaffSession(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + max_age(settings),
            ip=ip[:64],
        )
    )
    session.flush()
    return token


def user_for_session(session: Session, *, token: str, settings: Settings) -> User | None:
    """The active user of a live session, or None (unknown, revoked, idle too long, too old);
    marks the session used."""
    if not token:
        return None
    now = utcnow()
    row = session.scalar(
        select(StaffSession).where(
            StaffSession.token_hash == hash_token(token[:200]),
            StaffSession.revoked_at.is_(None),
            StaffSession.expires_at > now,
            StaffSession.last_seen_at > now - idle_limit(settings),
        )
    )
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return user


def do_end_session(session: Session, *, token: str) -> None:
    """Revoke the session of this token (sign-out)."""
    if token:
        session.execute(
            update(StaffSession)
            .where(
                StaffSession.token_hash == hash_token(token[:200]),
                StaffSession.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )


def revoke_user_sessions(session: Session, *, user_id: int) -> int:
    """Revoke every live session of a user; how many there were."""
    return rowcount(
        session.execute(
            update(StaffSession)
            .where(StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None))
            .values(revoked_at=utcnow()),
            execution_options={"synchronize_session": False},
        )
    )


def live_sessions(session: Session, *, user_id: int, settings: Settings) -> list[StaffSession]:
    now = utcnow()
    return list(
        session.scalars(
            select(StaffSession)
            .where(
                StaffSession.user_id == user_id,
                StaffSession.revoked_at.is_(None),
                StaffSession.expires_at > now,
                StaffSession.last_seen_at > now - idle_limit(settings),
            )
            .order_by(StaffSession.last_seen_at.desc())
        )
    )


def clean_sessions(database: Database, settings: Settings, now: datetime) -> int:
    """Delete ended sessions (revoked, idle too long, or past their absolute end)."""
    with database.session() as session:
        return rowcount(
            session.execute(
                delete(StaffSession).where(
                    or_(
                        StaffSession.revoked_at.is_not(None),
                        StaffSession.expires_at <= now,
                        StaffSession.last_seen_at <= now - idle_limit(settings),
                    )
                ),
                execution_options={"synchronize_session": False},
            )
        )
