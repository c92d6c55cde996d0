"""The public poll page: one answer per browser cookie, and a limit per poll and client network
(IPv4 /24, IPv6 /64) that neither a cleared cookie nor a changed browser string gets round; it
stores no identity (a keyed hash of poll and network). Web results are called indicative."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.outreach import polls
from danvan.outreach.models import Poll, PollAnswer

from .conftest import COMMUNE_A

INDICATIVE = "Kết quả bình chọn trên web chỉ mang tính tham khảo"


def _poll(database: Database, personas, settings: Settings) -> int:
    with database.session() as session:
        return polls.do_create_poll(
            session,
            actor=personas.admin.actor,
            settings=settings,
            question="Bạn muốn họp thôn vào buổi nào?",
            options=["Sáng", "Chiều"],
            multiple=False,
            commune_codes=[COMMUNE_A],
        ).id


def _vote(client: TestClient, poll_id: int, choice: str = "0", agent: str = "Zalo") -> int:
    page = client.get(f"/tham-do/{poll_id}", headers={"user-agent": agent})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    answer = client.post(
        f"/tham-do/{poll_id}",
        data={"csrf_token": token, "commune": str(COMMUNE_A), "choice": [choice]},
        headers={"user-agent": agent},
    )
    return answer.status_code


def test_clearing_cookies_and_changing_the_browser_stop_at_the_limit_of_one_network(
    app: FastAPI, database: Database, personas, settings: Settings
) -> None:
    poll_id = _poll(database, personas, settings)
    statuses = []
    for n in range(polls.WEB_DEVICE_LIMIT + 1):
        # Another machine of the same /24 each time, a fresh cookie and a new browser string.
        with TestClient(app, client=(f"203.0.113.{n + 1}", 40000)) as machine:
            statuses.append(_vote(machine, poll_id, agent=f"Mozilla/5.0 (variant {n})"))
    assert statuses == [200] * polls.WEB_DEVICE_LIMIT + [422]
    with TestClient(app, client=("203.0.113.250", 40000)) as refused:
        page = refused.get(f"/tham-do/{poll_id}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        answer = refused.post(
            f"/tham-do/{poll_id}",
            data={"csrf_token": token, "commune": str(COMMUNE_A), "choice": ["1"]},
        )
    assert answer.status_code == 422
    assert "Đã có nhiều câu trả lời từ mạng này cho thăm dò này" in answer.text
    # Another network still answers; one that got in may still change its answer.
    with TestClient(app, client=("198.51.100.7", 40000)) as elsewhere:
        assert _vote(elsewhere, poll_id) == 200
        assert _vote(elsewhere, poll_id, choice="1") == 200
    with database.session() as session:
        result = polls.results(session, poll=session.get(Poll, poll_id))
        devices = set(session.scalars(select(PollAnswer.device)))
    assert result["respondents"] == polls.WEB_DEVICE_LIMIT + 1
    assert [o["count"] for o in result["options"]] == [polls.WEB_DEVICE_LIMIT, 1]
    assert len(devices) == 2
    assert not any("203.0.113" in str(d) or "198.51" in str(d) for d in devices)


def test_an_ipv6_client_is_limited_by_its_64_not_by_its_address(
    app: FastAPI, database: Database, personas, settings: Settings
) -> None:
    poll_id = _poll(database, personas, settings)
    statuses = []
    for n in range(polls.WEB_DEVICE_LIMIT + 1):
        with TestClient(app, client=(f"2001:db8:1:2::{n + 1:x}", 40000)) as machine:
            statuses.append(_vote(machine, poll_id))
    assert statuses[-1] == 422
    with TestClient(app, client=("2001:db8:1:3::1", 40000)) as next_subnet:
        assert _vote(next_subnet, poll_id) == 200


def test_the_device_key_depends_on_poll_and_network_only() -> None:
    key = polls.web_device(secret="s", poll_id=1, ip="203.0.113.7")
    assert key == polls.web_device(secret="s", poll_id=1, ip="203.0.113.200")
    assert key != polls.web_device(secret="s", poll_id=2, ip="203.0.113.7")
    assert key != polls.web_device(secret="s", poll_id=1, ip="203.0.114.7")
    assert key != polls.web_device(secret="t", poll_id=1, ip="203.0.113.7")
    six = polls.web_device(secret="s", poll_id=1, ip="2001:db8:1:2::1")
    assert six == polls.web_device(secret="s", poll_id=1, ip="2001:db8:1:2:ffff::9")
    assert six != polls.web_device(secret="s", poll_id=1, ip="2001:db8:1:3::1")


def test_the_public_and_staff_results_say_web_polls_are_indicative(
    client: TestClient, database: Database, personas, settings: Settings, signed_in
) -> None:
    poll_id = _poll(database, personas, settings)
    assert INDICATIVE in client.get(f"/tham-do/{poll_id}").text
    assert INDICATIVE in signed_in(personas.admin).get(f"/outreach/polls/{poll_id}").text
