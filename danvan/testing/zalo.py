"""Post Zalo OA webhook events to the app as Zalo would: signed, over the app's own route; and
let a Zalo stand-in see citizens interact (it keeps Zalo's messaging windows from them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    headers: dict[str, str] | None = None,
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
            **(headers or {}),
        },
    )
    assert answer.status_code == 200, answer.text
    name = str(event.get("event_name") or "")
    sender = event.get("sender") or event.get("follower") or {}
    if (name.startswith("user_send_") or name == "follow") and isinstance(sender, dict):
        interacted(str(sender.get("id") or ""), int(timestamp))


def post_zns_receipts(
    client: _Client, receipts: list[dict[str, Any]], *, app_id: str, secret: str
) -> None:
    """Post template-message delivery receipts (as the stand-in built them) the way Zalo does:
    on the OA webhook, signed, with `X-ZEvent-Server: ZNS`."""
    for receipt in receipts:
        post_oa_event(
            client,
            receipt,
            app_id=app_id,
            secret=secret,
            timestamp=str(receipt["timestamp"]),
            headers={"X-ZEvent-Server": "ZNS"},
        )


# Who sees citizens interact with the OA (a running stand-in's `interact`).
_watchers: list[Callable[[str, int], None]] = []


@contextmanager
def zalo_sees_interactions(watch: Callable[[str, int], None]) -> Iterator[None]:
    """While in the block, every citizen message or follow that the testing helpers deliver is
    also shown to `watch(user_id, epoch_ms)`, as Zalo itself would see it."""
    _watchers.append(watch)
    try:
        yield
    finally:
        _watchers.remove(watch)


def interacted(user_id: str, at_ms: int) -> None:
    """A citizen interacted with the OA at `at_ms` (tell the watching stand-ins)."""
    if user_id:
        for watch in list(_watchers):
            watch(user_id, at_ms)
