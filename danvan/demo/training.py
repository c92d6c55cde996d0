"""Demo data of the training area (placeholder until that area lands)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from danvan.models import User
from danvan.settings import Settings


def seed(session: Session, *, settings: Settings, users: dict[str, User]) -> None:
    """Add this area's demo data; `users` maps the demo staff e-mails to their accounts."""
