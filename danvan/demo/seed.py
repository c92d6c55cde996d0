"""Fill an empty database with the demo: each area's demo data, in the order of
`kernel.areas.AREAS` (accounts first: the staff every later area uses)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts.demo import logins
from danvan.accounts.models import User
from danvan.kernel import areas
from danvan.kernel.settings import Settings


def is_seeded(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is not None


def seed(session: Session, *, settings: Settings) -> list[tuple[str, str, str]]:
    """Create the demo data; returns (email, password, role) of the demo logins."""
    users: dict[str, User] = {}
    for _area, seed_area in areas.hooked("seed"):
        seed_area(session, settings=settings, users=users)
    return logins()
