"""Turning parsed inbound events into contacts, conversations and messages.

Runs inside the webhook's own transaction: the event is committed before the platform gets its
200. Each event is stored raw first under a unique (channel, dedupe_key); a redelivery hits that
constraint and stores nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from danvan.channels.base import EventKind, InboundEvent
from danvan.inbox import ingest_batch, ingest_sql, receipts
from danvan.inbox.conversations import ASK_COMMUNE_TEXT, ASKS_FOR_COMMUNE, queue_commune_question
from danvan.inbox.ingest_sql import event_row, statement
from danvan.inbox.models import Contact, Conversation, Delivery, Direction, Message
from danvan.kernel import areas, geo
from danvan.kernel.errors import CoreError
from danvan.kernel.models import utcnow
from danvan.kernel.text import clean, preview

# A staff member's own Zalo conversation (`danvan.opinion.alerts`): never a citizen's prompt.
STAFF_CONVERSATION = "staff"


@dataclass
class IngestResult:
    stored: int = 0  # new events
    duplicates: int = 0
    messages: list[int] = field(default_factory=list)  # ids of new inbound messages


def ingest_events(
    session: Session,
    *,
    events: list[InboundEvent],
    province_code: int,
    ask_commune: bool = False,
) -> IngestResult:
    """Store and apply `events`. With `ask_commune`, a Zalo citizen whose message names no
    commune is asked for it (once per citizen) through the outbox."""
    return ingest_many(
        session, calls=[events], province_code=province_code, ask_commune=ask_commune
    )[0]


def ingest_many(
    session: Session,
    *,
    calls: list[list[InboundEvent]],
    province_code: int,
    ask_commune: bool = False,
) -> list[IngestResult]:
    """`ingest_events` for several calls in one transaction (a group commit): one result per
    call, the same rows as storing them one call after the other. Consecutive citizens'
    messages are written together (`_fast_run`); other events one by one (`_apply`)."""
    results = [IngestResult() for _ in calls]
    stored = _Stored()
    run: list[tuple[IngestResult, InboundEvent]] = []
    for result, event in ((r, e) for r, call in zip(results, calls, strict=True) for e in call):
        if event.kind == EventKind.MESSAGE and event.user_id:
            run.append((result, event))
            continue
        if run:
            _fast_run(session, run, stored, province_code=province_code, ask=ask_commune)
            run = []
        if not _store_raw(session, event):
            result.duplicates += 1
            continue
        result.stored += 1
        message = _apply(session, event, province_code=province_code, ask_commune=ask_commune)
        if message is not None:
            result.messages.append(message.id)
    if run:
        _fast_run(session, run, stored, province_code=province_code, ask=ask_commune)
    for event, message_id in stored.texts:
        if id(event) not in stored.offered:
            _offer(session, event, message_id)
    return results


@dataclass
class _Stored:
    """What a run of citizens' messages left to do once every message is stored: the texts to
    offer to the areas (with their message id, when known), but those offered already."""

    texts: list[tuple[InboundEvent, int | None]] = field(default_factory=list)
    offered: set[int] = field(default_factory=set)  # id() of events


def _offer(session: Session, event: InboundEvent, message_id: int | None) -> bool:
    """Offer the text to the areas; one they took (a vote "#YK1 2", a staff member's "LIENKET
    123456"…) is an answer, not a citizen's opinion. Whether one took it."""
    taken = _offer_text(session, event)
    if taken:
        ingest_sql.mark_answer(session.connection(), event, message_id)
    return taken


def _fast_run(
    session: Session,
    run: list[tuple[IngestResult, InboundEvent]],
    stored: _Stored,
    *,
    province_code: int,
    ask: bool,
) -> None:
    """Citizens' messages, in Core, a few statements for the whole run; the stored events that
    carry a text (to offer to the areas' `text` hooks) and the commune questions to ask go to
    `stored`."""
    session.flush()  # Core statements do not flush: write out what earlier ORM work left
    connection = session.connection()
    # The raw events: a key seen earlier in the run is a duplicate, like a stored one.
    first: dict[tuple[str, str], tuple[IngestResult, InboundEvent]] = {}
    for result, event in run:
        key = (event.channel, event.dedupe_key[:200])
        if key in first:
            result.duplicates += 1
        else:
            first[key] = (result, event)
    # One statement stores the raw events and (PostgreSQL) reads their senders back.
    inserted, contacts = ingest_batch.store_events(
        connection,
        [{**event_row(e), "user_id": e.user_id} for _r, e in first.values()],
    )
    kept: list[tuple[IngestResult, InboundEvent]] = []
    for key, (result, event) in first.items():
        if key in inserted:
            result.stored += 1
            kept.append((result, event))
        else:
            result.duplicates += 1
    if not ask:  # first messages, a few statements for the batch (else asked one by one)
        ingest_sql.open_conversations(connection, [e for _r, e in kept], contacts)
    # Messages without a platform id, first messages left by `open_conversations` and citizens
    # who may be asked for their commune take the one-message path, with all their messages.
    alone: set[tuple[str, str]] = set()
    batch: list[tuple[ingest_sql.Counts, InboundEvent, Any]] = []
    singles: list[tuple[IngestResult, InboundEvent]] = []
    for result, event in kept:
        key = (event.channel, event.user_id or "")
        row = contacts.get(key)
        if (
            key in alone
            or row is None
            or row["conversation_id"] is None
            or not event.message_id
            or (
                ask
                and row["conversation_commune"] is None
                and row["commune_asked_at"] is None
                and event.channel in ASKS_FOR_COMMUNE
            )
        ):
            alone.add(key)
            singles.append((result, event))
        else:
            batch.append((result, event, row))
    if batch:
        ingest_sql.write_batch(connection, batch, province_code=province_code)
    ids: dict[int, int] = {}
    for result, event in singles:
        message_id = _fast_message(
            session, event, stored, province_code=province_code, ask_commune=ask
        )
        if message_id is not None:
            result.messages.append(message_id)
            ids[id(event)] = message_id
    if session.identity_map:
        # Objects loaded earlier in this session may predate the rows just written.
        session.expire_all()
    stored.texts += [(e, ids.get(id(e))) for _r, e in kept if e.text]


def _offer_text(session: Session, event: InboundEvent) -> bool:
    """Offer a citizen's text to each area with a `text` hook (kernel/areas.py: votes, opt-outs,
    staff linking their Zalo…), in turn, until one consumes it; whether one did. The text is
    already stored as an inbound message. A savepoint keeps one area's refusal from touching
    the rest of the batch; a CoreError is a refusal the area already answered."""
    assert event.user_id is not None
    text = event.text or ""
    for area in _text_hooks():
        if not area.wants_text(session, text):
            continue
        try:
            with session.begin_nested():
                if area.on_text(session, channel=event.channel, user_id=event.user_id, text=text):
                    return True
        except CoreError:
            return True
    return False


@cache
def _text_hooks() -> list[Any]:
    """The areas' `text` hooks (kernel/areas.py), in order, loaded once: every text asks them."""
    return [hook for _name, hook in areas.hooked("text")]


def _store_raw(session: Session, event: InboundEvent) -> bool:
    """Insert the raw event; False when this channel already has its dedupe key (including a
    concurrent delivery of the same event that won the race)."""
    connection = session.connection()
    inserted = connection.execute(statement(connection, "event"), event_row(event)).scalar()
    return inserted is not None


def _fast_message(
    session: Session,
    event: InboundEvent,
    stored: _Stored,
    *,
    province_code: int,
    ask_commune: bool,
) -> int | None:
    """`_apply` for a MESSAGE event, same outcome, in Core: the id of the new message or None."""
    assert event.user_id is not None
    connection = session.connection()
    contact = _contact_row(connection, event)
    contact_id: int = contact["id"]
    updates: dict[str, Any] = {}
    if event.occurred_at > contact["last_interaction_at"]:
        updates["last_interaction_at"] = event.occurred_at
    if event.app_user_id and not contact["app_user_id"]:
        updates["app_user_id"] = event.app_user_id
    if event.display_name and not contact["display_name"]:
        updates["display_name"] = clean(event.display_name)[:200]
    last_interaction: datetime = updates.get("last_interaction_at", contact["last_interaction_at"])

    conversation_id: int | None = contact["conversation_id"]
    text = clean(event.text)
    if conversation_id is None:
        # A first message: whether it is known decides whether a conversation is opened.
        if _known_message(session, event):
            _update_contact(connection, contact_id, updates)
            return None
        conversation_id = _create_conversation(
            connection,
            contact_id=contact_id,
            channel=event.channel,
            commune_code=contact["commune_code"],
            last_message_at=last_interaction,
        )
    message_id: int | None = connection.execute(
        statement(connection, "message"),
        ingest_sql.message_row(event, conversation_id=conversation_id),
    ).scalar()
    if message_id is None:
        # The same platform message under another event key (e.g. a Bot message id seen under
        # two event names): the raw event is kept, the message is not stored twice.
        _update_contact(connection, contact_id, updates)
        return None

    commune_code: int | None = contact["commune_code"]
    if commune_code is None and text:
        # "tôi ở xã Minh Quang": the citizen declared their commune.
        found = geo.find_commune_in_text(text, province_code)
        if found:
            commune_code = updates["commune_code"] = found.code
            updates["commune_source"] = "citizen"
    _update_contact(connection, contact_id, updates)

    params: dict[str, Any] = {
        "p_id": conversation_id,
        "p_at": event.occurred_at,
        "p_preview": preview(text or f"[{event.message_kind}]", 200),
        "p_n": 1,
        "p_first": event.occurred_at,
    }
    if commune_code is not None:
        params["p_commune"] = commune_code
    conversation_commune = connection.execute(
        statement(connection, "touch" if commune_code is None else "touch_commune"), params
    ).scalar()
    if (
        ask_commune
        and conversation_commune is None
        and contact["commune_asked_at"] is None
        and event.channel in ASKS_FOR_COMMUNE
    ):
        # The areas have the text first: a vote or a staff member's link code is answered as
        # such, never with a citizen's "which commune?".
        stored.offered.add(id(event))
        if session.identity_map:
            session.expire_all()  # the areas read the rows just written in Core
        if not (event.text and _offer(session, event, message_id)):
            _ask_for_commune_once(
                session,
                contact_id=contact_id,
                conversation_id=conversation_id,
                channel=event.channel,
                recipient=event.user_id,
            )
    return message_id


def _contact_row(connection: Connection, event: InboundEvent) -> Any:
    """The contact (created when missing) joined with its conversation id, if any."""
    query = statement(connection, "find_contact")
    key = {"p_channel": event.channel, "p_external_id": event.user_id}
    row = connection.execute(query, key).mappings().first()
    if row is not None:
        return row
    # Two first messages of one citizen may arrive at once: the unique (channel, external_id)
    # lets one insert win; the other finds its row on the second read.
    connection.execute(
        statement(connection, "contact"),
        {
            "channel": event.channel,
            "external_id": event.user_id,
            "first_interaction_at": event.occurred_at,
            "last_interaction_at": event.occurred_at,
            "is_follower": event.channel == "zalo_oa",
        },
    )
    return connection.execute(query, key).mappings().one()


def _update_contact(connection: Connection, contact_id: int, values: dict[str, Any]) -> None:
    if values:
        connection.execute(statement(connection, "update_contact"), {"p_id": contact_id, **values})


def _create_conversation(
    connection: Connection,
    *,
    contact_id: int,
    channel: str,
    commune_code: int | None,
    last_message_at: datetime,
) -> int:
    created = connection.execute(
        statement(connection, "conversation"),
        {
            "contact_id": contact_id,
            "channel": channel,
            "commune_code": commune_code,
            "last_message_at": last_message_at,
        },
    ).scalar()
    if created is None:
        # A concurrent first message opened it.
        created = connection.execute(
            statement(connection, "find_conversation"), {"p_contact": contact_id}
        ).scalar_one()
    return int(created)


def _ask_for_commune_once(
    session: Session, *, contact_id: int, conversation_id: int, channel: str, recipient: str
) -> None:
    from danvan.inbox.outbox import enqueue

    connection = session.connection()
    status = connection.execute(
        select(Conversation.status).where(Conversation.id == conversation_id)
    ).scalar()
    if status == STAFF_CONVERSATION:
        return  # a staff member's own Zalo (danvan.opinion.alerts), not a citizen
    claimed = connection.execute(
        statement(connection, "ask_contact"), {"p_id": contact_id, "p_at": utcnow()}
    ).scalar()
    if claimed is None:
        return  # a concurrent message asked already
    prompt = Message(
        conversation_id=conversation_id,
        channel=channel,
        direction=Direction.OUT,
        kind="text",
        text=ASK_COMMUNE_TEXT,
        source="system",
        delivery_status=Delivery.QUEUED,
    )
    session.add(prompt)
    session.flush()
    enqueue(session, message=prompt, recipient=recipient)


def _apply(
    session: Session, event: InboundEvent, *, province_code: int, ask_commune: bool = False
) -> Message | None:
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
        for _name, area in areas.hooked("text"):
            hook = getattr(area, "on_shared_info", None)
            if hook is not None:
                hook(session, contact)
    elif event.kind == EventKind.MESSAGE:
        contact.last_interaction_at = max(contact.last_interaction_at, event.occurred_at)
        return _inbound_message(
            session, contact, event, province_code=province_code, ask_commune=ask_commune
        )
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
            found = geo.find_commune_in_text(info.address, province_code)
            if found:
                contact.commune_code = found.code
                contact.commune_source = "citizen"


def _inbound_message(
    session: Session,
    contact: Contact,
    event: InboundEvent,
    *,
    province_code: int,
    ask_commune: bool = False,
) -> Message | None:
    if _known_message(session, event):
        # The same platform message under another event key (e.g. a Bot message id seen under
        # two event names): the raw event is kept, the message is not stored twice.
        return None
    text = clean(event.text)
    conversation = conversation_for(session, contact)
    if contact.commune_code is None and text:
        # "tôi ở xã Minh Quang": the citizen declared their commune.
        found = geo.find_commune_in_text(text, province_code)
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
    if conversation.awaiting_since is None:
        conversation.awaiting_since = message.created_at
    if conversation.status != STAFF_CONVERSATION:
        conversation.status = "open"
    _touch(conversation, message)
    session.flush()
    if (
        ask_commune
        and conversation.commune_code is None
        and contact.commune_asked_at is None
        and event.channel in ASKS_FOR_COMMUNE
    ):
        queue_commune_question(session, conversation=conversation, author_id=None)
    return message


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
    # Staff answered from Zalo's own OA inbox: the citizen no longer waits.
    conversation.awaiting_since = None
    conversation.urgent_at = None
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
    if event.channel == receipts.ZNS:
        receipts.mark_template_delivered(session, event)
        return
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
