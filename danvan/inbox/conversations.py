"""Conversations as staff see and answer them: listing, access, reply, assign, labels, notes."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.channels.web.inbound import photo_attachment
from danvan.inbox import communes
from danvan.inbox.media import Photo, check_photo, store_photo
from danvan.inbox.models import (
    Contact,
    Conversation,
    ConversationLabel,
    Delivery,
    Direction,
    Label,
    Message,
    Note,
)
from danvan.inbox.outbox import enqueue
from danvan.kernel import geo
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.text import clean, fold, preview

MAX_REPLY_CHARS = 8000  # longer replies are refused; platform limits are met by splitting
MAX_NOTE_CHARS = 4000
CHANNELS = ("zalo_oa", "zalo_bot", "web")


@dataclass(frozen=True)
class ConversationFilter:
    commune_code: int | None = None
    channel: str | None = None
    unread: bool = False
    assigned_to_me: bool = False
    triage: bool = False  # conversations with no commune yet
    status: str | None = None  # open | closed
    label_id: int | None = None
    q: str | None = None  # name, phone or last message, with or without diacritics
    before: datetime | None = None  # keyset pagination on last_message_at
    # With `before`: the id of the last row shown, so rows sharing that time are not skipped.
    before_id: int | None = None
    limit: int = 50
    # "recent": newest first, paged with `before`. "priority" (the staff inbox): urgent
    # conversations still waiting for an answer first, then the others waiting (longest wait
    # first), then the rest newest first; paged with `offset`.
    order: str = "recent"
    offset: int = 0


def _visible(actor: Actor) -> Select[Conversation]:
    return select(Conversation).where(actor.commune_filter(Conversation.commune_code))


def list_conversations(
    session: Session, *, actor: Actor, filters: ConversationFilter
) -> list[Conversation]:
    stmt = _visible(actor)
    if filters.commune_code is not None:
        stmt = stmt.where(Conversation.commune_code == filters.commune_code)
    if filters.channel:
        stmt = stmt.where(Conversation.channel == filters.channel)
    if filters.unread:
        stmt = stmt.where(Conversation.unread_count > 0)
    if filters.assigned_to_me:
        stmt = stmt.where(Conversation.assignee_id == actor.user.id)
    if filters.triage:
        stmt = stmt.where(Conversation.commune_code.is_(None))
    if filters.status:
        stmt = stmt.where(Conversation.status == filters.status)
    else:
        # Opened only to carry broadcasts (danvan.outreach.broadcasts): out of the inbox until the
        # citizen writes (ingest sets "open"). "staff": a staff member's own Zalo account
        # (danvan.opinion.alerts), never a citizen's concern.
        stmt = stmt.where(Conversation.status.not_in(("outreach", "staff")))
    if filters.label_id is not None:
        stmt = stmt.where(
            Conversation.id.in_(
                select(ConversationLabel.conversation_id).where(
                    ConversationLabel.label_id == filters.label_id
                )
            )
        )
    if filters.before is not None and filters.before_id is not None:
        stmt = stmt.where(
            or_(
                Conversation.last_message_at < filters.before,
                and_(
                    Conversation.last_message_at == filters.before,
                    Conversation.id < filters.before_id,
                ),
            )
        )
    elif filters.before is not None:
        stmt = stmt.where(Conversation.last_message_at < filters.before)
    if filters.order == "priority":
        stmt = stmt.order_by(*priority_order())
    else:
        stmt = stmt.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
    limit = max(1, min(filters.limit, 200))
    if not filters.q:
        return list(session.scalars(stmt.offset(max(0, filters.offset)).limit(limit)))
    # Diacritic-insensitive search is done in Python over the scoped candidates: SQLite has no
    # unaccent, and a commune's inbox is small enough. (A folded column can come later.)
    needle = fold(filters.q)
    found: list[Conversation] = []
    for conversation in session.scalars(stmt.join(Contact).limit(5000)):
        contact = conversation.contact
        haystack = " ".join(
            [contact.display_name, contact.phone or "", conversation.last_message_preview]
        )
        if needle in fold(haystack):
            found.append(conversation)
            if len(found) >= limit:
                break
    return found


def waiting() -> Any:
    """A conversation whose citizen waits for an answer (closed ones wait for none)."""
    return and_(Conversation.awaiting_since.is_not(None), Conversation.status != "closed")


def priority_order() -> tuple[Any, ...]:
    """Urgent and unanswered first, then by waiting time (longest first), then newest first.
    A message the classifiers have not labelled yet is simply waiting: never held back."""
    tier = case((and_(waiting(), Conversation.urgent_at.is_not(None)), 0), (waiting(), 1), else_=2)
    waited = case((waiting(), Conversation.awaiting_since), else_=None)
    return (
        tier,
        waited,
        Conversation.last_message_at.desc(),
        Conversation.id.desc(),
    )


def citizen_last_words(session: Session, ids: list[int]) -> dict[int, tuple[str, datetime]]:
    """Per conversation: the preview of the citizen's own last message and its time (the list
    shows their words, never the product's automatic notices or staff replies)."""
    if not ids:
        return {}
    last = (
        select(func.max(Message.id))
        .where(Message.conversation_id.in_(ids), Message.direction == Direction.IN.value)
        .group_by(Message.conversation_id)
    )
    rows = session.execute(
        select(Message.conversation_id, Message.text, Message.kind, Message.created_at).where(
            Message.id.in_(last)
        )
    ).all()
    return {int(c): (preview(text or f"[{kind}]", 200), at) for c, text, kind, at in rows}


