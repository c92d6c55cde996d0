"""Personal data rights (Decree 13/2023/NĐ-CP): what we hold about a citizen, and erasing it.

`access_contact` fetches a contact within the actor's scope (the commune of the contact's
conversation, or of the contact when it never wrote). `export_contact` gathers everything we hold
about the citizen, and `do_delete_contact` erases it. Both write an audit entry.

What an erasure keeps, and why:
- the contact, conversation, message and note *rows*, emptied of every personal datum, so that
  anonymised counts (messages per channel, commune, direction and day; response times) stay right;
- the contact's commune and the message times, which are those counts' dimensions;
- the conversation's status, labels and assignee, which describe staff work, not the citizen;
- the audit log, which must show who erased what and why (Decree 13 asks for that record); its
  entries hold ids and staff actions, never citizen text.
What it removes: name, phone, address, platform ids, consent time, message text and attachments,
the text of staff notes (they speak about the citizen), the raw webhook events of that citizen,
every reply still waiting in the outbox (cancelled, never sent), and the photos of their
conversation (deleted from the media store in the same transaction; a copy still in the legacy
`DANVAN_MEDIA_DIR` folder is removed by the caller with `remove_media` once the transaction has
committed, so that a rolled-back erasure never loses a file).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.channels.web.inbound import MEDIA_PREFIX
from danvan.channels.zalo_zns.outbound import zns_phone
from danvan.inbox.conversations import check_text
from danvan.inbox.models import (
    CallTask,
    Contact,
    Conversation,
    Delivery,
    InboundEvent,
    Message,
    Note,
    OutboxItem,
    OutboxStatus,
)
from danvan.kernel import areas, geo, media_store
from danvan.kernel.errors import CoreError, NotFound
from danvan.kernel.models import utcnow

EXPORT_FORMAT = "danvan.contact-export/1"
ERASED_NAME = "(đã xoá)"
ERASED_ID_PREFIX = "erased:"
MAX_REASON_CHARS = 500
CANCELLED_ERROR = "Đã huỷ: dữ liệu của người dân đã được xoá theo yêu cầu"
# Names the web form gives stored photos (`danvan.inbox.media.save_photo`).
_MEDIA_NAME = re.compile(r"[0-9a-f]{32}\.(?:jpg|png|webp)")

# Said in every export: internal notes are not part of it.
EXCLUDED_NOTES = {
    "vi": "Ghi chú nội bộ của cán bộ không thuộc bản trích xuất này.",
    "en": "Staff-internal notes are not part of this export.",
}
RAW_EVENTS_NOTE = {
    "vi": "Bản gốc các sự kiện nhận từ nền tảng (cùng nội dung với các tin nhắn ở trên).",
    "en": "Raw copies of the events received from the platform (same content as the messages).",
}
KEPT_AFTER_DELETE = (
    "Số lượng tin nhắn, thời điểm, kênh và xã/phường (thống kê ẩn danh) / "
    "message counts, times, channel and commune (anonymised statistics)",
    "Trạng thái, nhãn và cán bộ phụ trách của cuộc hội thoại / "
    "the conversation's status, labels and assignee",
    "Nhật ký kiểm tra, kể cả lần xoá này / the audit log, this erasure included",
)


class AlreadyErased(CoreError):
    status = 409

    def __init__(self) -> None:
        super().__init__("Dữ liệu của người dân này đã được xoá", code="already_erased")


def is_erased(contact: Contact) -> bool:
    return contact.external_id.startswith(ERASED_ID_PREFIX)


def conversation_of(session: Session, contact: Contact) -> Conversation | None:
    return session.scalar(select(Conversation).where(Conversation.contact_id == contact.id))


def access_contact(session: Session, *, actor: Actor, contact_id: int) -> Contact:
    """The contact if the actor sees its conversation's commune (404 otherwise)."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("Không tìm thấy người dân")
    conversation = conversation_of(session, contact)
    commune = conversation.commune_code if conversation is not None else contact.commune_code
    if not actor.sees_commune(commune):
        raise NotFound("Không tìm thấy người dân")
    return contact


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_contact(session: Session, *, actor: Actor, contact: Contact) -> dict[str, Any]:
    """Everything held about the citizen, JSON-ready: contact data and messages both ways.

    Staff-internal notes are left out, and the export says so. Handing personal data out is an
    act, not a read, so read-only accounts may not export. Audited as "export".
    """
    actor.require_write()
    conversation = conversation_of(session, contact)
    messages: list[Message] = []
    notes = 0
    if conversation is not None:
        messages = list(
            session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation.id)
                .order_by(Message.created_at, Message.id)
            )
        )
        notes = (
            session.scalar(
                select(func.count())
                .select_from(Note)
                .where(Note.conversation_id == conversation.id)
            )
            or 0
        )
    raw_events = len(_events_of(session, contact, messages))
    audit.record(
        session,
        actor=actor,
        action="export",
        object_type="contact",
        object_id=contact.id,
        detail={"messages": len(messages)},
    )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "contact": {
            "id": contact.id,
            "channel": contact.channel,
            "external_id": contact.external_id,
            "app_user_id": contact.app_user_id,
            "display_name": contact.display_name,
            "phone": contact.phone,
            "address": contact.address,
            "commune_code": contact.commune_code,
            "commune_name": geo.commune_name(contact.commune_code) or None,
            "commune_source": contact.commune_source,
            "is_follower": contact.is_follower,
            "consent_at": _iso(contact.consent_at),
            "first_interaction_at": _iso(contact.first_interaction_at),
            "last_interaction_at": _iso(contact.last_interaction_at),
            "created_at": _iso(contact.created_at),
            "erased": is_erased(contact),
        },
        "conversation": None
        if conversation is None
        else {
            "id": conversation.id,
            "commune_code": conversation.commune_code,
            "commune_name": geo.commune_name(conversation.commune_code) or None,
            "status": conversation.status,
            "created_at": _iso(conversation.created_at),
        },
        # Staff are named by role only ("staff", "oa_inbox", "system"): their identities are
        # their own personal data, not the citizen's.
        "messages": [
            {
                "id": m.id,
                "direction": m.direction,
                "kind": m.kind,
                "text": m.text,
                "attachments": m.attachments,
                "source": m.source,
                "created_at": _iso(m.created_at),
                "delivery_status": m.delivery_status,
                "sent_at": _iso(m.sent_at),
                "delivered_at": _iso(m.delivered_at),
                "seen_at": _iso(m.seen_at),
            }
            for m in messages
        ],
        # Notices no channel could carry, that staff were to tell the citizen by phone.
        "call_tasks": [
            {
                "message_id": t.message_id,
                "kind": t.kind,
                "reason": t.reason,
                "status": t.status,
                "created_at": _iso(t.created_at),
                "done_at": _iso(t.done_at),
                "outcome": t.outcome,
            }
            for t in (
                session.scalars(
                    select(CallTask)
                    .where(CallTask.conversation_id == conversation.id)
                    .order_by(CallTask.id)
                )
                if conversation is not None
                else []
            )
        ],
        "excluded": [{"what": "internal_notes", "count": notes, "explanation": EXCLUDED_NOTES}],
        "also_held": [{"what": "raw_events", "count": raw_events, "explanation": RAW_EVENTS_NOTE}],
        # Cases, consultation answers, poll votes…: {area: what that area holds}.
        "areas": {
            area.name: module.export_contact_data(session, contact)
            for area, module in areas.hooked("personal_data")
        },
    }


