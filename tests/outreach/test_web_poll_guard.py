"""The public poll page: one answer per browser cookie, and a second guard that stores no
identity (a keyed hash of poll, network and browser) against clearing cookies again and again."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.outreach import polls
from danvan.outreach.models import Poll, PollAnswer

from .conftest import COMMUNE_A


def test_clearing_cookies_stops_at_the_per_poll_limit_of_one_network_and_browser(
    client: TestClient, database: Database, personas, settings: Settings
) -> None:
    with database.session() as session:
        poll_id = polls.do_create_poll(
            session,
            actor=personas.admin.actor,
            settings=settings,
            question="Bạn muốn họp thôn vào buổi nào?",
            options=["Sáng", "Chiều"],
            multiple=False,
            commune_codes=[COMMUNE_A],
        ).id
    statuses = []
    for _ in range(polls.WEB_DEVICE_LIMIT + 1):
        client.cookies.clear()
        page = client.get(f"/tham-do/{poll_id}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        answer = client.post(
            f"/tham-do/{poll_id}",
            data={"csrf_token": token, "commune": str(COMMUNE_A), "choice": ["0"]},
        )
        statuses.append(answer.status_code)
    assert statuses == [200] * polls.WEB_DEVICE_LIMIT + [422]
    assert "Đã có nhiều câu trả lời từ trình duyệt và mạng này" in answer.text
    # The browser that got in may still change its answer.
    answer = client.post(
        f"/tham-do/{poll_id}",
        data={"csrf_token": token, "commune": str(COMMUNE_A), "choice": ["1"]},
    )
    with database.session() as session:
        result = polls.results(session, poll=session.get(Poll, poll_id))
        devices = set(session.scalars(select(PollAnswer.device)))
    assert result["respondents"] == polls.WEB_DEVICE_LIMIT
    [device] = devices
    assert device is not None
    assert "testclient" not in device
    assert "testserver" not in device


def test_the_device_key_depends_on_poll_network_and_browser_not_on_the_host() -> None:
    key = polls.web_device(secret="s", poll_id=1, ip="203.0.113.7", user_agent="Zalo")
    assert key == polls.web_device(secret="s", poll_id=1, ip="203.0.113.200", user_agent="Zalo")
    assert key != polls.web_device(secret="s", poll_id=2, ip="203.0.113.7", user_agent="Zalo")
    assert key != polls.web_device(secret="s", poll_id=1, ip="203.0.114.7", user_agent="Zalo")
    assert key != polls.web_device(secret="s", poll_id=1, ip="203.0.113.7", user_agent="Chrome")
    assert key != polls.web_device(secret="t", poll_id=1, ip="203.0.113.7", user_agent="Zalo")
