"""Citizens writing, for tests, benchmarks and demos: messages arrive through the ingest core
exactly as a platform's webhook delivers them (the signed-webhook way is `testing.zalo`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from danvan.channels.base import Attachment, EventKind, InboundEvent
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Message
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.testing.zalo import interacted

PROVINCE = 8  # Tuyên Quang, the province of the test personas
OA_ID = "oa-1"
# What a citizen says to name their commune (how a conversation leaves triage).
COMMUNE_WORDS = {2302: "Tôi ở xã Minh Quang", 2269: "Tôi ở xã Thượng Lâm"}


def message_event(
    *,
    user_id: str,
    text: str,
    at: datetime,
    channel: str = "zalo_oa",
    name: str | None = "Nguyễn Thị Dân",
    kind: str = "text",
    attachments: tuple[Attachment, ...] = (),
    msg_id: str | None = None,
) -> InboundEvent:
    """One citizen message as a channel's parser makes it, with a Zalo-shaped raw payload."""
    msg_id = msg_id or uuid.uuid4().hex
    event_name = "user_send_text" if kind == "text" else f"user_send_{kind}"
    raw = {
        "event_name": event_name,
        "timestamp": str(int(at.timestamp() * 1000)),
        "sender": {"id": user_id},
        "recipient": {"id": OA_ID},
        "message": {"msg_id": msg_id, "text": text},
    }
    return InboundEvent(
        channel=channel,
        kind=EventKind.MESSAGE,
        event_name=event_name,
        dedupe_key=msg_id,
        occurred_at=at,
        user_id=user_id,
        display_name=name or None,
        message_id=msg_id,
        message_kind=kind,
        text=text,
        attachments=attachments,
        raw=json.dumps(raw, ensure_ascii=False),
    )


def citizen_messages(
    database: Database,
    texts: Sequence[str],
    *,
    user_id: str | None = None,
    name: str | None = "Nguyễn Thị Dân",
    commune: int | None = None,
    channel: str = "zalo_oa",
    kind: str = "text",
    attachments: tuple[Attachment, ...] = (),
    at: datetime | None = None,
    msg_id: str | None = None,
    ask_commune: bool = False,
) -> list[int]:
    """A citizen's messages arrive, a millisecond apart from `at` (default now); returns their
    message ids. With `commune`, the citizen first names it (a message too, not returned).
    `msg_id` names the first message (the platform's id), else ids are random."""
    user_id = user_id or f"u-{uuid.uuid4().hex[:10]}"
    at = at or utcnow()
    events = []
    if commune is not None:
        words = COMMUNE_WORDS[commune]
        events.append(
            message_event(
                user_id=user_id,
                text=words,
                at=at - timedelta(milliseconds=1),
                channel=channel,
                name=name,
            )
        )
    mine = [
        message_event(
            user_id=user_id,
            text=text,
            at=at + timedelta(milliseconds=i),
            channel=channel,
            name=name,
            kind=kind,
            attachments=attachments,
            msg_id=msg_id if i == 0 else None,
        )
        for i, text in enumerate(texts)
    ]
    with database.session() as session:
        ingest_events(
            session, events=[*events, *mine], province_code=PROVINCE, ask_commune=ask_commune
        )
    if channel == "zalo_oa":
        interacted(user_id, int(mine[-1].occurred_at.timestamp() * 1000))
    with database.session() as session:
        ids = dict(
            session.execute(
                select(Message.external_id, Message.id).where(
                    Message.channel == channel,
                    Message.external_id.in_([e.message_id for e in mine]),
                )
            ).all()
        )
    return [ids[e.message_id] for e in mine]


def citizen_writes(
    database: Database,
    *,
    text: str = "Đường liên thôn bị sạt lở",
    user_id: str | None = None,
    name: str | None = "Nguyễn Thị Dân",
    commune: int | None = None,
    channel: str = "zalo_oa",
    kind: str = "text",
    attachments: tuple[Attachment, ...] = (),
    at: datetime | None = None,
    msg_id: str | None = None,
    ask_commune: bool = False,
) -> int:
    """A citizen's message arrives through the ingest core; returns its conversation's id.
    With `commune`, the citizen first names their commune (how a conversation leaves triage)."""
    [message_id] = citizen_messages(
        database,
        [text],
        user_id=user_id,
        name=name,
        commune=commune,
        channel=channel,
        kind=kind,
        attachments=attachments,
        at=at,
        msg_id=msg_id,
        ask_commune=ask_commune,
    )
    with database.session() as session:
        conversation_id = session.scalar(
            select(Message.conversation_id).where(Message.id == message_id)
        )
    assert conversation_id is not None
    return conversation_id
