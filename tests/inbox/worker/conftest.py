"""Fixtures for the outbox worker: a citizen's conversation and a staff reply made through the
core, stored Zalo OA tokens, and the stand-in's state."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest
from outbox_helpers import ACCESS, CITIZEN, REFRESH
from sqlalchemy import select

from danvan.channels.base import EventKind, InboundEvent
from danvan.channels.tokens import store_tokens
from danvan.devtools.zalo_standin.state import StandinState, state_of
from danvan.inbox.conversations import do_reply
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Contact, Conversation
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer


@pytest.fixture
def zalo(standin: ThreadedServer) -> StandinState:
    """What the stand-in received and will answer."""
    return state_of(standin)


@pytest.fixture
def oa_tokens(database: Database) -> tuple[str, str]:
    """A stored OA token pair valid for 25 h (as `danvan zalo set-tokens` stores it)."""
    with database.session() as session:
        store_tokens(
            session,
            platform="zalo_oa",
            access_token=ACCESS,
            refresh_token=REFRESH,
            expires_at=utcnow() + timedelta(hours=25),
        )
    return ACCESS, REFRESH


MakeReply = Callable[..., int]


@pytest.fixture
def make_reply(database: Database, settings: Settings, personas: object) -> MakeReply:
    """Ingest a citizen's message (declaring Xã Minh Quang, so no commune prompt is queued),
    then reply as officer_a through `do_reply` (with `photo`, an image reply). Returns the
    reply's message id."""
    counter = itertools.count(1)

    def make(
        text: str = "Xã đã nhận phản ánh và cử người kiểm tra.",
        *,
        channel: str = "zalo_oa",
        user_id: str = CITIZEN,
        photo: bytes | None = None,
    ) -> int:
        n = next(counter)
        event = InboundEvent(
            channel=channel,
            kind=EventKind.MESSAGE,
            event_name="user_send_text",
            dedupe_key=f"{channel}-in-{user_id}-{n}",
            occurred_at=utcnow(),
            user_id=user_id,
            message_id=f"in-{user_id}-{n}",
            text="Tôi ở xã Minh Quang, đường thôn bị sạt lở",
            raw="{}",
        )
        with database.session() as session:
            ingest_events(session, events=[event], province_code=8)
            conversation = session.scalars(
                select(Conversation)
                .join(Contact)
                .where(Contact.channel == channel, Contact.external_id == user_id)
            ).one()
            officer = personas.officer_a  # type: ignore[attr-defined]
            message = do_reply(
                session,
                actor=officer.actor,
                conversation=conversation,
                text=text,
                photo=photo,
            )
            return message.id

    return make
