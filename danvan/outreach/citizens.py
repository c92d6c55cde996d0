"""The outreach area's citizen-level pieces: contact tags / language / opt-out set by staff, and
what the area holds about a citizen for Decree 13 export and erasure (broadcast deliveries,
consultation answers, poll answers, resident-list entries matched by phone)."""

from __future__ import annotations

import time
from typing import Any, cast

from sqlalchemy import CursorResult, delete, inspect, select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.inbox import communes
from danvan.inbox.models import Contact, ContactTag, Conversation, Delivery, Direction, Message
from danvan.inbox.outbox import enqueue
from danvan.kernel import geo
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.text import clean, fold
from danvan.outreach import flow as consultation_flow
from danvan.outreach import polls
from danvan.outreach.broadcasts import normalize_tag
from danvan.outreach.consultations import MAX_OPTION, any_open, on_inbound_message, parse_code
from danvan.outreach.models import (
    BroadcastRecipient,
    ConsultationAnswer,
    PollAnswer,
    Resident,
)

MAX_CONTACT_TAGS = 20
# A citizen's whole message (folded) asking to stop or to resume broadcasts.
STOP_WORDS = frozenset({"dung", "stop", "huy", "dung nhan tin", "huy nhan tin", "khong nhan tin",
                        "tu choi nhan tin", "ngung nhan tin"})  # fmt: skip
START_WORDS = frozenset({"nhan tin", "dang ky nhan tin", "nhan lai tin", "start"})
STOP_ACK = (
    "Bạn sẽ không nhận thông báo chung từ OA nữa. Bạn vẫn có thể nhắn hỏi, phản ánh như "
    "thường. Nhắn “nhận tin” để nhận lại thông báo."
)
START_ACK = "Bạn sẽ nhận lại thông báo chung từ OA. Nhắn “dừng nhận tin” để ngừng."


def _words(text: str) -> str:
    return fold(text).strip(" .!")


# Whether any consultation or poll is open, per database, for a few seconds: the webhook's hot
# path asks for every message. Creating one here clears it; other processes see it within the
# TTL. While one is open (or a citizen's answer flow is, for its 30 minutes), each text costs one
# indexed read: the citizen's open flow, if any.
_OPEN_TTL = 5.0
_open_cache: dict[str, tuple[float, bool]] = {}


def forget_open_items() -> None:
    _open_cache.clear()


def _anything_open(session: Session) -> bool:
    key = str(session.get_bind().engine.url)
    now = time.monotonic()
    cached = _open_cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    found = (
        any_open(session)
        or polls.poll_open_now(session)
        or consultation_flow.any_flow_open(session)  # told "closed" if the item closed since
    )
    _open_cache[key] = (now + _OPEN_TTL, found)
    return found


def wants_text(session: Session, text: str) -> bool:
    """Whether an inbound text may be for this area (cheap: a code or words, then a cached
    read). Long texts may be for it too, while a consultation is open: an opinion."""
    if not text:
        return False
    if parse_code(text) is not None:
        return True
    if len(text) <= MAX_OPTION and _words(text) in STOP_WORDS | START_WORDS:
        return True
    return _anything_open(session)


def on_text(session: Session, *, channel: str, user_id: str, text: str) -> bool:
    """A citizen's text: a consultation or poll code, the next step of their open answer flow
    (danvan.outreach.flow), stop/resume broadcasts, or a short vote or poll answer.
    Returns whether the text was taken as one of those."""
    words = _words(text)
    reserved = STOP_WORDS | START_WORDS
    if consultation_flow.on_text(
        session, channel=channel, user_id=user_id, text=text, reserved=reserved
    ):
        return True
    if len(text) > MAX_OPTION:
        return False
    if words in reserved:
        contact = session.scalar(
            select(Contact).where(Contact.channel == channel, Contact.external_id == user_id)
        )
        if contact is None:
            return False
        stop = words in STOP_WORDS
        if stop == (contact.broadcast_opt_out_at is not None):
            return True  # already so: say nothing twice
        contact.broadcast_opt_out_at = utcnow() if stop else None
        _acknowledge(session, contact, STOP_ACK if stop else START_ACK)
        audit.record(
            session,
            actor=None,
            action="broadcast_opt_out" if stop else "broadcast_opt_in",
            object_type="contact",
            object_id=contact.id,
            via="citizen",
        )
        return True
    if on_inbound_message(session, channel=channel, user_id=user_id, text=text) is not None:
        return True
    if channel not in ("zalo_oa", "zalo_bot") or not polls.poll_open_now(session):
        return False
    contact = session.scalar(
        select(Contact).where(Contact.channel == channel, Contact.external_id == user_id)
    )
    if contact is None:
        return False
    found = polls.answer_from_message(session, contact=contact, text=clean(text))
    if found is not None:
        poll, answer = found
        picked = ", ".join(poll.options[i] for i in answer.choices)
        _acknowledge(
            session,
            contact,
            f"Đã ghi nhận trả lời “{picked}” cho thăm dò “{poll.question}”. Cảm ơn bạn.",
        )
        return True
    return False


def on_shared_info(session: Session, contact: Contact) -> None:
    """The citizen shared their phone with the OA: their consultation votes count as the
    phone's from now on (one vote per person)."""
    consultation_flow.on_phone_shared(session, contact)


def _acknowledge(session: Session, contact: Contact, text: str) -> None:
    conversation = session.scalar(select(Conversation).where(Conversation.contact_id == contact.id))
    if conversation is None:
        return
    message = Message(
        conversation_id=conversation.id,
        channel=contact.channel,
        direction=Direction.OUT,
        text=text,
        source="system",
        delivery_status=Delivery.QUEUED,
    )
    session.add(message)
    session.flush()
    enqueue(session, message=message, recipient=contact.external_id)


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
