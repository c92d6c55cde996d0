"""The outreach area's citizen-level pieces: contact tags / language / opt-out set by staff, and
what the area holds about a citizen for Decree 13 export and erasure (broadcast deliveries,
consultation answers, poll answers, resident-list entries matched by phone). Its text hooks hand
a citizen's text to `danvan.outreach.inbound`."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, delete, inspect, select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.inbox import communes
from danvan.inbox.models import Contact, ContactTag
from danvan.kernel import geo
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.outreach import flow as consultation_flow
from danvan.outreach import inbound
from danvan.outreach.audience import normalize_tag
from danvan.outreach.models import (
    BroadcastRecipient,
    ConsultationAnswer,
    PollAnswer,
    Resident,
)

MAX_CONTACT_TAGS = 20


def wants_text(session: Session, text: str) -> bool:
    """Whether an inbound text may be for this area (cheap: a code or words, then a cached
    read). Long texts may be for it too, while a consultation is open: an opinion."""
    return inbound.wants_text(session, text)


def on_text(session: Session, *, channel: str, user_id: str, text: str) -> bool:
    """A citizen's text: a consultation or poll code, the next step of their open answer flow
    (danvan.outreach.flow), stop/resume broadcasts, or a short vote or poll answer.
    Returns whether the text was taken as one of those."""
    return inbound.on_text(session, channel=channel, user_id=user_id, text=text)


def on_shared_info(session: Session, contact: Contact) -> None:
    """The citizen shared their phone with the OA: their consultation votes count as the
    phone's from now on (one vote per person)."""
    consultation_flow.on_phone_shared(session, contact)


def contact_tags(session: Session, contact: Contact) -> list[str]:
    return list(
        session.scalars(
            select(ContactTag.tag)
            .where(ContactTag.contact_id == contact.id)
            .order_by(ContactTag.tag)
        )
    )


def do_update_contact(
    session: Session,
    *,
    actor: Actor,
    contact: Contact,
    province_code: int,
    commune_code: int | None = None,
    set_commune: bool = False,
    tags: list[str] | None = None,
    language: str | None = None,
    broadcast_opt_out: bool | None = None,
) -> Contact:
    """Staff set a citizen's commune, tags, language or broadcast opt-out (audited)."""
    actor.require_write()
    changes: dict[str, Any] = {}
    if set_commune:
        if commune_code is not None:
            commune = geo.get_commune(commune_code)
            if commune is None or commune.province_code != province_code:
                raise Invalid("Mã xã/phường không hợp lệ", code="bad_commune")
        if not actor.sees_commune(commune_code):
            raise Invalid(
                "Bạn chỉ có thể chuyển người dân tới xã/phường mình phụ trách", code="out_of_scope"
            )
        changes["commune_code"] = [contact.commune_code, commune_code]
        communes.move_citizen(session, contact=contact, commune_code=commune_code, source="staff")
    if tags is not None:
        values = sorted({normalize_tag(t) for t in tags if normalize_tag(t)})
        if len(values) > MAX_CONTACT_TAGS:
            raise Invalid("Tối đa {limit} nhãn", code="too_many_tags", limit=MAX_CONTACT_TAGS)
        session.execute(delete(ContactTag).where(ContactTag.contact_id == contact.id))
        session.add_all(ContactTag(contact_id=contact.id, tag=t) for t in values)
        changes["tags"] = values
    if language is not None:
        contact.language = language.strip().lower()[:8] or None
        changes["language"] = contact.language
    if broadcast_opt_out is not None:
        if broadcast_opt_out and contact.broadcast_opt_out_at is None:
            contact.broadcast_opt_out_at = utcnow()
        elif not broadcast_opt_out:
            contact.broadcast_opt_out_at = None
        changes["broadcast_opt_out"] = broadcast_opt_out
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="contact_update",
        object_type="contact",
        object_id=contact.id,
        detail=changes,
    )
    return contact


def _residents_of(session: Session, contact: Contact) -> list[Resident]:
    phone = contact.phone
    if phone is None:
        # Erasure clears the phone before the areas run: use the value it had (unflushed).
        deleted = inspect(contact).attrs.phone.history.deleted
        phone = deleted[0] if deleted else None
    if not phone:
        return []
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not digits:
        return []
    return list(session.scalars(select(Resident).where(Resident.phone == digits)))


def export_contact_data(session: Session, contact: Contact) -> dict[str, Any]:
    """What this area holds about the citizen, JSON-ready (see danvan.inbox.privacy)."""
    answers = session.scalars(
        select(ConsultationAnswer).where(ConsultationAnswer.contact_id == contact.id)
    )
    polls = session.scalars(select(PollAnswer).where(PollAnswer.contact_id == contact.id))
    deliveries = session.scalars(
        select(BroadcastRecipient).where(BroadcastRecipient.contact_id == contact.id)
    )
    return {
        "tags": contact_tags(session, contact),
        "language": contact.language,
        "broadcast_opt_out_at": (
            contact.broadcast_opt_out_at.isoformat() if contact.broadcast_opt_out_at else None
        ),
        "broadcasts_received": [
            {"broadcast_id": d.broadcast_id, "status": d.status, "reason": d.reason}
            for d in deliveries
        ],
        "consultation_answers": [
            {
                "consultation_id": a.consultation_id,
                "option_index": a.option_index,
                "opinion": a.opinion,
                "commune_code": a.commune_code,
                "updated_at": a.updated_at.isoformat(),
            }
            for a in answers
        ],
        "poll_answers": [
            {"poll_id": a.poll_id, "choices": list(a.choices or []), "commune_code": a.commune_code}
            for a in polls
        ],
        "resident_list_entries": [
            {"commune_code": r.commune_code, "code": r.code, "full_name": r.full_name}
            for r in _residents_of(session, contact)
        ],
    }


def erase_contact_data(session: Session, contact: Contact) -> dict[str, int]:
    """Erase what this area holds about the citizen; counts only (see danvan.inbox.privacy).

    Answers are deleted (results are recounted without them), tags and delivery rows too; the
    resident-list entries with the citizen's phone are removed from the list."""
    counts: dict[str, int] = {}

    def gone(name: str, statement: Any) -> None:
        result = session.execute(statement.execution_options(synchronize_session=False))
        counts[name] = int(cast(CursorResult[Any], result).rowcount or 0)

    gone("consultation_answers", delete(ConsultationAnswer).where(
        ConsultationAnswer.contact_id == contact.id
    ))  # fmt: skip
    gone("poll_answers", delete(PollAnswer).where(PollAnswer.contact_id == contact.id))
    gone("broadcast_recipients", delete(BroadcastRecipient).where(
        BroadcastRecipient.contact_id == contact.id
    ))  # fmt: skip
    gone("contact_tags", delete(ContactTag).where(ContactTag.contact_id == contact.id))
    residents = [r.id for r in _residents_of(session, contact)]
    if residents:
        gone("consultation_answers_as_resident", delete(ConsultationAnswer).where(
            ConsultationAnswer.resident_id.in_(residents)
        ))  # fmt: skip
        gone("resident_list_entries", delete(Resident).where(Resident.id.in_(residents)))
    counts["outreach_flows"] = consultation_flow.erase_flows(session, contact)
    contact.language = None
    return counts
