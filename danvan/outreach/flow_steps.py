"""The steps the Zalo answer flow (`danvan.outreach.flow`) is made of: its `ConversationFlow` row
started or dropped, the checks that the item is open and the citizen in its scope, asking for the
commune, recording a vote or poll answer and confirming it, the one-time request to share a
phone, and every reply, queued through the outbox as a system message."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from danvan.inbox.models import Contact, Conversation, Delivery, Direction, Message
from danvan.inbox.outbox import enqueue
from danvan.kernel import geo
from danvan.kernel.errors import Invalid
from danvan.outreach import codes, consultations, participants, polls
from danvan.outreach.models import (
    Consultation,
    ConsultationAnswer,
    ConversationFlow,
    Poll,
    PollAnswer,
)

FLOW_WINDOW = timedelta(minutes=30)
CANCEL_HINT = "Nhắn “hủy” để thôi."

Item = Consultation | Poll


# --- recording ---------------------------------------------------------------------------


def record_vote(
    session: Session, contact: Contact, item: Consultation, index: int, now: datetime
) -> None:
    """Record the citizen's vote, confirm it, and ask once for their phone."""
    answer = consultations.do_answer(
        session,
        consultation=item,
        participant=participant(contact),
        commune_code=contact.commune_code,
        channel=contact.channel,
        option_index=index,
        contact_id=contact.id,
        now=now,
    )
    reply(
        session,
        contact,
        f"Đã ghi nhận lựa chọn “{item.options[index]}” cho “{item.title}”. Bạn có thể đổi lựa "
        f"chọn trước {consultations.format_local(item.closes_at)}.",
    )
    ask_phone_once(session, contact, answer, now=now)


# The request for the phone (Zalo shows title and subtitle over the "share" button).
PHONE_TITLE = "Chia sẻ số điện thoại để mỗi người chỉ có một phiếu"
PHONE_SUBTITLE = (
    "Phiếu của bạn đã được ghi nhận. Chia sẻ số điện thoại giúp mỗi người dân chỉ được tính "
    "một phiếu, dù bỏ phiếu bằng nhiều tài khoản Zalo hay bằng mã cử tri trên trang web."
)


def ask_phone_once(
    session: Session, contact: Contact, answer: ConsultationAnswer, *, now: datetime
) -> bool:
    """Ask a Zalo OA voter who has not shared a phone to share it, once per vote (answer row:
    one per contact and consultation). Whether the request was queued."""
    if (
        contact.channel != "zalo_oa"  # the Zalo Bot has no request_user_info template
        or consultations.phone_key(contact.phone) is not None
        or answer.phone_asked_at is not None
    ):
        return False
    answer.phone_asked_at = now
    reply(
        session,
        contact,
        f"{PHONE_TITLE}. {PHONE_SUBTITLE}",
        template={
            "template_type": "request_user_info",
            "title": PHONE_TITLE,
            "subtitle": PHONE_SUBTITLE,
        },
    )
    return True


def record_poll(
    session: Session, contact: Contact, poll: Poll, choices: list[int], *, add: bool, now: datetime
) -> None:
    """Record the citizen's poll answer (`add`: on top of their earlier choices) and confirm it."""
    if add:
        earlier = session.scalar(
            select(PollAnswer.choices).where(
                PollAnswer.poll_id == poll.id, PollAnswer.participant == poll_participant(contact)
            )
        )
        choices = sorted(set(choices) | set(earlier or []))
    answer = polls.do_answer(
        session,
        poll=poll,
        participant=poll_participant(contact),
        commune_code=contact.commune_code,
        choices=choices,
        channel=contact.channel,
        contact_id=contact.id,
        now=now,
    )
    picked = ", ".join(poll.options[i] for i in answer.choices)
    text = f"Đã ghi nhận trả lời “{picked}” cho thăm dò “{poll.question}”. Cảm ơn bạn."
    if poll.multiple:
        code = codes.item_code("poll", poll.id)
        text += (
            f" Bấm thêm phương án khác để chọn thêm; muốn chọn lại từ đầu, nhắn ví dụ “{code} 1,3”."
        )
    reply(session, contact, text)


# --- helpers --------------------------------------------------------------------------------


def still_open(session: Session, contact: Contact, item: Item, now: datetime) -> bool:
    """False (and the citizen told, the flow ended) when the item is closed or not yet open."""
    try:
        if isinstance(item, Consultation):
            consultations.check_open(item, now)
        elif not polls.is_open(item, now):
            raise Invalid("Thăm dò đã kết thúc, không nhận thêm trả lời", code="closed")
    except Invalid as refused:
        drop_flow(session, contact)
        reply(session, contact, f"{refused.message}.")
        return False
    return True


