"""A citizen's inbound text, for the outreach area: a consultation or poll code, the next step of
their open answer flow (`danvan.outreach.flow`), a request to stop or resume broadcasts, or a
short vote or poll answer given without a code. Ingest reaches it through the area's text hooks
(`danvan.outreach.citizens.wants_text` and `on_text`); nothing else in the area imports it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.inbox.models import Contact, Conversation, Delivery, Direction, Message
from danvan.inbox.outbox import enqueue
from danvan.kernel.models import utcnow
from danvan.kernel.text import clean, fold
from danvan.outreach import flow as consultation_flow
from danvan.outreach import polls
from danvan.outreach.codes import parse_code
from danvan.outreach.consultations import do_answer, format_local, match_option
from danvan.outreach.flow_steps import ask_phone_once
from danvan.outreach.items import MAX_OPTION, anything_open
from danvan.outreach.models import Consultation, ConsultationAnswer
from danvan.outreach.participants import participant_for

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


def _anything_open(session: Session) -> bool:
    return anything_open(
        session,
        lambda: (
            any_open(session)
            or polls.poll_open_now(session)
            or consultation_flow.any_flow_open(session)  # told "closed" if the item closed since
        ),
    )


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


# --- a vote without a code -----------------------------------------------------------------


def vote_open(session: Session, now: datetime | None = None) -> bool:
    """Whether any consultation vote is open now (one indexed read)."""
    now = now or utcnow()
    found = session.scalar(
        select(Consultation.id)
        .where(
            Consultation.kind == "vote",
            Consultation.opens_at <= now,
            Consultation.closes_at > now,
        )
        .limit(1)
    )
    return found is not None


def any_open(session: Session, now: datetime | None = None) -> bool:
    """Whether any consultation (vote or opinion) is open now (one indexed read)."""
    now = now or utcnow()
    found = session.scalar(
        select(Consultation.id)
        .where(Consultation.opens_at <= now, Consultation.closes_at > now)
        .limit(1)
    )
    return found is not None


def answer_from_message(
    session: Session, *, contact: Contact, text: str, now: datetime | None = None
) -> ConsultationAnswer | None:
    """A Zalo message matching an option of exactly one open vote in the citizen's commune is
    their vote (a later one replaces it). Anything else is an ordinary message."""
    if contact.commune_code is None or not text or len(text) > MAX_OPTION:
        return None
    now = now or utcnow()
    candidates = [
        c
        for c in session.scalars(
            select(Consultation).where(
                Consultation.kind == "vote",
                Consultation.opens_at <= now,
                Consultation.closes_at > now,
            )
        )
        if contact.commune_code in (c.commune_codes or [])
    ]
    matches = [(c, i) for c in candidates if (i := match_option(c, text)) is not None]
    if len(matches) != 1:
        return None
    consultation, index = matches[0]
    return do_answer(
        session,
        consultation=consultation,
        participant=participant_for(contact),
        commune_code=contact.commune_code,
        channel=contact.channel,
        option_index=index,
        contact_id=contact.id,
        now=now,
    )


def on_inbound_message(
    session: Session, *, channel: str, user_id: str, text: str, now: datetime | None = None
) -> ConsultationAnswer | None:
    """Called by ingest for each new citizen text: a vote when it names an option of an open
    vote in their commune, acknowledged through the outbox. Cheap when no vote is open."""
    text = clean(text)
    if channel not in ("zalo_oa", "zalo_bot") or not text or len(text) > MAX_OPTION:
        return None
    now = now or utcnow()
    if not vote_open(session, now):
        return None
    contact = session.scalar(
        select(Contact).where(Contact.channel == channel, Contact.external_id == user_id)
    )
    if contact is None:
        return None
    answer = answer_from_message(session, contact=contact, text=text, now=now)
    if answer is None:
        return None
    consultation = session.get(Consultation, answer.consultation_id)
    conversation = session.scalar(select(Conversation).where(Conversation.contact_id == contact.id))
    if consultation is not None and conversation is not None and answer.option_index is not None:
        ack = Message(
            conversation_id=conversation.id,
            channel=channel,
            direction=Direction.OUT,
            text=(
                f"Đã ghi nhận lựa chọn “{consultation.options[answer.option_index]}” cho "
                f"“{consultation.title}”. Bạn có thể đổi lựa chọn trước "
                f"{format_local(consultation.closes_at)}."
            ),
            source="system",
            delivery_status=Delivery.QUEUED,
            created_at=now,
        )
        session.add(ack)
        session.flush()
        enqueue(session, message=ack, recipient=contact.external_id)
        ask_phone_once(session, contact, answer, now=now)
    return answer