def count_unread(session: Session, *, actor: Actor) -> int:
    """Conversations with unread messages (also the badge of the staff menu's inbox link)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(
                actor.commune_filter(Conversation.commune_code),
                Conversation.unread_count > 0,
                Conversation.status != "staff",  # a staff member's own Zalo (staff_zalo)
            )
        )
        or 0
    )


def access_conversation(
    session: Session, *, actor: Actor, conversation_id: int, write: bool = False
) -> Conversation:
    """The conversation if the actor may see it (and, with `write`, act on it)."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or not actor.sees_commune(conversation.commune_code):
        raise NotFound("Không tìm thấy cuộc hội thoại")
    if write:
        actor.require_write()
    return conversation


def list_messages(
    session: Session, *, conversation: Conversation, after_id: int | None = None, limit: int = 500
) -> list[Message]:
    stmt = select(Message).where(Message.conversation_id == conversation.id)
    if after_id is not None:
        stmt = stmt.where(Message.id > after_id)
    stmt = stmt.order_by(Message.created_at, Message.id).limit(limit)
    return list(session.scalars(stmt))


def list_notes(session: Session, *, conversation: Conversation) -> list[Note]:
    return list(
        session.scalars(
            select(Note).where(Note.conversation_id == conversation.id).order_by(Note.id)
        )
    )


def mark_read(session: Session, *, conversation: Conversation) -> None:
    conversation.unread_count = 0


def check_text(text: str, *, limit: int, what: str) -> str:
    text = clean(text)
    if not text:
        raise Invalid("{what} không được để trống", code="empty", what=what)
    if len(text) > limit:
        raise Invalid("{what} dài quá {limit} ký tự", code="too_long", what=what, limit=limit)
    return text


# Channels whose sender can deliver a photo stored here: the OA uploads the file, the web form
# shows it on the citizen's page. The Zalo Bot API's sendPhoto needs a public URL, which we lack.
PHOTO_CHANNELS = frozenset({"zalo_oa", "web"})
MAX_REPLY_PHOTO_BYTES = 10 * 1024 * 1024  # what staff may upload; it is re-encoded smaller
MAX_SENT_PHOTO_BYTES = 1024 * 1024  # Zalo's upload limit: every stored reply photo fits it
# Sides tried, largest first, until the JPEG fits MAX_SENT_PHOTO_BYTES.
_PHOTO_SIDES = (2560, 2048, 1600, 1280, 1024, 800, 640)


def check_reply_photo(data: bytes, *, channel: str) -> Photo:
    """A photo staff attach to a reply: verified and stripped of metadata by `check_photo`,
    then, unless it is already a JPEG or PNG of at most 1 MB, re-encoded as a smaller JPEG
    (Zalo's upload takes only JPEG/PNG up to 1 MB). Raises `Invalid`."""
    if channel not in PHOTO_CHANNELS:
        raise Invalid("Kênh này chưa gửi được ảnh, vui lòng chỉ gửi chữ", code="photo_channel")
    photo = check_photo(data, max_bytes=MAX_REPLY_PHOTO_BYTES)
    if photo.extension in ("jpg", "png") and len(photo.data) <= MAX_SENT_PHOTO_BYTES:
        return photo
    return _shrink_photo(photo)


