"""The inbox issue's acceptance flow, end to end through the real CLI and a real server.

A fresh SQLite file, `danvan db upgrade`, `danvan user create`, `danvan token create`,
`danvan zalo set-tokens`, `danvan serve`; a signed user_send_text webhook shows up in the API, a
redelivery adds nothing, a wrong signature gets 401; a reply plus `danvan worker --once` makes
exactly one POST /v3.0/oa/message/cs to a plain local HTTP server (not the stand-in).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from danvan.channels.zalo_oa.signature import sign
from danvan.kernel import clock
from danvan.testing.servers import ThreadedServer, free_port, serve_in_thread

APP_ID = "1998877665544332211"
OA_SECRET = "oa-secret-done-when"


class Recorder:
    """A plain HTTP server that answers like Zalo's message API and records what it gets."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append(
            {"method": scope["method"], "path": scope["path"], "headers": headers, "body": body}
        )
        answer = {
            "error": 0,
            "message": "Success",
            "data": {"message_id": "zmsg-1", "user_id": "u"},
        }
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, ThreadedServer]]:
    app = Recorder()
    with serve_in_thread(app) as server:
        yield app, server


def run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "danvan", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def signed(body: bytes, timestamp: str, secret: str = OA_SECRET) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-zevent-signature": sign(APP_ID, body, timestamp, secret),
    }


def test_the_inbox_acceptance_flow(
    tmp_path: Path, recorder: tuple[Recorder, ThreadedServer]
) -> None:
    zalo, zalo_server = recorder
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DANVAN_")},
        "DANVAN_DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db",
        "DANVAN_ZALO_OA_API_BASE": zalo_server.url,
        "DANVAN_ZALO_OAUTH_BASE": zalo_server.url,
        "DANVAN_ZALO_OA_APP_ID": APP_ID,
        "DANVAN_ZALO_OA_SECRET_KEY": OA_SECRET,
        "DANVAN_ZALO_APP_SECRET_KEY": "app-secret",
        "DANVAN_BASE_URL": "https://danvan.example.vn",
        # The server's clock is the test's, so the webhook's signed timestamp is fresh.
        "DANVAN_CLOCK_START": clock.now().isoformat(),
    }
    run(env, "db", "upgrade")
    run(env, "user", "create", "admin@example.vn", "--role", "admin", stdin="a long password\n")
    token = run(env, "token", "create", "admin@example.vn").stdout.strip().splitlines()[-1]
    run(env, "zalo", "set-tokens", "--access-token", "ACCESS-1", "--refresh-token", "REFRESH-1")

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "danvan", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})

        timestamp = str(int(clock.timestamp() * 1000))
        body = json.dumps(
            {
                "app_id": APP_ID,
                "user_id_by_app": "552211",
                "event_name": "user_send_text",
                "timestamp": timestamp,
                "sender": {"id": "8421000000001"},
                "recipient": {"id": "579745863508352884"},
                "message": {"text": "Đường thôn bị sạt lở", "msg_id": "msg-0001"},
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        assert (
            httpx.post(
                f"{base}/webhooks/zalo-oa", content=body, headers=signed(body, timestamp)
            ).status_code
            == 200
        )

        conversations = api.get("/api/v1/conversations").json()["items"]
        assert len(conversations) == 1
        conversation = conversations[0]
        assert conversation["channel"] == "zalo_oa"
        messages = api.get(f"/api/v1/conversations/{conversation['id']}/messages").json()
        inbound = [m for m in messages if m["direction"] == "in"]
        assert [m["text"] for m in inbound] == ["Đường thôn bị sạt lở"]

        # The same post again adds nothing.
        assert (
            httpx.post(
                f"{base}/webhooks/zalo-oa", content=body, headers=signed(body, timestamp)
            ).status_code
            == 200
        )
        again = api.get(f"/api/v1/conversations/{conversation['id']}/messages").json()
        assert len(again) == len(messages)

        # A wrong signature gets 401 and adds nothing.
        other = body.replace(b"msg-0001", b"msg-0002")
        response = httpx.post(
            f"{base}/webhooks/zalo-oa", content=other, headers=signed(other, timestamp, "wrong")
        )
        assert response.status_code == 401
        assert len(api.get(f"/api/v1/conversations/{conversation['id']}/messages").json()) == len(
            messages
        )

        before = len(zalo.requests)
        reply = api.post(
            f"/api/v1/conversations/{conversation['id']}/replies",
            json={"text": "Xã đã nhận phản ánh và cử người kiểm tra."},
        )
        assert reply.status_code == 201
        assert reply.json()["delivery_status"] == "queued"

        # The worker's clock starts where the test's is now: at or past the server's, which
        # started from an earlier instant, so the reply is due.
        run({**env, "DANVAN_CLOCK_START": clock.now().isoformat()}, "worker", "--once")
        sent = [r for r in zalo.requests[before:] if r["path"] == "/v3.0/oa/message/cs"]
        assert len(sent) == 1
        assert len(zalo.requests) == before + 1  # nothing else was called either
        assert sent[0]["method"] == "POST"
        assert sent[0]["headers"]["access_token"] == "ACCESS-1"
        payload = json.loads(sent[0]["body"])
        assert payload["message"]["text"] == "Xã đã nhận phản ánh và cử người kiểm tra."
        assert payload["recipient"]["user_id"] == "8421000000001"

        final = api.get(f"/api/v1/conversations/{conversation['id']}/messages").json()
        ours = [m for m in final if m["id"] == reply.json()["id"]]
        assert ours[0]["delivery_status"] == "sent"
    finally:
        server.terminate()
        server.wait(timeout=10)
