"""Staff link their own Zalo account and get emerging-issue alerts there: through the signed
webhook, the worker and the Zalo stand-in (no mock)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from danvan.accounts.models import AuditEntry
from danvan.channels.tokens import store_tokens
from danvan.devtools.zalo_standin.state import StandinState, state_of
from danvan.inbox.models import Contact, Conversation
from danvan.inbox.worker import run
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.opinion import alerts as staff_zalo
from danvan.opinion.models import (
    AlertDeliveryStatus,
    OpinionAlert,
    OpinionAlertDelivery,
    StaffLinkCode,
    StaffZaloLink,
)
from danvan.testing.servers import ThreadedServer
from danvan.testing.zalo import post_oa_event

A = 2302  # Xã Minh Quang
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE = re.compile(r'<strong class="code">(\d{6})</strong>')
_serial = iter(range(1, 10**9))


@pytest.fixture
def zalo(standin: ThreadedServer, settings: Settings, database: Database) -> StandinState:
    """The stand-in's state, with OA tokens stored and the classifiers off (analyses are
    written directly: they are the contract with the classifiers)."""
    settings.analysis_enabled = False
    with database.session() as session:
        store_tokens(
            session,
            platform="zalo_oa",
            access_token="access-alerts",
            refresh_token="refresh-alerts",
            expires_at=utcnow() + timedelta(hours=25),
        )
    return state_of(standin)


Say = Callable[[str, str], None]


@pytest.fixture
def say(client: TestClient, settings: Settings) -> Say:
    """`say(zalo_id, text)`: a signed user_send_text webhook from that Zalo account."""

    def post(user_id: str, text: str) -> None:
        n = next(_serial)
        post_oa_event(
            client,
            {
                "user_id_by_app": f"app-{user_id}",
                "event_name": "user_send_text",
                "sender": {"id": user_id},
                "message": {"text": text, "msg_id": f"staff-msg-{n}"},
            },
            app_id=settings.zalo_oa_app_id,
            secret=settings.zalo_oa_secret_key,
            timestamp=str(int(clock.timestamp() * 1000) + n),
        )

    return post


class Account:
    """A staff member's browser on their own /account page."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    @property
    def csrf(self) -> str:
        found = CSRF.search(self.client.get("/account").text)
        assert found
        return found.group(1)

    def new_code(self) -> str:
        page = self.client.post("/account/zalo/code", data={"csrf_token": self.csrf})
        assert page.status_code == 200, page.text
        found = CODE.search(page.text)
        assert found, page.text
        assert f"LIENKET {found.group(1)}" in page.text
        return found.group(1)

    def post(self, url: str, **data: str) -> Any:
        return self.client.post(url, data={"csrf_token": self.csrf, **data}, follow_redirects=False)


@pytest.fixture
def account(signed_in: Callable[[Any], Any]) -> Callable[[Any], Account]:
    return lambda persona: Account(signed_in(persona).client)


def drain(database: Database, settings: Settings) -> None:
    """`danvan worker --once` (jobs, then the outbox, until neither has work)."""
    run(database, settings, once=True)


def texts_to(zalo: StandinState, user_id: str) -> list[str]:
    return [m.text for m in zalo.messages(user_id)]


def link_of(database: Database, user_id: int) -> StaffZaloLink | None:
    with database.session() as session:
        return session.get(StaffZaloLink, user_id)


