"""Webhook calls that arrive together are stored together (group commit), each acknowledged
only once its transaction has committed, and one failing call never takes the others down."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from danvan.channels.base import EventKind, InboundEvent, ParsedWebhook
from danvan.channels.zalo_oa.payloads import FIXTURES
from danvan.channels.zalo_oa.signature import sign
from danvan.inbox.models import Contact, Conversation, Message, OutboxItem
from danvan.inbox.models import InboundEvent as InboundEventRow
from danvan.inbox.routes.webhooks import _store_many
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer


def _text_call(settings: Settings, *, user: str, msg_id: str, text: str) -> tuple[bytes, dict]:
    data = json.loads((FIXTURES / "user_send_text.json").read_text())
    data["app_id"] = settings.zalo_oa_app_id
    data["timestamp"] = str(int(clock.timestamp() * 1000))  # fresh: sent now
    data["sender"]["id"] = user
    data["message"] = {"text": text, "msg_id": msg_id}
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    signature = sign(settings.zalo_oa_app_id, body, data["timestamp"], settings.zalo_oa_secret_key)
    return body, {"X-ZEvent-Signature": signature, "Content-Type": "application/json"}


def _count(database: Database, model: type) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_concurrent_calls_are_all_stored_once_and_each_gets_its_200(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    settings.ask_commune_automatically = True
    calls = [
        _text_call(settings, user=f"84{n % 3:08d}", msg_id=f"m{n}", text=f"Đường hỏng ({n})")
        for n in range(60)
    ]
    calls += calls[:10]  # redelivered while the first deliveries are still in flight

    def post(call: tuple[bytes, dict]) -> int:
        body, headers = call
        url = live_server.url + "/webhooks/zalo-oa"
        return httpx.post(url, content=body, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(post, calls))

    assert statuses == [200] * 70
    assert _count(database, InboundEventRow) == 60
    assert _count(database, Contact) == 3
    with database.session() as session:
        conversations = session.scalars(select(Conversation)).all()
        assert sorted(c.unread_count for c in conversations) == [20, 20, 20]
        inbound = select(func.count()).select_from(Message).where(Message.direction == "in")
        assert session.scalar(inbound) == 60
    assert _count(database, OutboxItem) == 3  # each citizen asked for a commune once


def _call(msg_id: str, *, occurred_at: datetime) -> ParsedWebhook:
    return ParsedWebhook(
        events=[
            InboundEvent(
                channel="zalo_oa",
                kind=EventKind.MESSAGE,
                event_name="user_send_text",
                dedupe_key=msg_id,
                occurred_at=occurred_at,
                user_id="84900000001",
                message_id=msg_id,
                text="Chào",
                raw="{}",
            )
        ]
    )


def test_a_failing_call_in_a_batch_fails_alone(database: Database, settings: Settings) -> None:
    good = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    naive = good.replace(tzinfo=None)  # refused by every datetime column
    outcomes = _store_many(
        database,
        [_call("a", occurred_at=good), _call("b", occurred_at=naive), _call("c", occurred_at=good)],
        settings,
    )
    assert outcomes[0] is None
    assert outcomes[2] is None
    assert outcomes[1] is not None
    with database.session() as session:
        stored = session.scalars(select(InboundEventRow.dedupe_key).order_by("dedupe_key")).all()
        texts = session.scalars(select(Message.external_id).where(Message.direction == "in"))
        assert stored == ["a", "c"]
        assert sorted(texts) == ["a", "c"]
