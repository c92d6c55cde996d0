"""Helpers for the staff UI tests: sign in through the login form, read the CSRF token off a
page, and make citizens write (`danvan.testing.citizens`)."""

from __future__ import annotations

import re

from danvan.inbox.models import Conversation
from danvan.kernel.db import Database


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
