"""Helpers for the analysis tests (a module of its own: test modules cannot import conftest)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from danvan.channels.base import EventKind, InboundEvent
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Message
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.testing.zalo import post_oa_event

OA_APP_ID = "4321987654321"  # tests/conftest.py
OA_SECRET = "oa-secret-key-for-tests"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
COMMUNE_WORDS = {2302: "Tôi ở xã Minh Quang", 2269: "Tôi ở xã Thượng Lâm"}


def zalo_text(client: TestClient, *, user_id: str, text: str, at: datetime, msg_id: str) -> None:
    """Post one signed Zalo OA user_send_text event, as Zalo would."""
    post_oa_event(
        client,
        {
            "event_name": "user_send_text",
            "sender": {"id": user_id},
            "message": {"msg_id": msg_id, "text": text},
        },
        app_id=OA_APP_ID,
        secret=OA_SECRET,
        at=at,
    )


def _event(user_id: str, text: str, at: datetime, kind: str = "text") -> InboundEvent:
    message_id = uuid.uuid4().hex
    return InboundEvent(
        channel="zalo_oa",
        kind=EventKind.MESSAGE,
        event_name="user_send_text" if kind == "text" else f"user_send_{kind}",
        dedupe_key=message_id,
        occurred_at=at,
        user_id=user_id,
        display_name="Nguyễn Thị Dân",
        message_id=message_id,
        message_kind=kind,
        text=text,
        attachments=(),
        raw="{}",
    )


def citizen_writes(
    database: Database,
    texts: list[str],
    *,
    commune: int | None = 2302,
    user_id: str | None = None,
    at: datetime | None = None,
) -> list[int]:
    """A citizen's messages arrive through the ingest core; returns their message ids. With a
    commune, the citizen first names it (not returned; it is a message too)."""
    user_id = user_id or f"u-{uuid.uuid4().hex[:10]}"
    at = at or utcnow()
    events = []
    if commune is not None:
        events.append(_event(user_id, COMMUNE_WORDS[commune], at - timedelta(seconds=1)))
    mine = [_event(user_id, t, at + timedelta(milliseconds=i)) for i, t in enumerate(texts)]
    with database.session() as session:
        ingest_events(session, events=[*events, *mine], province_code=8, ask_commune=False)
    with database.session() as session:
        ids = {
            external: mid
            for mid, external in session.execute(
                select(Message.id, Message.external_id).where(
                    Message.external_id.in_([e.message_id for e in mine])
                )
            ).all()
        }
    return [ids[e.message_id] for e in mine]


class Staff:
    """A browser-like client for one persona: its own cookies and CSRF token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def login(self, email: str, password: str) -> None:
        page = self.client.get("/login")
        token = CSRF_FIELD.search(page.text)
        assert token
        response = self.client.post(
            "/login",
            data={"email": email, "password": password, "next": "", "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        found = CSRF_FIELD.search(self.client.get("/inbox").text)
        assert found
        self.csrf = found.group(1)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)