def test_a_staff_member_links_their_own_zalo_with_a_one_time_code(
    database: Database, settings: Settings, personas, zalo: StandinState, say: Say, account
) -> None:
    officer = account(personas.officer_a)
    code = officer.new_code()
    with database.session() as session:
        stored = session.get(StaffLinkCode, personas.officer_a.user.id)
        assert stored is not None
        assert code not in (stored.code_hash, stored.key)  # only a keyed hash is kept
        assert stored.expires_at - utcnow() <= timedelta(minutes=15)

    say("zalo-an", f"LIENKET {code}")
    link = link_of(database, personas.officer_a.user.id)
    assert link is not None
    assert link.zalo_user_id == "zalo-an"
    assert not link.alerts_enabled  # off until they opt in
    drain(database, settings)
    assert any("Đã liên kết" in t for t in texts_to(zalo, "zalo-an"))
    with database.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "staff_zalo_link"))
        assert entry is not None
        assert entry.actor_id == personas.officer_a.user.id
        assert session.get(StaffLinkCode, personas.officer_a.user.id) is None  # used up
        conversation = session.scalar(
            select(Conversation).join(Contact).where(Contact.external_id == "zalo-an")
        )
        assert conversation is not None
        assert conversation.status == "staff"
        conversation_id = conversation.id

    # Not a citizen's concern: out of the inbox (an admin sees triage), and it stays out when
    # the staff member writes again.
    admin = account(personas.admin)
    say("zalo-an", "ok cảm ơn")
    assert f"/conversations/{conversation_id}" not in admin.client.get("/inbox").text
    with database.session() as session:
        assert session.get(Conversation, conversation_id).status == "staff"  # type: ignore[union-attr]

    # The code is single-use: sent again from another Zalo account, it links nothing.
    say("zalo-other", f"LIENKET {code}")
    assert link_of(database, personas.officer_a.user.id).zalo_user_id == "zalo-an"  # type: ignore[union-attr]

    # The page shows the link and the last interaction, with Zalo's window caveat.
    page = officer.client.get("/account").text
    assert "Lần cuối bạn nhắn OA" in page
    assert "7 ngày" in page


def test_a_wrong_or_expired_code_links_nothing_and_guesses_are_throttled(
    database: Database, settings: Settings, personas, zalo: StandinState, say: Say, account
) -> None:
    officer = account(personas.officer_a)
    code = officer.new_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    say("zalo-guess", f"LIENKET {wrong}")
    assert link_of(database, personas.officer_a.user.id) is None
    drain(database, settings)
    assert any("không đúng hoặc đã hết hạn" in t for t in texts_to(zalo, "zalo-guess"))

    # Expired: the right code, 16 minutes later.
    with database.session() as session:
        stored = session.get(StaffLinkCode, personas.officer_a.user.id)
        assert stored is not None
        stored.expires_at = utcnow() - timedelta(minutes=1)
    say("zalo-late", f"lien ket {code}")
    assert link_of(database, personas.officer_a.user.id) is None

    # Five wrong codes an hour per Zalo id; then even the right code is refused.
    code = officer.new_code()
    for _ in range(4):
        say("zalo-guess", f"LIENKET {wrong}")
    say("zalo-guess", f"LIENKET {code}")
    assert link_of(database, personas.officer_a.user.id) is None
    drain(database, settings)
    assert any("quá nhiều lần" in t for t in texts_to(zalo, "zalo-guess"))
    # Another Zalo account (the staff member's own) is not blocked by that.
    say("zalo-an", f"LIENKET {code}")
    assert link_of(database, personas.officer_a.user.id) is not None

    # A citizen's sentence with "liên kết" in it is not taken for a code.
    say("citizen-1", "Liên kết giao thông giữa hai thôn rất kém")
    drain(database, settings)
    assert texts_to(zalo, "citizen-1") == []


