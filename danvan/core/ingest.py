"""Turning parsed inbound events into contacts, conversations and messages.

Runs inside the webhook's own transaction: the event is committed before the platform gets its
200. Each event is stored raw first under a unique (channel, dedupe_key); a redelivery hits that
constraint and stores nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from danvan import areas
from danvan.channels.base import EventKind, InboundEvent
from danvan.models import (
    Contact,
    Conversation,
    Delivery,
    Direction,
    Message,
    utcnow,
)
from danvan.models import (
    InboundEvent as InboundEventRow,
)
from danvan.text import clean, preview

# Channels on which we may write first to ask for a commune (the web form asks on its own page).
ASKS_FOR_COMMUNE = {"zalo_oa", "zalo_bot"}
ASK_COMMUNE_TEXT = (
    "Cảm ơn bạn đã gửi ý kiến. Để chuyển đến đúng cán bộ phụ trách, bạn vui lòng cho biết "
    'bạn đang sinh sống ở xã/phường nào (ví dụ: "xã Minh Quang").'
)


@dataclass
class IngestResult:
    stored: int = 0  # new events
    duplicates: int = 0
    messages: list[int] = field(default_factory=list)  # ids of new inbound messages


def ingest_events(
    session: Session, *, events: list[InboundEvent], province_code: int
) -> IngestResult:
    result = IngestResult()
    for event in events:
        if not _store_raw(session, event):
            result.duplicates += 1
            continue
        result.stored += 1
        message = _apply(session, event, province_code=province_code)
        if message is not None:
            result.messages.append(message.id)
    return result


def _store_raw(session: Session, event: InboundEvent) -> bool:
    """Insert the raw event; False when this channel already has its dedupe key."""
    exists = session.scalar(
        select(InboundEventRow.id).where(
            InboundEventRow.channel == event.channel,
            InboundEventRow.dedupe_key == event.dedupe_key,
        )
    )
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                InboundEventRow(
                    channel=event.channel,
                    event_name=event.event_name[:64],
                    dedupe_key=event.dedupe_key[:200],
                    raw=event.raw,
                    outcome="stored" if event.kind == EventKind.UNKNOWN else "processed",
                    received_at=utcnow(),
                )
            )
    except IntegrityError:
        # A concurrent delivery of the same event won the race.
        return False
    return True


def _apply(session: Session, event: InboundEvent, *, province_code: int) -> Message | None:
    if event.kind == EventKind.UNKNOWN or not event.user_id:
        return None
    if event.kind in (EventKind.DELIVERED, EventKind.SEEN):
        _mark_delivery(session, event)
        return None
    contact = _contact(session, event)
    if event.kind == EventKind.FOLLOW:
        contact.is_follower = True
        contact.last_interaction_at = max(contact.last_interaction_at, event.occurred_at)
    elif event.kind == EventKind.UNFOLLOW:
        contact.is_follower = False
    elif event.kind == EventKind.USER_INFO:
        _apply_shared_info(contact, event, province_code=province_code)
        _sync_commune(session, contact)
    elif event.kind == EventKind.MESSAGE:
        contact.last_interaction_at = max(contact.last_interaction_at, event.occurred_at)
        return _inbound_message(session, contact, event, province_code=province_code)
    elif event.kind == EventKind.ECHO:
        return _echo(session, contact, event)
    return None


def _contact(session: Session, event: InboundEvent) -> Contact:
    assert event.user_id is not None
    contact = session.scalar(
        select(Contact).where(
            Contact.channel == event.channel, Contact.external_id == event.user_id
        )
    )
    if contact is None:
        contact = Contact(
            channel=event.channel,
            external_id=event.user_id,
            first_interaction_at=event.occurred_at,
            last_interaction_at=event.occurred_at,
            is_follower=event.channel == "zalo_oa" and event.kind != EventKind.UNFOLLOW,
        )
        session.add(contact)
    if event.app_user_id and not contact.app_user_id:
        contact.app_user_id = event.app_user_id
    if event.display_name and not contact.display_name:
        contact.display_name = clean(event.display_name)[:200]
    session.flush()
    return contact


def conversation_for(session: Session, contact: Contact) -> Conversation:
    conversation = session.scalar(select(Conversation).where(Conversation.contact_id == contact.id))
    if conversation is None:
        conversation = Conversation(
            contact_id=contact.id,
            channel=contact.channel,
            commune_code=contact.commune_code,
            last_message_at=contact.last_interaction_at,
        )
        session.add(conversation)
        session.flush()
    return conversation


def _sync_commune(session: Session, contact: Contact) -> None:
    conversation = session.scalar(select(Conversation).where(Conversation.contact_id == contact.id))
    if conversation is not None and conversation.commune_code is None:
        conversation.commune_code = contact.commune_code


def _apply_shared_info(contact: Contact, event: InboundEvent, *, province_code: int) -> None:
    info = event.shared_info
    if info is None:
        return
    # The citizen chose to share these with the OA: that choice is the consent we record.
    contact.consent_at = event.occurred_at
    if info.name:
        contact.display_name = clean(info.name)[:200]
    if info.phone:
        contact.phone = clean(info.phone)[:32]
    if info.address:
        contact.address = clean(info.address)[:500]
        if contact.commune_code is None:
            found = areas.find_commune_in_text(info.address, province_code)
            if found:
                contact.commune_code = found.code
                contact.commune_source = "citizen"


def _inbound_message(
    session: Session, contact: Contact, event: InboundEvent, *, province_code: int
) -> Message | None:
    if _known_message(session, event):
        # The same platform message under another event key (e.g. a Bot message id seen under
        # two event names): the raw event is kept, the message is not stored twice.
        return None
    text = clean(event.text)
    conversation = conversation_for(session, contact)
    if contact.commune_code is None and text:
        # "tôi ở xã Minh Quang": the citizen declared their commune.
        found = areas.find_commune_in_text(text, province_code)
        if found:
            contact.commune_code = found.code
            contact.commune_source = "citizen"
    if conversation.commune_code is None and contact.commune_code is not None:
        conversation.commune_code = contact.commune_code
    message = Message(
        conversation_id=conversation.id,
        channel=event.channel,
        direction=Direction.IN,
        kind=event.message_kind,
        text=text,
        attachments=[a.as_dict() for a in event.attachments],
        external_id=event.message_id,
        source="citizen",
        created_at=event.occurred_at,
    )
    session.add(message)
    conversation.unread_count += 1
    conversation.status = "open"
    _touch(conversation, message)
    session.flush()
    if (
        conversation.commune_code is None
        and contact.commune_asked_at is None
        and event.channel in ASKS_FOR_COMMUNE
    ):
        _ask_for_commune(session, conversation, contact)
    return message


def _ask_for_commune(session: Session, conversation: Conversation, contact: Contact) -> None:
    from danvan.core.outbox import enqueue

    contact.commune_asked_at = utcnow()
    prompt = Message(
        conversation_id=conversation.id,
        channel=conversation.channel,
        direction=Direction.OUT,
        kind="text",
        text=ASK_COMMUNE_TEXT,
        source="system",
        delivery_status=Delivery.QUEUED,
    )
    session.add(prompt)
    session.flush()
    enqueue(session, message=prompt, recipient=contact.external_id)


def _echo(session: Session, contact: Contact, event: InboundEvent) -> Message | None:
    """A message the OA sent from Zalo's own inbox: recorded, never answered."""
    if _known_message(session, event):
        return None  # the echo of a reply danvan itself sent
    conversation = conversation_for(session, contact)
    message = Message(
        conversation_id=conversation.id,
        channel=event.channel,
        direction=Direction.OUT,
        kind=event.message_kind,
        text=clean(event.text),
        attachments=[a.as_dict() for a in event.attachments],
        external_id=event.message_id,
        source="oa_inbox",
        delivery_status=Delivery.SENT,
        sent_at=event.occurred_at,
        created_at=event.occurred_at,
    )
    session.add(message)
    _touch(conversation, message)
    session.flush()
    return message


def _known_message(session: Session, event: InboundEvent) -> bool:
    """Whether this channel already has a message with the event's platform message id."""
    if not event.message_id:
        return False
    found = session.scalar(
        select(Message.id).where(
            Message.channel == event.channel, Message.external_id == event.message_id
        )
    )
    return found is not None


def _touch(conversation: Conversation, message: Message) -> None:
    if message.created_at >= conversation.last_message_at:
        conversation.last_message_at = message.created_at
        conversation.last_message_preview = preview(message.text or f"[{message.kind}]", 200)


def _mark_delivery(session: Session, event: InboundEvent) -> None:
    if not event.message_ids:
        return
    ids = list(event.message_ids)
    base = update(Message).where(
        Message.channel == event.channel,
        Message.external_id.in_(ids),
        Message.direction == Direction.OUT,
    )
    if event.kind == EventKind.SEEN:
        session.execute(
            base.values(delivery_status=Delivery.SEEN, seen_at=event.occurred_at),
            execution_options={"synchronize_session": False},
        )
    else:
        session.execute(
            base.where(Message.delivery_status != Delivery.SEEN).values(
                delivery_status=Delivery.DELIVERED, delivered_at=event.occurred_at
            ),
            execution_options={"synchronize_session": False},
        )
