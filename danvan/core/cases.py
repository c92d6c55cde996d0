"""(placeholder: this area's core module)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from danvan.core.actors import Actor
from danvan.models import Contact


def export_contact_data(session: Session, contact: Contact) -> dict[str, Any]:
    """What this area holds about the citizen, JSON-ready (see danvan.core.privacy)."""
    return {}


def erase_contact_data(session: Session, contact: Contact) -> dict[str, int]:
    """Erase what this area holds about the citizen; counts only (see danvan.core.privacy)."""
    return {}


def report_figures(
    session: Session,
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    commune_code: int | None = None,
) -> dict[str, Any]:
    """Case figures for reports over [start, end), within the actor's scope (the situation
    report calls this). Keys: received, answered, answered_on_time, open, overdue,
    median_hours_to_first_response, median_hours_to_answer (float | None), satisfaction_average
    (float | None), satisfaction_count, by_commune: [{commune_code, received, answered,
    answered_on_time, open, overdue}]."""
    return {
        "received": 0,
        "answered": 0,
        "answered_on_time": 0,
        "open": 0,
        "overdue": 0,
        "median_hours_to_first_response": None,
        "median_hours_to_answer": None,
        "satisfaction_average": None,
        "satisfaction_count": 0,
        "by_commune": [],
    }
