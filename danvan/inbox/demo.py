"""Demo data of the inbox: labels and conversations across channels, answered by the demo staff,
and the demo's Zalo OA tokens."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.accounts.demo import STAFF
from danvan.accounts.models import User
from danvan.channels.base import Attachment, EventKind, InboundEvent
from danvan.channels.tokens import store_tokens
from danvan.inbox.conversations import do_assign, do_reply, do_set_labels, get_or_create_label
from danvan.inbox.demo_data import CONVERSATIONS
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Contact, Conversation, Delivery, Message, OutboxItem, OutboxStatus
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import preview

LABELS = ["Khẩn cấp", "Hạ tầng", "Chính sách", "Môi trường"]
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def seed(session: Session, *, settings: Settings, users: dict[str, User]) -> None:
    """Add the inbox's demo data; `users` maps the demo staff e-mails to their accounts."""
    admin = Actor(users[STAFF[0][0]], via="cli")
    labels = {name: get_or_create_label(session, actor=admin, name=name) for name in LABELS}
    now = utcnow()
    static = settings.base_url.rstrip("/") + "/static/demo/"
    for index, (channel, commune, name, turns) in enumerate(CONVERSATIONS):
        external_id = _external_id(channel, index)
        first_at = now - timedelta(hours=max(t[2] for t in turns))
        session.add(
            Contact(
                channel=channel,
                external_id=external_id,
                display_name=name,
                commune_code=commune,
                commune_source="citizen" if commune else None,
                is_follower=channel == "zalo_oa",
                first_interaction_at=first_at,
                last_interaction_at=first_at,
                # Triage contacts were already asked for their commune.
                commune_asked_at=first_at if commune is None else None,
            )
        )
        session.flush()
        officer = _officer_for(users, commune)
        for turn, (who, text, hours_ago, extra) in enumerate(turns):
            at = now - timedelta(hours=hours_ago)
            if who == "in":
                ingest_events(
                    session,
                    events=[
                        _inbound(channel, external_id, f"{index}-{turn}", text, at, extra, static)
                    ],
                    province_code=settings.province,
                )
            else:
                conversation = _conversation(session, channel, external_id)
                reply = do_reply(session, actor=officer, conversation=conversation, text=text)
                mark_sent(session, reply, at)
        conversation = _conversation(session, channel, external_id)
        last = min(turns, key=lambda t: t[2])
        conversation.last_message_at = now - timedelta(hours=last[2])
        conversation.last_message_preview = preview(last[1] or "[ảnh]", 200)
        if last[0] == "out":
            conversation.unread_count = 0
        if index % 3 == 0 and commune is not None:
            do_assign(session, actor=admin, conversation=conversation, assignee_id=officer.user.id)
        text = " ".join(t[1] for t in turns).lower()
        chosen = [
            labels[label]
            for label, words in (
                ("Khẩn cấp", ("sạt lở", "lũ", "dịch", "gấp")),
                ("Hạ tầng", ("đường", "cầu", "điện", "nước", "cống")),
                ("Chính sách", ("hộ nghèo", "trợ cấp", "chính sách", "hỗ trợ")),
                ("Môi trường", ("rác", "cát", "bụi")),
            )
            if any(w in text for w in words)
        ]
        if chosen:
            do_set_labels(
                session, actor=admin, conversation=conversation, label_ids=[c.id for c in chosen]
            )
    store_tokens(
        session,
        platform="zalo_oa",
        access_token="demo-access-token",  # noqa: S106
        refresh_token="demo-refresh-token",  # noqa: S106
        expires_at=now + timedelta(hours=25),
    )


def _external_id(channel: str, index: int) -> str:
    if channel == "web":
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
        return f"GY-{code[:4]}-{code[4:8]}-{code[8:]}"
    if channel == "zalo_bot":
        return f"demo-chat-{index:04d}"
    return str(7_000_000_000_000_000_000 + index * 7919)


def _inbound(
    channel: str,
    user_id: str,
    key: str,
    text: str,
    at: datetime,
    extra: dict[str, Any],
    static: str,
) -> InboundEvent:
    kind, attachments = "text", []
    if "image" in extra:
        kind = "image"
        attachments.append(Attachment(type="image", url=static + str(extra["image"])))
    if "sticker" in extra:
        kind = "sticker"
        attachments.append(Attachment(type="sticker", url=static + str(extra["sticker"])))
    if "location" in extra:
        lat, lng = extra["location"]
        kind = "location"
        attachments.append(Attachment(type="location", latitude=lat, longitude=lng))
    if "file" in extra:
        path, name, size = extra["file"]
        kind = "file"
        attachments.append(Attachment(type="file", url=static + path, name=name, size=size))
    return InboundEvent(
        channel=channel,
        kind=EventKind.MESSAGE,
        event_name="demo",
        dedupe_key=f"demo-{key}",
        occurred_at=at,
        user_id=user_id,
        message_id=f"demo-{key}",
        message_kind=kind,
        text=text,
        attachments=tuple(attachments),
        raw="{}",
    )


def _conversation(session: Session, channel: str, external_id: str) -> Conversation:
    return session.scalars(
        select(Conversation)
        .join(Contact)
        .where(Contact.channel == channel, Contact.external_id == external_id)
    ).one()


def _officer_for(users: dict[str, User], commune: int | None) -> Actor:
    for user in users.values():
        if user.role == "officer" and commune in user.commune_codes:
            return Actor(user, via="cli")
    return Actor(users[STAFF[0][0]], via="cli")


def mark_sent(session: Session, message: Message, at: datetime) -> None:
    """Seeded replies are history: already delivered, so the demo worker does not send them."""
    message.created_at = at
    message.sent_at = at
    message.delivery_status = Delivery.SEEN
    message.external_id = f"demo-out-{message.id}"
    item = session.scalars(select(OutboxItem).where(OutboxItem.message_id == message.id)).one()
    item.status = OutboxStatus.SENT
    item.sent_at = at
    item.platform_message_ids = [message.external_id]