@dataclass(frozen=True)
class Deletion:
    """What an erasure did, for the caller and the audit entry."""

    contact_id: int
    messages_erased: int
    notes_erased: int
    events_deleted: int
    outbox_cancelled: int
    # Photos of the erased messages (gone from the media store; legacy files: `remove_media`).
    media_files: tuple[str, ...] = ()
    # What each area (cases, outreach) erased: {area: {what: count}}.
    areas: dict[str, dict[str, int]] = field(default_factory=dict)
    kept: tuple[str, ...] = KEPT_AFTER_DELETE


def do_delete_contact(session: Session, *, actor: Actor, contact: Contact, reason: str) -> Deletion:
    """Erase the citizen's personal data (admin only; a reason is required). See the module
    docstring for what is kept. Audited as "contact_delete", with counts and never the data."""
    actor.require_admin()
    reason = check_text(reason, limit=MAX_REASON_CHARS, what="Lý do xoá")
    if is_erased(contact):
        raise AlreadyErased
    conversation = conversation_of(session, contact)
    messages: list[Message] = []
    notes: list[Note] = []
    if conversation is not None:
        messages = list(
            session.scalars(select(Message).where(Message.conversation_id == conversation.id))
        )
        notes = list(session.scalars(select(Note).where(Note.conversation_id == conversation.id)))

    # Raw events first: they are found by the ids about to be erased.
    events = _events_of(session, contact, messages)
    for event in events:
        session.delete(event)

    cancelled = _cancel_outbox(session, messages)
    media = sorted({name for m in messages for name in _media_names(m.attachments)})
    media_store.remove(session, media)
    for message in messages:
        message.text = ""
        message.attachments = []
        message.external_id = None
    for note in notes:
        note.text = ""
    if conversation is not None:
        # No one left to call; what the calls said goes with the rest.
        for task in session.scalars(
            select(CallTask).where(CallTask.conversation_id == conversation.id)
        ):
            session.delete(task)
        conversation.last_message_preview = ""
        conversation.unread_count = 0
        conversation.status = "closed"

    channel, commune = contact.channel, contact.commune_code
    contact.external_id = f"{ERASED_ID_PREFIX}{contact.id}"
    contact.app_user_id = None
    contact.display_name = ERASED_NAME
    contact.phone = None
    contact.address = None
    contact.consent_at = None
    contact.is_follower = False
    erased_in_areas = {
        area.name: module.erase_contact_data(session, contact)
        for area, module in areas.hooked("personal_data")
    }
    session.flush()

    deletion = Deletion(
        contact_id=contact.id,
        messages_erased=len(messages),
        notes_erased=len(notes),
        events_deleted=len(events),
        outbox_cancelled=cancelled,
        media_files=tuple(media),
        areas=erased_in_areas,
    )
    audit.record(
        session,
        actor=actor,
        action="contact_delete",
        object_type="contact",
        object_id=contact.id,
        detail={
            "reason": reason,
            "channel": channel,
            "commune_code": commune,
            "messages": deletion.messages_erased,
            "notes": deletion.notes_erased,
            "events": deletion.events_deleted,
            "outbox_cancelled": cancelled,
            "media_files": len(media),
            "areas": erased_in_areas,
        },
    )
    return deletion


