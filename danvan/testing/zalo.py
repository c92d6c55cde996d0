"""Post Zalo OA webhook events to the app as Zalo would: signed, over the app's own route."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from danvan.channels.zalo_oa.signature import sign
from danvan.devtools.zalo_standin.protocol import OA_ID
from danvan.kernel import clock


class _Client(Protocol):
    def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> Any: ...


def post_oa_event(
    client: _Client,
    event: dict[str, Any],
    *,
    app_id: str,
    secret: str,
    at: datetime | None = None,
    timestamp: str | None = None,
) -> None:
    """Sign and post one event (`event_name`, `sender`, `message`/`info`…; its keys override the
    envelope's) and assert the app stored it (HTTP 200). The timestamp is `at` or now, in ms."""
    if timestamp is None:
        timestamp = str(int((at.timestamp() if at else clock.timestamp()) * 1000))
    body = json.dumps(
        {"app_id": app_id, "timestamp": timestamp, "recipient": {"id": OA_ID}, **event},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    answer = client.post(
        "/webhooks/zalo-oa",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-ZEvent-Signature": sign(app_id, body, timestamp, secret),
        },
    )
    assert answer.status_code == 200, answer.text
