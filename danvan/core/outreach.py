"""(placeholder: this area's core module)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from danvan.models import Contact


def export_contact_data(session: Session, contact: Contact) -> dict[str, Any]:
    """What this area holds about the citizen, JSON-ready (see danvan.core.privacy)."""
    return {}


def erase_contact_data(session: Session, contact: Contact) -> dict[str, int]:
    """Erase what this area holds about the citizen; counts only (see danvan.core.privacy)."""
    return {}