def remove_media(media_dir: str | Path, names: Iterable[str]) -> int:
    """Delete legacy photo files (`DANVAN_MEDIA_DIR`, kept after `danvan media import`) by name,
    run after the erasure committed; the count removed. Only names the web form creates are
    touched, so nothing outside `media_dir` can be."""
    folder = Path(media_dir)
    removed = 0
    for name in names:
        if _MEDIA_NAME.fullmatch(name) is None:
            continue
        path = folder / name
        if path.is_file():
            path.unlink()
            removed += 1
    return removed


def _media_names(attachments: list[dict[str, Any]]) -> Iterator[str]:
    for attachment in attachments:
        url = attachment.get("url")
        if isinstance(url, str) and url.startswith(MEDIA_PREFIX):
            name = url[len(MEDIA_PREFIX) :]
            if _MEDIA_NAME.fullmatch(name):
                yield name


def _cancel_outbox(session: Session, messages: list[Message]) -> int:
    """Blank the recipient of every outbox row and cancel those not yet picked up."""
    ids = [m.id for m in messages]
    if not ids:
        return 0
    by_id = {m.id: m for m in messages}
    cancelled = 0
    for chunk in _chunks(ids, 500):
        for item in session.scalars(select(OutboxItem).where(OutboxItem.message_id.in_(chunk))):
            item.recipient = ""
            item.platform_message_ids = []
            if item.status == OutboxStatus.PENDING:
                # A row a worker holds (SENDING) is left to it: the send is already under way.
                item.status = OutboxStatus.FAILED
                item.last_error = CANCELLED_ERROR
                message = by_id[item.message_id]
                message.delivery_status = Delivery.FAILED
                message.delivery_error = CANCELLED_ERROR
                cancelled += 1
    return cancelled


def _chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _events_of(session: Session, contact: Contact, messages: list[Message]) -> list[InboundEvent]:
    """The raw inbound events about this citizen: those deduplicated by one of their messages'
    platform ids, and those whose payload names the citizen's id anywhere (follow, unfollow,
    shared info, receipts, echoes). Candidates are narrowed in SQL, then confirmed exactly."""
    if is_erased(contact):
        return []
    message_ids = {m.external_id for m in messages if m.external_id}
    # Template-message receipts (channel zalo_zns) name the citizen by phone, as ZNS writes it.
    person_ids = {
        i for i in (contact.external_id, contact.app_user_id, zns_phone(contact.phone)) if i
    }
    conditions = [InboundEvent.raw.contains(i, autoescape=True) for i in sorted(person_ids)]
    conditions += [InboundEvent.dedupe_key.in_(c) for c in _chunks(sorted(message_ids), 500)]
    candidates = session.scalars(
        select(InboundEvent).where(
            InboundEvent.channel.in_(sorted({contact.channel, "zalo_zns"})), or_(*conditions)
        )
    )
    return [
        event
        for event in candidates
        if event.dedupe_key in message_ids or _mentions(event.raw, person_ids)
    ]


def _mentions(raw: str, ids: set[str]) -> bool:
    """Whether a raw payload carries one of `ids` as a whole value (not inside a longer id)."""
    try:
        payload = json.loads(raw)
    except ValueError:
        return any(re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", raw) for i in ids)
    return any(str(value) in ids for value in _scalars(payload))


def _scalars(payload: object) -> Iterable[object]:
    if isinstance(payload, dict):
        for value in payload.values():
            yield from _scalars(value)
    elif isinstance(payload, list):
        for value in payload:
            yield from _scalars(value)
    elif payload is not None and not isinstance(payload, bool):
        yield payload