def _shrink_photo(photo: Photo) -> Photo:
    with Image.open(io.BytesIO(photo.data)) as image:
        image.load()
        if image.mode in ("RGBA", "LA", "PA", "P") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
        else:
            flat = image.convert("L" if image.mode in ("L", "1") else "RGB")
    for side in _PHOTO_SIDES:
        scaled = flat.copy()
        scaled.thumbnail((side, side))
        for quality in (85, 70):
            out = io.BytesIO()
            scaled.save(out, format="JPEG", quality=quality, optimize=True)
            if out.tell() <= MAX_SENT_PHOTO_BYTES:
                return Photo(data=out.getvalue(), extension="jpg", content_type="image/jpeg")
    raise Invalid("Ảnh quá lớn, không thu nhỏ được dưới 1 MB", code="photo_too_big")


def do_reply(
    session: Session,
    *,
    actor: Actor,
    conversation: Conversation,
    text: str,
    photo: bytes | None = None,
) -> Message:
    """Write the reply and its outbox row in the caller's transaction; the worker sends it.

    With `photo` (raw uploaded bytes) the text may be empty; the photo is checked, re-encoded to
    at most 1 MB and stored in the media store, in the same transaction."""
    actor.require_write()
    if photo is not None and not clean(text):
        text = ""
    else:
        text = check_text(text, limit=MAX_REPLY_CHARS, what="Nội dung trả lời")
    attachments: list[dict[str, Any]] = []
    name = ""
    if photo is not None:
        checked = check_reply_photo(photo, channel=conversation.channel)
        name = store_photo(session, checked)
        attachments.append(photo_attachment(name=name, size=len(checked.data)).as_dict())
    message = Message(
        conversation_id=conversation.id,
        channel=conversation.channel,
        direction=Direction.OUT,
        kind="image" if attachments else "text",
        text=text,
        attachments=attachments,
        source="staff",
        author_id=actor.user.id,
        delivery_status=Delivery.QUEUED,
    )
    session.add(message)
    session.flush()
    enqueue(session, message=message, recipient=conversation.contact.external_id)
    conversation.last_message_at = message.created_at
    conversation.last_message_preview = preview(text or f"[{message.kind}]", 200)
    conversation.unread_count = 0
    conversation.awaiting_since = None  # answered: the citizen no longer waits
    conversation.urgent_at = None
    audit.record(
        session,
        actor=actor,
        action="reply",
        object_type="conversation",
        object_id=conversation.id,
        detail={"message_id": message.id, **({"photo": name} if photo is not None else {})},
    )
    return message


# Channels on which we may write first to ask for a commune (the web form asks on its own page).
ASKS_FOR_COMMUNE = frozenset({"zalo_oa", "zalo_bot"})
ASK_COMMUNE_TEXT = (
    "Cảm ơn bạn đã gửi ý kiến. Để chuyển đến đúng cán bộ phụ trách, bạn vui lòng cho biết "
    'bạn đang sinh sống ở xã/phường nào (ví dụ: "xã Minh Quang").'
)


def queue_commune_question(
    session: Session, *, conversation: Conversation, author_id: int | None
) -> Message:
    """Ask the citizen for their commune, once per contact (their answer is matched on arrival)."""
    contact = conversation.contact
    contact.commune_asked_at = utcnow()
    prompt = Message(
        conversation_id=conversation.id,
        channel=conversation.channel,
        direction=Direction.OUT,
        kind="text",
        text=ASK_COMMUNE_TEXT,
        source="staff" if author_id else "system",
        author_id=author_id,
        delivery_status=Delivery.QUEUED,
    )
    session.add(prompt)
    session.flush()
    enqueue(session, message=prompt, recipient=contact.external_id)
    return prompt


def check_ask_commune(conversation: Conversation) -> None:
    if conversation.commune_code is not None:
        raise Invalid("Cuộc hội thoại đã có xã/phường", code="has_commune")
    if conversation.channel not in ASKS_FOR_COMMUNE:
        raise Invalid("Kênh này không nhắn trước cho người dân được", code="channel")
    if conversation.contact.commune_asked_at is not None:
        raise Invalid("Đã hỏi người dân về xã/phường (chỉ hỏi một lần)", code="already_asked")


def do_ask_commune(session: Session, *, actor: Actor, conversation: Conversation) -> Message:
    """Staff ask a triage citizen which commune they live in (once per contact)."""
    actor.require_write()
    check_ask_commune(conversation)
    prompt = queue_commune_question(session, conversation=conversation, author_id=actor.user.id)
    audit.record(
        session,
        actor=actor,
        action="ask_commune",
        object_type="conversation",
        object_id=conversation.id,
        detail={"message_id": prompt.id},
    )
    return prompt


