"""Who answers a consultation: one answer per person. A Zalo contact is known by the phone they
shared when there is one ("phone:84…", `consultations.phone_key`), else by their identity on the
channel; when they share their phone, their answers so far become the phone's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.inbox.models import Contact
from danvan.kernel.models import utcnow
from danvan.outreach.consultations import phone_key
from danvan.outreach.models import Consultation, ConsultationAnswer


def participant_for(contact: Contact) -> str:
    """Who a Zalo contact is for "one answer per person": their shared phone when there is
    one, else their identity on the channel."""
    return phone_key(contact.phone) or f"{contact.channel}:{contact.external_id}"


def rekey_by_phone(session: Session, *, contact: Contact, now: datetime | None = None) -> int:
    """The contact has just shared their phone: their answers to OPEN consultations, recorded
    under their Zalo identity, become the phone's. Where the phone already answered (the same
    person in another Zalo account, or on the web with their resident code) the most recent
    answer is kept and the other deleted: one answer per person. Returns answers re-keyed."""
    key = phone_key(contact.phone)
    if key is None:
        return 0
    now = now or utcnow()
    moved = 0
    rows = session.execute(
        select(ConsultationAnswer, Consultation)
        .join(Consultation, Consultation.id == ConsultationAnswer.consultation_id)
        .where(
            ConsultationAnswer.participant == f"{contact.channel}:{contact.external_id}",
            Consultation.opens_at <= now,
            Consultation.closes_at > now,
        )
        .order_by(ConsultationAnswer.id)
    ).all()
    for answer, consultation in rows:
        other = session.scalar(
            select(ConsultationAnswer)
            .where(
                ConsultationAnswer.consultation_id == consultation.id,
                ConsultationAnswer.participant == key,
            )
            .with_for_update()
        )
        if other is not None:
            if other.updated_at > answer.updated_at:
                session.delete(answer)
                session.flush()
                continue
            session.delete(other)
            session.flush()  # the key is free before this answer takes it
        answer.participant = key
        moved += 1
    session.flush()
    return moved