def test_opting_in_and_unlinking_from_the_account_page(
    database: Database, settings: Settings, personas, zalo: StandinState, say: Say, account
) -> None:
    officer = account(personas.officer_a)
    page = officer.client.get("/account").text
    assert "Chưa liên kết tài khoản Zalo" in page
    assert "an@minhquang.tq.gov.vn" in page
    assert "binh@minhquang.tq.gov.vn" not in page  # their own data only
    # No opting in before linking.
    refused = officer.post("/account/zalo/alerts", enabled="1")
    assert refused.status_code == 422
    assert "Hãy liên kết tài khoản Zalo trước" in refused.text
    say("zalo-an", f"LIENKET {officer.new_code()}")
    assert officer.post("/account/zalo/alerts", enabled="1").status_code == 303
    assert link_of(database, personas.officer_a.user.id).alerts_enabled  # type: ignore[union-attr]
    assert "Nhận cảnh báo qua Zalo: đang bật" in officer.client.get("/account").text
    assert officer.post("/account/zalo/unlink").status_code == 303
    assert link_of(database, personas.officer_a.user.id) is None
    with database.session() as session:
        conversation = session.scalar(
            select(Conversation).join(Contact).where(Contact.external_id == "zalo-an")
        )
        assert conversation is not None
        assert conversation.status == "closed"  # back where staff can see it
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"staff_zalo_code", "staff_zalo_link", "staff_zalo_alerts_on", "staff_zalo_unlink"} <= (
        actions
    )


BURST = [
    "Sạt lở đất tại đường liên thôn Nặm Đường, xe không qua được. Gọi tôi 0912345678",
    "Đường liên thôn Nặm Đường sạt lở nặng sau mưa, đề nghị xã xử lý gấp",
    "Tôi là Nguyễn Văn Nam, đường liên thôn Nặm Đường sạt lở, học sinh không đi học được",
    "sat lo duong lien thon Nam Duong, dat da tran xuong mat duong",
    "Đoạn đường liên thôn Nặm Đường bị sạt lở thêm một đoạn",
    "Bà con thôn Nặm Đường bị cô lập vì sạt lở đường liên thôn",
    "Sạt lở đường liên thôn Nặm Đường vẫn chưa được dọn",
    "Đường liên thôn Nặm Đường sạt lở, xe máy cũng không qua được",
]


def test_a_burst_alert_goes_by_zalo_once_to_opted_in_staff_who_see_that_commune(
    database: Database,
    settings: Settings,
    personas,
    zalo: StandinState,
    say: Say,
    account,
    write,
) -> None:
    zalo_ids = {
        "officer_a": "zalo-an",  # commune A, opted in: gets it
        "admin": "zalo-admin",  # the province, opted in: gets it
        "colleague_a": "zalo-binh",  # commune A, linked but not opted in
        "officer_b": "zalo-cuong",  # commune B, opted in: not theirs
        "viewer_a": "zalo-xem",  # commune A, opted in, but silent on Zalo for 8 days
    }
    for name, zalo_id in zalo_ids.items():
        browser = account(getattr(personas, name))
        say(zalo_id, f"LIENKET {browser.new_code()}")
        if name != "colleague_a":
            assert browser.post("/account/zalo/alerts", enabled="1").status_code == 303
    with database.session() as session:
        silent = session.scalar(select(Contact).where(Contact.external_id == "zalo-xem"))
        assert silent is not None
        silent.last_interaction_at = utcnow() - timedelta(days=8)
    drain(database, settings)  # the link confirmations
    zalo.reset()

    now = utcnow()
    for i, text in enumerate(BURST):
        write(text, at=now - timedelta(minutes=100 - 10 * i), commune=A, topic="roads")
    drain(database, settings)

    with database.session() as session:
        alerts = session.scalars(select(OpinionAlert)).all()
        assert [(a.commune_code, a.topic) for a in alerts] == [(A, "roads")]
        issue_id = alerts[0].issue_id
        deliveries = {d.user_id: d for d in session.scalars(select(OpinionAlertDelivery)).all()}
    assert set(deliveries) == {
        personas.officer_a.user.id,
        personas.admin.user.id,
        personas.viewer_a.user.id,
    }
    unreachable = deliveries[personas.viewer_a.user.id]
    assert unreachable.status == AlertDeliveryStatus.UNREACHABLE
    assert "7 ngày" in unreachable.reason
    assert unreachable.message_id is None

    for name in ("officer_a", "admin"):
        received = texts_to(zalo, zalo_ids[name])
        assert len(received) == 1, (name, received)
        text = received[0]
        assert "Xã Minh Quang" in text
        assert "Giao thông" in text
        assert "sạt lở" in text.lower()
        assert f"/dashboard/messages?issue={issue_id}" in text
        assert "0912345678" not in text
        assert "Nguyễn Văn Nam" not in text
        assert not any(line in text for line in BURST)
    for name in ("colleague_a", "officer_b", "viewer_a"):
        assert texts_to(zalo, zalo_ids[name]) == [], name

    # Once per alert and person: later runs send nothing more.
    drain(database, settings)
    drain(database, settings)
    assert len(zalo.messages()) == 2
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(OpinionAlertDelivery)) == 3
    # The account page lists it.
    assert "đã gửi qua Zalo" in account(personas.officer_a).client.get("/account").text