def do_assign(
    session: Session, *, actor: Actor, conversation: Conversation, assignee_id: int | None
) -> None:
    actor.require_write()
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.is_active:
            raise Invalid("Không tìm thấy cán bộ được giao")
        if (
            not Actor(assignee).sees_commune(conversation.commune_code)
            or not Actor(assignee).can_write
        ):
            raise Invalid("Cán bộ này không phụ trách xã/phường của cuộc hội thoại")
    conversation.assignee_id = assignee_id
    audit.record(
        session,
        actor=actor,
        action="assign",
        object_type="conversation",
        object_id=conversation.id,
        detail={"assignee_id": assignee_id},
    )


def assignable_users(session: Session, *, conversation: Conversation) -> list[User]:
    users = session.scalars(
        select(User).where(User.is_active.is_(True)).order_by(User.full_name, User.email)
    )
    return [
        u for u in users if Actor(u).can_write and Actor(u).sees_commune(conversation.commune_code)
    ]


def do_set_commune(
    session: Session, *, actor: Actor, conversation: Conversation, commune_code: int | None
) -> None:
    """Staff set (or correct) the commune; the conversation leaves triage."""
    actor.require_write()
    if commune_code is not None and geo.get_commune(commune_code) is None:
        raise Invalid("Mã xã/phường không hợp lệ")
    if not actor.sees_commune(commune_code):
        raise Invalid("Bạn chỉ có thể chuyển cuộc hội thoại tới xã/phường mình phụ trách")
    old = conversation.commune_code
    contact = conversation.contact
    communes.move_citizen(
        session,
        contact=contact,
        conversation=conversation,
        commune_code=commune_code,
        source="staff",
    )
    if conversation.assignee is not None and not Actor(conversation.assignee).sees_commune(
        commune_code
    ):
        conversation.assignee_id = None
    audit.record(
        session,
        actor=actor,
        action="set_commune",
        object_type="conversation",
        object_id=conversation.id,
        detail={"from": old, "to": commune_code},
    )


def do_set_status(
    session: Session, *, actor: Actor, conversation: Conversation, status: str
) -> None:
    actor.require_write()
    if status not in ("open", "closed"):
        raise Invalid("Trạng thái không hợp lệ")
    conversation.status = status
    audit.record(
        session,
        actor=actor,
        action=f"conversation_{status}",
        object_type="conversation",
        object_id=conversation.id,
    )


def do_add_note(session: Session, *, actor: Actor, conversation: Conversation, text: str) -> Note:
    actor.require_write()
    note = Note(
        conversation_id=conversation.id,
        author_id=actor.user.id,
        text=check_text(text, limit=MAX_NOTE_CHARS, what="Ghi chú"),
    )
    session.add(note)
    session.flush()
    audit.record(
        session, actor=actor, action="note", object_type="conversation", object_id=conversation.id
    )
    return note


def list_labels(session: Session) -> list[Label]:
    return list(session.scalars(select(Label).order_by(Label.name)))


def get_or_create_label(session: Session, *, actor: Actor, name: str) -> Label:
    name = check_text(name, limit=64, what="Tên nhãn")
    existing = session.scalars(select(Label)).all()
    for label in existing:
        if fold(label.name) == fold(name):
            return label
    actor.require_write()
    label = Label(name=name)
    session.add(label)
    session.flush()
    return label


def do_set_labels(
    session: Session, *, actor: Actor, conversation: Conversation, label_ids: list[int]
) -> None:
    actor.require_write()
    labels = (
        list(session.scalars(select(Label).where(Label.id.in_(label_ids)))) if label_ids else []
    )
    if len(labels) != len(set(label_ids)):
        raise Invalid("Nhãn không tồn tại")
    conversation.labels = sorted(labels, key=lambda label: label.name)
    audit.record(
        session,
        actor=actor,
        action="label",
        object_type="conversation",
        object_id=conversation.id,
        detail={"labels": [label.name for label in labels]},
    )


def search_filter_q(q: str | None) -> str | None:
    q = clean(q or "")
    return q or None


def list_recent_messages(
    session: Session, *, conversation: Conversation, limit: int = 300
) -> list[Message]:
    """The newest `limit` messages, oldest first (a long thread shows its end, not its start)."""
    newest = (
        select(Message.id)
        .where(Message.conversation_id == conversation.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    stmt = select(Message).where(Message.id.in_(newest)).order_by(Message.created_at, Message.id)
    return list(session.scalars(stmt))


def access_message(
    session: Session, *, actor: Actor, conversation: Conversation, message_id: int
) -> Message:
    """A message of a conversation the actor already accessed; 404 if it belongs elsewhere."""
    message = session.get(Message, message_id)
    if message is None or message.conversation_id != conversation.id:
        raise NotFound("Không tìm thấy tin nhắn")
    return message
