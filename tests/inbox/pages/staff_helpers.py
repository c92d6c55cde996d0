"""Helpers for the staff UI tests: sign in through the login form, read the CSRF token off a
page, and make citizens write (`danvan.testing.citizens`)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from danvan.inbox.models import Conversation
from danvan.kernel.db import Database

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
