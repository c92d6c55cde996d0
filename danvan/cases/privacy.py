"""A citizen's cases in their data export and erasure (Decree 13): the `personal_data` hook of
the cases area in `danvan.kernel.areas`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.cases.models import Case, CaseEvent
from danvan.inbox.models import Contact, Conversation
from danvan.kernel.text import fold


def _cases_of_contact(session: Session, contact: Contact) -> list[Case]:
    return list(
        session.scalars(
            select(Case)
            .join(Conversation, Conversation.id == Case.conversation_id)
            .where(Conversation.contact_id == contact.id)
            .order_by(Case.id)
        )
    )


def export_contact_data(session: Session, contact: Contact) -> dict[str, Any]:
    """What this area holds about the citizen, JSON-ready (see danvan.inbox.privacy)."""
    return {
        "cases": [
            {
                "code": case.code,
                "title": case.title,
                "description": case.description,
                "category": case.category,
                "commune_code": case.commune_code,
                "location": case.location,
                "latitude": case.latitude,
                "longitude": case.longitude,
                "status": case.status,
                "received_at": case.received_at.isoformat(),
                "due_at": case.due_at.isoformat(),
                "public_answer": case.public_answer,
                "public_reason": case.public_reason,
                "rating": case.rating,
                "rating_comment": case.rating_comment,
            }
            for case in _cases_of_contact(session, contact)
        ]
    }


ERASED_TITLE = "[đã xoá theo yêu cầu]"


def erase_contact_data(session: Session, contact: Contact) -> dict[str, int]:
    """Erase what this area holds about the citizen; counts only (see danvan.inbox.privacy).
    The case rows stay, emptied (code, category, commune, dates, status: the figures)."""
    cases = _cases_of_contact(session, contact)
    events = 0
    for case in cases:
        case.title = ERASED_TITLE
        case.public_title = None
        case.description = ""
        case.location = ""
        case.latitude = case.longitude = None
        case.photos = []
        case.public_answer = ""
        case.public_reason = ""
        case.rating_comment = ""
        case.search_text = fold(case.code)
        for event in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)):
            if event.text and event.kind not in ("merged",):
                event.text = ""
                events += 1
    return {"cases": len(cases), "case_events": events}