def test_the_alert_job_never_records_an_alert_twice_for_one_person(
    database: Database, settings: Settings, personas, zalo: StandinState, say: Say, account
) -> None:
    browser = account(personas.officer_a)
    say("zalo-an", f"LIENKET {browser.new_code()}")
    browser.post("/account/zalo/alerts", enabled="1")
    now = utcnow()
    with database.session() as session:
        session.add(
            OpinionAlert(
                commune_code=A, topic="roads", window_hours=3, observed=9, expected=0.4,
                created_at=now,
            )
        )  # fmt: skip
    # Two runs as if two workers had each taken the job (the lease prevents it; the unique
    # row is what guarantees it).
    assert staff_zalo.run_staff_alerts(database, settings, now) == 1
    assert staff_zalo.run_staff_alerts(database, settings, now) == 0
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(OpinionAlertDelivery)) == 1


def test_a_staff_member_linking_first_gets_the_link_reply_not_the_commune_question(
    database: Database, settings: Settings, personas, zalo: StandinState, say: Say, account
) -> None:
    """The OA asks new citizens for their commune; a staff member's "LIENKET <code>" is taken
    before any citizen's prompt, and their later messages are never asked it either."""
    settings.ask_commune_automatically = True
    officer = account(personas.officer_a)
    say("zalo-new", f"LIENKET {officer.new_code()}")
    say("zalo-new", "ok")
    drain(database, settings)
    received = texts_to(zalo, "zalo-new")
    assert len(received) == 1, received
    assert "Đã liên kết" in received[0]
    # A citizen's first message still gets the question.
    say("zalo-citizen", "Đường thôn bị sạt lở")
    drain(database, settings)
    assert any("xã" in t.lower() for t in texts_to(zalo, "zalo-citizen"))


def test_an_alert_delivery_moves_from_queued_to_sent_once_the_outbox_sent_it(
    database: Database, settings: Settings, personas, zalo: StandinState, say: Say, account
) -> None:
    browser = account(personas.officer_a)
    say("zalo-an", f"LIENKET {browser.new_code()}")
    browser.post("/account/zalo/alerts", enabled="1")
    drain(database, settings)
    now = utcnow()
    with database.session() as session:
        session.add(
            OpinionAlert(
                commune_code=A, topic="roads", window_hours=3, observed=9, expected=0.4,
                created_at=now,
            )
        )  # fmt: skip
    assert staff_zalo.run_staff_alerts(database, settings, now) == 1
    with database.session() as session:
        delivery = session.scalars(select(OpinionAlertDelivery)).one()
        assert delivery.status == AlertDeliveryStatus.QUEUED
    assert "đang chờ gửi" in browser.client.get("/account").text
    drain(database, settings)  # the outbox sends it, the job settles it
    assert len(texts_to(zalo, "zalo-an")) == 2  # the link reply, then the alert
    with database.session() as session:
        delivery = session.scalars(select(OpinionAlertDelivery)).one()
        assert delivery.status == AlertDeliveryStatus.SENT
    page = browser.client.get("/account").text
    assert "đã gửi qua Zalo" in page
    assert "đang chờ gửi" not in page
