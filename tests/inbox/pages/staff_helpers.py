"""Helpers for the staff UI tests: sign in through the login form, read the CSRF token off a
page, and make citizens write through the ingest core (as a webhook would)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from danvan.channels.base import Attachment, EventKind, InboundEvent
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Conversation, Message
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


class Staff:
    """A browser-like client for one persona: its own cookie jar and CSRF token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def login(self, email: str, password: str, *, next: str = "") -> Any:
        page = self.client.get("/login")
        token = csrf_of(page.text)
        response = self.client.post(
            "/login",
            data={"email": email, "password": password, "next": next, "csrf_token": token},
            follow_redirects=False,
        )
        if response.status_code == 303:
            self.csrf = csrf_of(self.client.get("/inbox").text)
        return response

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


COMMUNE_WORDS = {2302: "Tôi ở xã Minh Quang", 2269: "Tôi ở xã Thượng Lâm"}


def citizen_writes(
    database: Database,
    *,
    user_id: str | None = None,
    text: str = "Đường liên thôn bị sạt lở",
    name: str = "Nguyễn Thị Dân",
    commune: int | None = None,
    channel: str = "zalo_oa",
    kind: str = "text",
    attachments: tuple[Attachment, ...] = (),
    at: datetime | None = None,
    ask_commune: bool = False,
) -> int:
    """A citizen's message arrives through the ingest core; returns the conversation id.

    With `commune`, the citizen first names their commune (how a conversation leaves triage)."""
    user_id = user_id or f"u-{uuid.uuid4().hex[:10]}"
    at = at or utcnow()
    events = []
    if commune is not None:
        events.append(
            _event(channel, user_id, name, COMMUNE_WORDS[commune], at - timedelta(milliseconds=1))
        )
    events.append(_event(channel, user_id, name, text, at, kind=kind, attachments=attachments))
    with database.session() as session:
        ingest_events(session, events=events, province_code=8, ask_commune=ask_commune)
    with database.session() as session:
        conversation_id = session.scalar(
            select(Message.conversation_id).where(Message.external_id == events[-1].message_id)
        )
        assert conversation_id is not None
        return conversation_id


def _event(
    channel: str,
    user_id: str,
    name: str,
    text: str,
    at: datetime,
    *,
    kind: str = "text",
    attachments: tuple[Attachment, ...] = (),
) -> InboundEvent:
    message_id = uuid.uuid4().hex
    return InboundEvent(
        channel=channel,
        kind=EventKind.MESSAGE,
        event_name="user_send_text" if kind == "text" else f"user_send_{kind}",
        dedupe_key=message_id,
        occurred_at=at,
        user_id=user_id,
        display_name=name,
        message_id=message_id,
        message_kind=kind,
        text=text,
        attachments=attachments,
        raw="{}",
    )


def conversation(database: Database, conversation_id: int) -> Conversation:
    with database.session() as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        return found


CONVERSATION_ROW = re.compile(r'data-conversation="(\d+)"')


def listed(html: str) -> list[int]:
    """The conversation ids in an inbox list, top to bottom."""
    return [int(found) for found in CONVERSATION_ROW.findall(html)]


def poll_url(html: str) -> str:
    """The URL a page's conversation poller asks (`hx-get` of #conv-poller)."""
    found = re.search(r'id="conv-poller" hx-get="([^"]+)"', html)
    assert found, "no poller on the page"
    return found.group(1).replace("&amp;", "&")
