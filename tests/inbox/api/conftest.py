"""API test data, made through the core: citizens write (`ingest_events`), staff answer.

Test folders are not packages, so helpers reach tests as fixtures: `citizens` (write, share a
phone; `citizens.t0` is the first message's time) and `world`, which holds three conversations:
one in commune A (2302, Xã Minh Quang), one in commune B (2269, Xã Thượng Lâm) and one in
triage (no commune), written in that order, a minute apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from danvan.channels.base import EventKind, InboundEvent, SharedInfo
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Conversation
from danvan.kernel.db import Database
from danvan.testing.citizens import citizen_writes as arrives

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
PROVINCE = 8


def citizen_writes(
    database: Database,
    *,
    user_id: str,
    text: str,
    at: datetime,
    msg_id: str | None = None,
    name: str = "",
) -> int:
    """A Zalo OA text from `user_id` (`danvan.testing.citizens`); the conversation's id."""
    return arrives(
        database,
        user_id=user_id,
        text=text,
        at=at,
        msg_id=msg_id or f"msg-{user_id}-{at.timestamp():.0f}",
        name=name,
    )


def citizen_shares(database: Database, *, user_id: str, phone: str, at: datetime) -> None:
    """The citizen answers the OA's info request with their phone (consent recorded)."""
    raw = {
        "event_name": "user_submit_info",
        "timestamp": str(int(at.timestamp() * 1000)),
        "sender": {"id": user_id},
        "recipient": {"id": "oa-1"},
        "info": {"phone": phone},
    }
    event = InboundEvent(
        channel="zalo_oa",
        kind=EventKind.USER_INFO,
        event_name="user_submit_info",
        dedupe_key=f"user_submit_info:{user_id}:{raw['timestamp']}",
        occurred_at=at,
        user_id=user_id,
        shared_info=SharedInfo(phone=phone),
        raw=json.dumps(raw),
    )
    with database.session() as session:
        ingest_events(session, events=[event], province_code=PROVINCE)


@dataclass
class Citizens:
    """`citizen_writes` and `citizen_shares` bound to the test database."""

    database: Database
    t0: datetime = T0

    def writes(
        self, *, user_id: str, text: str, at: datetime, msg_id: str | None = None, name: str = ""
    ) -> int:
        return citizen_writes(
            self.database, user_id=user_id, text=text, at=at, msg_id=msg_id, name=name
        )

    def shares(self, *, user_id: str, phone: str, at: datetime) -> None:
        citizen_shares(self.database, user_id=user_id, phone=phone, at=at)


@pytest.fixture
def citizens(database: Database) -> Citizens:
    return Citizens(database)


@dataclass
class World:
    a: int  # conversation in commune A (Xã Minh Quang)
    b: int  # conversation in commune B (Xã Thượng Lâm)
    triage: int  # conversation with no commune
    contact_a: int
    contact_b: int
    contact_triage: int


def contact_id_of(database: Database, conversation_id: int) -> int:
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        return conversation.contact_id


@pytest.fixture
def world(database: Database) -> World:
    a = citizen_writes(
        database,
        user_id="8461000000000000001",
        text="Tôi ở xã Minh Quang, đường liên thôn bị sạt lở",
        at=T0,
        name="Hoàng Thị Lan",
    )
    citizen_shares(database, user_id="8461000000000000001", phone="0912345678", at=T0)
    b = citizen_writes(
        database,
        user_id="8461000000000000002",
        text="Tôi ở xã Thượng Lâm, xin hỏi lịch tiêm chủng",
        at=T0 + timedelta(minutes=1),
        name="Vàng A Dình",
    )
    triage = citizen_writes(
        database,
        user_id="8461000000000000003",
        text="Đèn đường hỏng mấy hôm nay",
        at=T0 + timedelta(minutes=2),
        name="Người dân",
    )
    return World(
        a=a,
        b=b,
        triage=triage,
        contact_a=contact_id_of(database, a),
        contact_b=contact_id_of(database, b),
        contact_triage=contact_id_of(database, triage),
    )
