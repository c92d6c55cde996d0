"""Opening a case: from a citizen's conversation, by staff, from the web form or a partner
system (Open311), with its code, deadlines, route and first notice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.cases import rules as rules
from danvan.cases.events import add_event, notify_citizens
from danvan.cases.models import Case, CaseMessage, CaseUnit
from danvan.cases.routing import route, set_assignee
from danvan.inbox.conversations import access_conversation, check_text
from danvan.inbox.models import Conversation, Direction, Message
from danvan.kernel import geo, taxonomy
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import clean, fold

MAX_TITLE = 200
MAX_DESCRIPTION = 8000
MAX_LOCATION = 300
PRIORITIES = ("low", "normal", "high", "urgent")
SOURCES = ("message", "web", "staff", "open311")


def _search_text(case: Case) -> str:
    return fold(f"{case.code} {case.title} {case.description} {case.location}")


def suggest_category(session: Session, messages: Sequence[Message]) -> str:
    """The classifier's topic of the latest analysed message among `messages`, else "other"."""
    from danvan.opinion.models import MessageAnalysis

    ids = [m.id for m in messages]
    topic = (
        session.scalar(
            select(MessageAnalysis.topic)
            .where(MessageAnalysis.message_id.in_(ids))
            .order_by(MessageAnalysis.received_at.desc())
            .limit(1)
        )
        if ids
        else None
    )
    codes = {t.code for t in taxonomy.topics()}
    return topic if topic in codes else taxonomy.OTHER


def check_category(category: str) -> str:
    codes = {t.code for t in taxonomy.topics()}
    if category not in codes:
        raise Invalid("Lĩnh vực không hợp lệ", code="category")
    return category


def check_commune(actor: Actor | None, commune_code: int | None, *, required: bool) -> None:
    if commune_code is None:
        if required:
            raise Invalid("Cần chọn xã/phường", code="commune")
        return
    if geo.get_commune(commune_code) is None:
        raise Invalid("Mã xã/phường không hợp lệ", code="commune")
    if actor is not None and not actor.sees_commune(commune_code):
        raise Invalid("Bạn chỉ tạo được phản ánh của xã/phường mình phụ trách", code="commune")


def _source_messages(
    session: Session, conversation: Conversation, message_ids: Sequence[int]
) -> list[Message]:
    if message_ids:
        found = list(
            session.scalars(
                select(Message)
                .where(Message.id.in_(message_ids), Message.conversation_id == conversation.id)
                .order_by(Message.created_at, Message.id)
            )
        )
        if len(found) != len(set(message_ids)):
            raise Invalid("Tin nhắn không thuộc cuộc hội thoại này", code="message")
        return found
    # The citizen's messages not yet part of any case (the latest 20).
    taken = select(CaseMessage.message_id)
    recent = list(
        session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation.id,
                Message.direction == Direction.IN,
                Message.id.not_in(taken),
            )
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(20)
        )
    )
    return list(reversed(recent))


def do_create_case(
    session: Session,
    *,
    actor: Actor | None,
    settings: Settings,
    title: str,
    category: str | None,
    commune_code: int | None,
    description: str = "",
    conversation_id: int | None = None,
    message_ids: Sequence[int] = (),
    priority: str = "normal",
    location: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    source: str | None = None,
    received_at: datetime | None = None,
    notify: bool = True,
    via: str | None = None,
) -> Case:
    """A new case with its code, deadlines and route. `actor` None: a partner system
    (Open311, `via` names it) or the web form. Notifies the citizen of the code."""
    if actor is not None:
        actor.require_write()
    title = check_text(title, limit=MAX_TITLE, what="Tiêu đề")
    description = clean(description)
    if len(description) > MAX_DESCRIPTION:
        raise Invalid("Nội dung dài quá {limit} ký tự", code="too_long", limit=MAX_DESCRIPTION)
    location = clean(location)
    if len(location) > MAX_LOCATION:
        raise Invalid("Địa điểm dài quá {limit} ký tự", code="too_long", limit=MAX_LOCATION)
    if category is not None:
        check_category(category)
    if priority not in PRIORITIES:
        raise Invalid("Mức ưu tiên không hợp lệ", code="priority")
    for value, limit in ((latitude, 90.0), (longitude, 180.0)):
        if value is not None and not -limit <= value <= limit:
            raise Invalid("Toạ độ không hợp lệ", code="location")
    conversation: Conversation | None = None
    messages: list[Message] = []
    if conversation_id is not None:
        if actor is None:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                raise NotFound("Không tìm thấy cuộc hội thoại")
        else:
            conversation = access_conversation(
                session, actor=actor, conversation_id=conversation_id, write=True
            )
        messages = _source_messages(session, conversation, message_ids)
        if commune_code is None:
            commune_code = conversation.commune_code
    elif message_ids:
        raise Invalid("Cần cuộc hội thoại của các tin nhắn", code="message")
    check_commune(actor, commune_code, required=actor is not None and not actor.is_admin)
    if category is None:
        category = suggest_category(session, messages)
    if not description:
        description = "\n".join(m.text for m in messages if m.text)[:MAX_DESCRIPTION]
    if received_at is None:
        received_at = messages[0].created_at if messages else utcnow()
    photos = [
        {"type": "image", "url": a.get("url", ""), "message_id": m.id}
        for m in messages
        for a in m.attachments
        if a.get("type") == "image"
    ]
    if latitude is None:
        for m in messages:
            for a in m.attachments:
                if a.get("type") == "location" and a.get("latitude") is not None:
                    latitude, longitude = float(a["latitude"]), float(a["longitude"])
    ack_due, due = rules.due_dates(settings, category=category, received_at=received_at)
    unit_id, assignee_id = route(session, category=category, commune_code=commune_code)
    initial = rules.statuses(settings)[0]
    case = Case(
        code=rules.next_code(session, settings=settings, at=received_at),
        title=title,
        # A title staff typed is theirs to publish; a partner's or a citizen's words are not
        # (public pages show a neutral title until staff write one: tracking.public_title).
        public_title=title if actor is not None else None,
        description=description,
        category=category,
        commune_code=commune_code,
        location=location,
        latitude=latitude,
        longitude=longitude,
        photos=photos,
        unit_id=unit_id,
        priority=priority,
        status=initial.code,
        status_kind=initial.kind,
        source=source or ("message" if conversation else ("staff" if actor else "web")),
        conversation_id=conversation.id if conversation else None,
        created_by_id=actor.user.id if actor else None,
        received_at=received_at,
        ack_due_at=ack_due,
        due_at=due,
    )
    case.search_text = _search_text(case)
    session.add(case)
    session.flush()
    for message in messages:
        session.add(CaseMessage(case_id=case.id, message_id=message.id))
    if unit_id is not None:
        session.add(CaseUnit(case_id=case.id, unit_id=unit_id))
    add_event(
        session,
        case,
        kind="created",
        actor=actor,
        public=True,
        to_status=initial.code,
        detail={"source": case.source, "via": via or (actor.via if actor else "system")},
        at=received_at if received_at < utcnow() else None,
    )
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is not None and assignee.is_active:
            set_assignee(session, settings, actor, case, assignee, routed=True)
    audit.record(
        session,
        actor=actor,
        action="case_create",
        object_type="case",
        object_id=case.id,
        detail={"code": case.code, "conversation_id": case.conversation_id},
        via=via,
    )
    if notify and conversation is not None:
        notify_citizens(
            session,
            case,
            rules.created_notice(settings, code=case.code, due_at=case.due_at),
            settings=settings,
            kind="case_received",
        )
    return case
