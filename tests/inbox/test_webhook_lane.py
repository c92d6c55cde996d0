"""The two webhook POSTs have one implementation, `WebhookEndpoint`: the lane (the app's front
door, `DanvanApp`, in front of every framework layer) hands them to it, and the routes (an app
without the lane, the URL list, the API document) are served by the very same object. Answers
carry the security headers, the event is stored before the 200, anything else goes on to the
app."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from danvan.channels.zalo_oa.payloads import FIXTURES
from danvan.channels.zalo_oa.signature import sign
from danvan.inbox.models import Message
from danvan.inbox.routes import webhooks
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.web.app import DanvanApp, create_app

URL = "/webhooks/zalo-oa"


def _signed(body: bytes, settings: Settings) -> dict[str, str]:
    timestamp = str(json.loads(body)["timestamp"])
    value = sign(settings.zalo_oa_app_id, body, timestamp, settings.zalo_oa_secret_key)
    return {"X-ZEvent-Signature": value, "Content-Type": "application/json"}


def _messages(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Message)) or 0


def _fresh(name: str) -> bytes:
    """A recorded payload signed as sent now (the webhook refuses events past its freshness)."""
    payload = json.loads((FIXTURES / name).read_bytes())
    payload["timestamp"] = str(int(clock.now().timestamp() * 1000))
    return json.dumps(payload, ensure_ascii=False).encode()


def test_the_lane_answers_webhooks_like_the_routes(database: Database, settings: Settings) -> None:
    body = _fresh("user_send_text.json")
    app = create_app(settings, database)
    assert isinstance(app, DanvanApp)
    lane = webhooks.lane_endpoint
    assert lane({"type": "http", "method": "POST", "path": URL}) is webhooks.ENDPOINTS[URL]
    assert lane({"type": "http", "method": "GET", "path": URL}) is None
    with TestClient(app) as client:
        stored = client.post(URL, content=body, headers=_signed(body, settings))
        unsigned = client.post(URL, content=body, headers={"Content-Type": "application/json"})
        check = client.get(URL)
    assert stored.status_code == 200
    assert stored.json() == {"ok": True}
    assert _messages(database) == 1  # committed before the 200
    assert unsigned.status_code == 401
    assert unsigned.json()["ok"] is False
    for response in (stored, unsigned, check):
        assert response.headers["x-frame-options"] == "DENY"
        assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "set-cookie" not in stored.headers
    assert check.json() == {"ok": True}  # GET is the route's

    # One implementation: the routes are served by the lane's own endpoints.
    served = {
        route.path: route.served_by
        for route in webhooks.router.routes
        if isinstance(route, APIRoute) and "POST" in route.methods
    }
    assert served == webhooks.ENDPOINTS
    document = app.openapi()["paths"]
    assert "X-ZEvent-Signature" in document[URL]["post"]["description"]
    assert "X-Bot-Api-Secret-Token" in document["/webhooks/zalo-bot"]["post"]["description"]

    # The routes alone (an app without the lane) give the same answers.
    bare = FastAPI()
    bare.state.settings, bare.state.database = settings, database
    bare.include_router(webhooks.router)
    with TestClient(bare) as client:
        again = client.post(URL, content=body, headers=_signed(body, settings))
        refused = client.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert (again.status_code, again.json()) == (200, {"ok": True})
    assert (refused.status_code, refused.json()) == (401, unsigned.json())
    assert _messages(database) == 1  # the replay is a duplicate


def test_a_failure_on_the_lane_gets_the_apps_own_500(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lane skips the framework's layers, not its answer to a crash: the app's 500 (so that
    Zalo retries), and nothing stored."""

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the store failed")

    monkeypatch.setattr(webhooks, "ingest_events", broken)
    body = _fresh("user_send_text.json")
    with TestClient(create_app(settings, database), raise_server_exceptions=False) as client:
        failed = client.post(URL, content=body, headers=_signed(body, settings))
    assert failed.status_code == 500
    assert failed.json() == {"detail": "Internal Server Error"}
    assert _messages(database) == 0
