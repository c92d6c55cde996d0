"""Broadcasts: audience selection, Zalo's interaction window, quiet hours, pacing measured at
the stand-in, pause / resume / cancel mid-send without duplicates or loss."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from danvan.accounts.actors import Actor
from danvan.channels.registry import build_senders
from danvan.devtools.zalo_standin import StandinState
from danvan.inbox import delivery
from danvan.inbox.models import Contact, OutboxItem, OutboxStatus
from danvan.inbox.worker import SQLITE_LEASE, Worker
from danvan.kernel import clock, leases
from danvan.kernel.db import Database
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.outreach import broadcasts
from danvan.outreach.citizens import do_update_contact
from danvan.outreach.models import Broadcast, BroadcastStatus

from .conftest import COMMUNE_A, COMMUNE_B


def _create(database: Database, actor: Actor, settings: Settings, **audience: object) -> int:
    with database.session() as session:
        checked = broadcasts.check_audience(
            actor=actor,
            commune_codes=audience.pop("communes", [COMMUNE_A]),  # type: ignore[arg-type]
            tags=audience.pop("tags", []),  # type: ignore[arg-type]
            language=audience.pop("language", None),  # type: ignore[arg-type]
            window=audience.pop("window", "7d"),  # type: ignore[arg-type]
            province_code=8,
        )
        item, _ = broadcasts.do_create_broadcast(
            session,
            actor=actor,
            settings=settings,
            text="Thông báo thử",
            audience=checked,
            urgent=bool(audience.pop("urgent", True)),
        )
        return item.id


def _preview(database: Database, actor: Actor, settings: Settings, **kw: object) -> dict:
    with database.session() as session:
        checked = broadcasts.check_audience(
            actor=actor,
            commune_codes=kw.get("communes", [COMMUNE_A]),  # type: ignore[arg-type]
            tags=kw.get("tags", []),  # type: ignore[arg-type]
            language=kw.get("language"),  # type: ignore[arg-type]
            window=kw.get("window", "7d"),  # type: ignore[arg-type]
            province_code=8,
        )
        return broadcasts.preview_audience(session, audience=checked, settings=settings).as_dict()


@pytest.fixture
def town(database: Database, personas, follow, unfollow) -> dict[str, int]:
    """Followers of A (fresh, 3 days, 10 days, tagged, English, opted out, unfollowed) and B."""
    ids = {
        "fresh": follow("u-fresh", commune=COMMUNE_A, ago=timedelta(hours=2)),
        "three_days": follow("u-3d", commune=COMMUNE_A, ago=timedelta(days=3)),
        "ten_days": follow("u-10d", commune=COMMUNE_A, ago=timedelta(days=10)),
        "tagged": follow("u-tag", commune=COMMUNE_A, ago=timedelta(hours=1)),
        "english": follow("u-en", commune=COMMUNE_A, ago=timedelta(hours=1)),
        "opted_out": follow("u-stop", commune=COMMUNE_A, ago=timedelta(hours=1)),
        "unfollowed": follow("u-gone", commune=COMMUNE_A, ago=timedelta(hours=1)),
        "b": follow("u-b", commune=COMMUNE_B, ago=timedelta(hours=1)),
    }
    unfollow("u-gone")
    admin = personas.admin.actor
    with database.session() as session:

        def contact(name: str) -> Contact:
            found = session.get(Contact, ids[name])
            assert found is not None
            return found

        kw = {"session": session, "actor": admin, "province_code": 8}
        do_update_contact(contact=contact("tagged"), tags=["Hộ kinh doanh"], **kw)  # type: ignore[arg-type]
        do_update_contact(contact=contact("english"), language="en", **kw)  # type: ignore[arg-type]
        do_update_contact(contact=contact("opted_out"), broadcast_opt_out=True, **kw)  # type: ignore[arg-type]
    return ids


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        ({}, {"followers": 5, "free": 3, "paid": 1, "reachable": 4, "unreachable": 1}),
        ({"window": "48h"}, {"followers": 5, "free": 3, "paid": 0, "reachable": 3}),
        ({"tags": ["hộ kinh doanh"]}, {"followers": 1, "reachable": 1}),
        ({"language": "en"}, {"followers": 1, "reachable": 1}),
        ({"language": "vi"}, {"followers": 4, "reachable": 3}),
        ({"communes": [COMMUNE_B]}, {"followers": 1, "reachable": 1}),
        ({"communes": [COMMUNE_A, COMMUNE_B]}, {"followers": 6, "reachable": 5}),
    ],
    ids=["commune", "free-window", "tag", "language-en", "language-vi", "commune-b", "both"],
)
def test_the_audience_is_chosen_by_commune_tag_language_and_interaction_window(
    database: Database, settings: Settings, personas, town, audience, expected
) -> None:
    preview = _preview(database, personas.admin.actor, settings, **audience)
    assert {k: preview[k] for k in expected} == expected


def test_the_preview_prices_the_paid_window(
    database: Database, settings: Settings, personas, town
) -> None:
    preview = _preview(database, personas.admin.actor, settings)
    assert preview["cost_vnd"] == 1 * settings.outreach_paid_message_vnd


def test_an_officer_cannot_address_another_commune(
    database: Database, settings: Settings, personas
) -> None:
    with pytest.raises(Invalid, match="Không có quyền"):
        _preview(database, personas.officer_a.actor, settings, communes=[COMMUNE_B])


def test_unfollowed_opted_out_and_out_of_window_citizens_never_receive_it(
    database: Database, settings: Settings, personas, town, zalo: StandinState, oa_tokens, drain
) -> None:
    broadcast_id = _create(database, personas.officer_a.actor, settings)
    drain()
    assert Counter(m.recipient for m in zalo.messages()) == {
        "u-fresh": 1,
        "u-3d": 1,
        "u-tag": 1,
        "u-en": 1,
    }
    with database.session() as session:
        item = session.get(Broadcast, broadcast_id)
        assert item is not None
        rows = {r.contact_id: r for r in broadcasts.list_recipients(session, broadcast=item)}
    assert rows[town["ten_days"]].status == "unreachable"
    assert "7 ngày" in (rows[town["ten_days"]].reason or "")
    assert rows[town["three_days"]].paid
    assert town["unfollowed"] not in rows
    assert town["opted_out"] not in rows


def test_a_citizen_who_unfollows_after_the_audience_was_chosen_is_skipped(
    database: Database, settings: Settings, personas, follow, unfollow, zalo, oa_tokens, drain
) -> None:
    follow("u-1", commune=COMMUNE_A)
    follow("u-2", commune=COMMUNE_A)
    broadcast_id = _create(database, personas.officer_a.actor, settings)
    with database.session() as session:
        item = session.get(Broadcast, broadcast_id)
        assert item is not None
        broadcasts.start_sending(session, item, now=utcnow())
    unfollow("u-2")
    drain()
    assert [m.recipient for m in zalo.messages()] == ["u-1"]


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        ("21:59", False),
        ("22:00", True),
        ("23:30", True),
        ("03:00", True),
        ("05:59", True),
        ("06:00", False),
        ("12:00", False),
    ],
)
def test_quiet_hours_are_22_to_6_in_vietnam(settings: Settings, local: str, quiet: bool) -> None:
    hour, minute = map(int, local.split(":"))
    at = datetime(2026, 12, 1, hour, minute, tzinfo=broadcasts.LOCAL).astimezone(UTC)
    assert broadcasts.in_quiet_hours(at, settings) is quiet


@pytest.mark.parametrize("urgent", [False, True])
def test_nothing_but_urgent_broadcasts_is_queued_during_quiet_hours(
    database: Database, settings: Settings, personas, follow, urgent: bool
) -> None:
    follow("u-night", commune=COMMUNE_A, ago=timedelta(minutes=5))
    broadcast_id = _create(database, personas.officer_a.actor, settings, urgent=urgent)
    night = clock.now().astimezone(broadcasts.LOCAL).replace(hour=23, minute=0).astimezone(UTC)
    # The citizen's window is measured from `night`: keep them reachable.
    with database.session() as session:
        contact = session.scalar(select(Contact).where(Contact.external_id == "u-night"))
        assert contact is not None
        contact.last_interaction_at = night - timedelta(minutes=5)
        broadcasts.run_broadcasts(session, settings=settings, now=night)
    with database.session() as session:
        queued = session.scalars(select(OutboxItem)).all()
        item = session.get(Broadcast, broadcast_id)
        assert item is not None
        assert item.status == (BroadcastStatus.SENDING if urgent else BroadcastStatus.SCHEDULED)
    assert len(queued) == (1 if urgent else 0)


def test_queued_non_urgent_sends_wait_for_the_end_of_quiet_hours(
    database: Database, settings: Settings, personas, follow
) -> None:
    follow("u-late", commune=COMMUNE_A, ago=timedelta(minutes=5))
    _create(database, personas.officer_a.actor, settings, urgent=False)
    day = clock.now().astimezone(broadcasts.LOCAL).replace(hour=21, minute=50).astimezone(UTC)
    with database.session() as session:
        contact = session.scalar(select(Contact).where(Contact.external_id == "u-late"))
        assert contact is not None
        contact.last_interaction_at = day - timedelta(minutes=5)
        broadcasts.run_broadcasts(session, settings=settings, now=day)
    night = day + timedelta(minutes=20)  # 22:10
    with database.session() as session:
        broadcasts.run_broadcasts(session, settings=settings, now=night)
        [row] = session.scalars(select(OutboxItem)).all()
    assert row.next_attempt_at == broadcasts.quiet_ends_at(night, settings)
    assert row.next_attempt_at.astimezone(broadcasts.LOCAL).hour == 6


def test_sends_are_paced_to_the_configured_rate_at_the_platform(
    database: Database, settings: Settings, personas, follow, zalo, oa_tokens, drain
) -> None:
    settings.outreach_rate_per_second = 3
    for n in range(10):
        follow(f"u-rate-{n}", commune=COMMUNE_A)
    _create(database, personas.officer_a.actor, settings)
    drain()
    per_second = zalo.per_second()
    assert sum(per_second.values()) == 10
    assert max(per_second.values()) <= 3
    assert len(per_second) >= 4  # 10 messages at 3 per second need at least four seconds


def _worker(database: Database, settings: Settings) -> Worker:
    return Worker(database, settings, senders=build_senders(settings, database))


@pytest.mark.parametrize("action", ["pause", "cancel"])
def test_pause_and_cancel_mid_send_lose_nothing_and_send_nothing_twice(
    database: Database,
    settings: Settings,
    personas,
    follow,
    zalo: StandinState,
    oa_tokens,
    drain,
    action: str,
) -> None:
    settings.outreach_queue_ahead = 10
    settings.outreach_rate_per_second = 1000
    for n in range(30):
        follow(f"u-{n:02d}", commune=COMMUNE_A)
    actor = personas.officer_a.actor
    broadcast_id = _create(database, actor, settings)
    worker = _worker(database, settings)
    worker.cycle(force_jobs=True)  # queues 10 and sends them
    with database.session() as session:
        leases.release_lease(session, name=SQLITE_LEASE, holder=worker.id)
    assert len(zalo.messages()) == 10
    with database.session() as session:
        item = session.get(Broadcast, broadcast_id)
        assert item is not None
        broadcasts.run_broadcasts(session, settings=settings, now=utcnow())  # 10 more queued
        # A worker holds two of them mid-send when staff press the button.
        held = delivery.claim_due(session, worker="w-mid", limit=2, skip_locked=False)
    with database.session() as session:
        item = session.get(Broadcast, broadcast_id)
        assert item is not None
        if action == "pause":
            assert broadcasts.do_pause(session, actor=actor, broadcast=item) == 8
        else:
            assert broadcasts.do_cancel(session, actor=actor, broadcast=item) == 18
    # The two in flight are finished (here: given back by their worker and sent).
    with database.session() as session:
        for claim in held:
            delivery.release_claim(session, claim=claim)
    drain()
    assert len(zalo.messages()) == 12  # nothing more while paused or after cancelling
    if action == "pause":
        with database.session() as session:
            item = session.get(Broadcast, broadcast_id)
            assert item is not None
            broadcasts.do_resume(session, actor=actor, broadcast=item)
        drain()
        assert Counter(m.recipient for m in zalo.messages()) == {f"u-{n:02d}": 1 for n in range(30)}
    with database.session() as session:
        item = session.get(Broadcast, broadcast_id)
        assert item is not None
        totals = broadcasts.totals(session, broadcast=item)
        left = session.scalars(
            select(OutboxItem).where(OutboxItem.status != OutboxStatus.SENT)
        ).all()
    assert left == []
    expected = {"sent": 30} if action == "pause" else {"sent": 12, "cancelled": 18}
    assert totals["by_status"] == expected


@pytest.mark.parametrize("shape", ["arrays", "scalars"])
def test_an_article_broadcast_is_one_call_whichever_target_shape_zalo_accepts(
    client,
    database: Database,
    personas,
    zalo: StandinState,
    oa_tokens,
    drain,
    shape: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    zalo.article_shape = shape
    created = client.post(
        "/api/v1/broadcasts",
        json={
            "text": "Bài viết: hướng dẫn đăng ký tạm trú",
            "mode": "article",
            "article_id": "art-123",
            "urgent": True,
        },
        headers=personas.admin.headers,
    )
    assert created.status_code == 201, created.text
    with caplog.at_level("INFO", logger="danvan.channels.zalo_oa"):
        drain()
        drain()
    [article] = zalo.articles
    assert article["article_id"] == "art-123"
    assert article["shape"] == shape
    assert f"accepted with the {shape} target shape" in caplog.text
    assert zalo.messages() == []  # no per-follower message
    with database.session() as session:
        item = session.get(Broadcast, created.json()["id"])
        assert item is not None
        assert item.status == "done"
        assert item.platform_result == article["id"]


def test_a_citizen_who_asks_to_stop_gets_no_more_broadcasts_until_asking_again(
    database: Database, settings: Settings, personas, follow, zalo, oa_tokens, drain
) -> None:
    from .conftest import citizen_writes

    follow("u-stop-me", commune=COMMUNE_A)
    follow("u-stays", commune=COMMUNE_A)
    citizen_writes(database, "u-stop-me", "Dừng nhận tin")
    citizen_writes(database, "u-stop-me", "dung nhan tin")  # said twice: answered once
    _create(database, personas.officer_a.actor, settings)
    drain()
    texts = [(m.recipient, m.text) for m in zalo.messages()]
    assert ("u-stays", "Thông báo thử") in texts
    assert [t for r, t in texts if r == "u-stop-me"] == [broadcasts_stop_ack()]
    citizen_writes(database, "u-stop-me", "Nhận tin")
    _create(database, personas.officer_a.actor, settings)
    drain()
    assert [t for r, t in ((m.recipient, m.text) for m in zalo.messages()) if r == "u-stop-me"][
        -1
    ] == "Thông báo thử"


def broadcasts_stop_ack() -> str:
    from danvan.outreach.inbound import STOP_ACK

    return STOP_ACK


def test_conversations_opened_for_a_broadcast_stay_out_of_the_inbox_until_the_citizen_writes(
    database: Database, settings: Settings, personas, follow, zalo, oa_tokens, drain
) -> None:
    from danvan.inbox.conversations import ConversationFilter, list_conversations

    from .conftest import citizen_writes

    follow("u-quiet", commune=COMMUNE_A)
    follow("u-talks", commune=COMMUNE_A)
    _create(database, personas.officer_a.actor, settings)
    drain()
    actor = personas.officer_a.actor

    def inbox() -> list[str]:
        with database.session() as session:
            found = list_conversations(session, actor=actor, filters=ConversationFilter())
            return sorted(c.contact.external_id for c in found)

    assert inbox() == []
    citizen_writes(database, "u-talks", "Cảm ơn xã, tôi sẽ đưa cháu đi tiêm")
    assert inbox() == ["u-talks"]


def test_received_and_seen_come_from_the_webhooks_delivery_events(
    database: Database, settings: Settings, personas, follow, zalo, oa_tokens, drain
) -> None:
    import json

    from danvan.channels.base import EventKind, InboundEvent
    from danvan.inbox.ingest import ingest_events

    for user in ("u-r", "u-s", "u-n"):
        follow(user, commune=COMMUNE_A)
    broadcast_id = _create(database, personas.officer_a.actor, settings)
    drain()
    ids = {m.recipient: m.message_id for m in zalo.messages()}
    events = [
        InboundEvent(
            channel="zalo_oa", kind=kind, event_name=name, dedupe_key=f"{name}:{user}",
            occurred_at=utcnow(), user_id=user, message_ids=(ids[user],), raw=json.dumps({}),
        )
        for user, kind, name in (
            ("u-r", EventKind.DELIVERED, "user_received_message"),
            ("u-s", EventKind.SEEN, "user_seen_message"),
        )
    ]  # fmt: skip
    with database.session() as session:
        ingest_events(session, events=events, province_code=8)
    with database.session() as session:
        item = session.get(Broadcast, broadcast_id)
        assert item is not None
        totals = broadcasts.totals(session, broadcast=item)
    assert totals["by_status"] == {"delivered": 1, "seen": 1, "sent": 1}
    assert totals["reached"] == 3