def in_scope(contact: Contact, item: Item) -> bool:
    """Whether the citizen's commune is one of the item's."""
    return contact.commune_code is not None and contact.commune_code in (item.commune_codes or [])


# How recent an automatic commune question counts as asked by the same message.
JUST_ASKED = timedelta(minutes=1)


def ask_commune(
    session: Session, contact: Contact, item: Item, *, pending: dict[str, Any], now: datetime
) -> None:
    """Start a flow that waits for the citizen's commune (`pending`: what is recorded then)
    and ask for it."""
    new_flow(session, contact, item, step="commune", pending=pending, now=now)
    asked = contact.commune_asked_at
    if contact.commune_code is None and asked is not None and now - asked < JUST_ASKED:
        # The inbox asked this very message for the commune (DANVAN_ASK_COMMUNE_AUTOMATICALLY):
        # say what the answer is also for, rather than asking the same question twice.
        reply(
            session,
            contact,
            f"Câu trả lời về xã/phường ở trên cũng để ghi nhận ý kiến của bạn cho {what(item)}. "
            f"{CANCEL_HINT}",
        )
        return
    if contact.commune_code is None:
        lead = f"Để ghi nhận câu trả lời của bạn cho {what(item)}"
    else:
        lead = (
            f"{what(item).capitalize()} dành cho người dân {scope_names(item)}; hồ sơ của bạn "
            f"đang ghi {geo.commune_name(contact.commune_code)}. Để ghi nhận câu trả lời"
        )
    reply(
        session,
        contact,
        f"{lead}, bạn vui lòng cho biết bạn đang sinh sống ở xã/phường nào (ví dụ: "
        f"“{example(item)}”). {CANCEL_HINT}",
    )


def new_flow(
    session: Session,
    contact: Contact,
    item: Item,
    *,
    step: str,
    pending: dict[str, Any],
    now: datetime,
) -> ConversationFlow:
    """The citizen's new flow row, replacing any earlier one."""
    drop_flow(session, contact)
    flow = ConversationFlow(
        contact_id=contact.id,
        consultation_id=item.id if isinstance(item, Consultation) else None,
        poll_id=item.id if isinstance(item, Poll) else None,
        step=step,
        pending=pending,
        stored=False,
        expires_at=now + FLOW_WINDOW,
        created_at=now,
    )
    session.add(flow)
    session.flush()
    return flow


def drop_flow(session: Session, contact: Contact) -> None:
    """End the citizen's flow: its row deleted, and forgotten by the session."""
    session.execute(
        delete(ConversationFlow)
        .where(ConversationFlow.contact_id == contact.id)
        .execution_options(synchronize_session=False)
    )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, ConversationFlow) and obj.contact_id == contact.id:
            session.expunge(obj)


def participant(contact: Contact) -> str:
    """A consultation answer's key: the shared phone when there is one (one vote per person)."""
    return participants.participant_for(contact)


def poll_participant(contact: Contact) -> str:
    """A quick poll's key stays the Zalo identity (as `polls.answer_from_message` keys it)."""
    return f"{contact.channel}:{contact.external_id}"


def province(item: Item) -> int:
    """The province of the item's communes (0 when unknown)."""
    commune = geo.get_commune((item.commune_codes or [0])[0])
    return commune.province_code if commune is not None else 0


def scope_names(item: Item) -> str:
    """The item's communes by name: the first five, then how many more."""
    names = [geo.commune_name(c) for c in (item.commune_codes or [])[:5]]
    more = len(item.commune_codes or []) - len(names)
    return ", ".join(names) + (f" và {more} xã khác" if more > 0 else "")


def example(item: Item) -> str:
    """A commune's name to show as an example answer."""
    return geo.commune_name((item.commune_codes or [0])[0]) or "xã Minh Quang"


def what(item: Item) -> str:
    """What a reply calls the item: the poll's question or the consultation's title."""
    if isinstance(item, Poll):
        return f"thăm dò “{item.question}”"
    return f"đợt lấy ý kiến “{item.title}”"


def reply(
    session: Session,
    contact: Contact,
    text: str,
    *,
    buttons: list[dict[str, Any]] | None = None,
    template: dict[str, Any] | None = None,
) -> None:
    """Queue a system message to the citizen in their conversation (none: nothing is sent)."""
    conversation = session.scalar(select(Conversation).where(Conversation.contact_id == contact.id))
    if conversation is None:
        return
    message = Message(
        conversation_id=conversation.id,
        channel=contact.channel,
        direction=Direction.OUT,
        text=text[:2000],
        source="system",
        delivery_status=Delivery.QUEUED,
    )
    session.add(message)
    session.flush()
    enqueue(
        session, message=message, recipient=contact.external_id, buttons=buttons, template=template
    )
