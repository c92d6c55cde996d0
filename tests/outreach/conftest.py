"""Fixtures for the outreach area: Zalo followers made by ingesting follow events (as the
webhook does), stored OA tokens, the stand-in's state, and a drain loop for the worker."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.channels.base import EventKind, InboundEvent
from danvan.channels.tokens import store_tokens
from danvan.devtools.zalo_standin.state import StandinState, state_of
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Contact, OutboxItem, OutboxStatus
from danvan.inbox.worker import run
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.outreach import slips
from danvan.outreach.models import Broadcast, BroadcastStatus, Consultation
from danvan.testing import citizens
from danvan.testing.servers import ThreadedServer

COMMUNE_A = 2302  # Xã Minh Quang
COMMUNE_B = 2269  # Xã Thượng Lâm


@pytest.fixture
def zalo(standin: ThreadedServer) -> StandinState:
    return state_of(standin)


@pytest.fixture
def oa_tokens(database: Database) -> None:
    with database.session() as session:
        store_tokens(
            session,
            platform="zalo_oa",
            access_token="access-outreach",
            refresh_token="refresh-outreach",
            expires_at=utcnow() + timedelta(hours=25),
        )


def _event(kind: EventKind, name: str, user_id: str, at: datetime, **extra: object) -> InboundEvent:
    key = f"{name}:{user_id}:{at.timestamp()}"
    raw = {"event_name": name, "follower": {"id": user_id}, "timestamp": str(int(at.timestamp()))}
    return InboundEvent(
        channel="zalo_oa",
        kind=kind,
        event_name=name,
        dedupe_key=key,
        occurred_at=at,
        user_id=user_id,
        raw=json.dumps(raw),
        **extra,  # type: ignore[arg-type]
    )


Follow = Callable[..., int]


@pytest.fixture
def follow(database: Database) -> Follow:
    """`follow(user_id, commune=..., ago=timedelta)`: a Zalo follow event `ago` before now
    (the citizen's last interaction), then the commune set as staff would; the contact id."""

    def make(
        user_id: str, *, commune: int | None = None, ago: timedelta = timedelta(hours=1)
    ) -> int:
        at = utcnow() - ago
        with database.session() as session:
            ingest_events(
                session, events=[_event(EventKind.FOLLOW, "follow", user_id, at)], province_code=8
            )
            contact = session.scalar(select(Contact).where(Contact.external_id == user_id))
            assert contact is not None
            contact.commune_code = commune
            return contact.id

    return make


@pytest.fixture
def unfollow(database: Database) -> Callable[[str], None]:
    def make(user_id: str) -> None:
        with database.session() as session:
            ingest_events(
                session,
                events=[_event(EventKind.UNFOLLOW, "unfollow", user_id, utcnow())],
                province_code=8,
            )

    return make


def outbox_left(database: Database) -> int:
    with database.session() as session:
        return (
            session.scalar(
                select(func.count()).where(
                    OutboxItem.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))
                )
            )
            or 0
        )


def broadcasts_busy(database: Database) -> int:
    with database.session() as session:
        return (
            session.scalar(
                select(func.count()).where(
                    Broadcast.status.in_((BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING))
                )
            )
            or 0
        )


Drain = Callable[..., int]


@pytest.fixture
def drain(database: Database, settings: Settings) -> Drain:
    """`danvan worker --once`, repeated until the outbox is drained and no broadcast is
    sending; the number of runs."""

    def go(limit: int = 200) -> int:
        for runs in range(1, limit + 1):
            run(database, settings, once=True)
            if not outbox_left(database) and not broadcasts_busy(database):
                return runs
            time.sleep(0.05)
        raise AssertionError("the outbox did not drain")

    return go


def issue_slips(
    database: Database, settings: Settings, actor: Actor, commune: int
) -> dict[str, str]:
    """Issue voting slips to a commune's listed residents, as staff do from the consultation's
    page: each resident's list reference → slip code."""
    with database.session() as session:
        issued = slips.do_issue(session, actor=actor, settings=settings, commune_code=commune)
        return {resident.code: code for resident, code in issued}


def answer_with_slip(
    session: Session,
    settings: Settings,
    consultation: Consultation,
    *,
    commune: int,
    code: str,
    option: int | None,
    opinion: str | None = None,
    client: str = "203.0.113.9",
    confirm: bool = True,
) -> slips.WebAnswer:
    """A resident answers on the web page with their slip code (changes confirmed)."""
    return slips.answer_with_code(
        session,
        settings=settings,
        consultation=consultation,
        commune_code=commune,
        code=code,
        option_index=option,
        opinion=opinion,
        client=client,
        confirm_change=confirm,
    )


def citizen_writes(database: Database, user_id: str, text: str) -> None:
    """A Zalo OA text message from `user_id` (`danvan.testing.citizens`)."""
    citizens.citizen_writes(database, user_id=user_id, text=text, name=None)
