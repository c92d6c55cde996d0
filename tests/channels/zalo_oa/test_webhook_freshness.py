"""A correctly signed OA event is taken only while its signed time is fresh (issue 13): a replay
dated 2017 is acknowledged with 200 (so Zalo stops retrying it), logged and not stored; one
dated too far ahead gets 503 so that Zalo tries it again later."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from danvan.channels.zalo_oa.signature import sign
from danvan.inbox.models import InboundEvent
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings


def _post(client: TestClient, settings: Settings, at: datetime, msg_id: str) -> tuple[int, dict]:
    timestamp = str(int(at.timestamp() * 1000))
    body = json.dumps(
        {
            "app_id": settings.zalo_oa_app_id,
            "event_name": "user_send_text",
            "timestamp": timestamp,
            "sender": {"id": "2512523625412515"},
            "recipient": {"id": "579745863508352884"},
            "message": {"text": "Đường thôn bị sạt lở", "msg_id": msg_id},
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    signature = sign(settings.zalo_oa_app_id, body, timestamp, settings.zalo_oa_secret_key)
    answer = client.post(
        "/webhooks/zalo-oa",
        content=body,
        headers={"Content-Type": "application/json", "X-ZEvent-Signature": signature},
    )
    return answer.status_code, answer.json()


def _stored(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(InboundEvent)) or 0


def test_a_signed_event_dated_2017_is_acknowledged_logged_and_not_stored(
    client: TestClient, settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="danvan.channels.zalo_oa"):
        status, body = _post(client, settings, datetime(2017, 5, 1, tzinfo=UTC), "old-2017")
    assert status == 200  # Zalo retries anything else, and the event will never get younger
    assert body["ok"] is False
    assert _stored(database) == 0
    assert any("2017-05-01" in record.getMessage() for record in caplog.records)


def test_events_within_zalos_retry_span_are_taken_and_older_ones_dropped(
    client: TestClient, settings: Settings, database: Database
) -> None:
    now = clock.now()
    assert _post(client, settings, now - timedelta(hours=11), "retried-late")[0] == 200
    assert _stored(database) == 1
    assert _post(client, settings, now - timedelta(hours=13), "too-late")[0] == 200
    assert _stored(database) == 1
    settings.zalo_oa_webhook_max_age_seconds = 3600
    assert _post(client, settings, now - timedelta(hours=2), "past-setting")[0] == 200
    assert _stored(database) == 1


def test_an_event_from_the_future_is_refused_for_a_retry_within_the_skew_it_is_taken(
    client: TestClient, settings: Settings, database: Database
) -> None:
    now = clock.now()
    status, _ = _post(client, settings, now + timedelta(minutes=10), "ahead")
    assert status == 503
    assert _stored(database) == 0
    assert _post(client, settings, now + timedelta(minutes=2), "slightly-ahead")[0] == 200
    assert _stored(database) == 1
