"""Helpers for the analysis tests (a module of its own: test modules cannot import conftest)."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from danvan.kernel.db import Database
from danvan.testing import citizens
from danvan.testing.zalo import post_oa_event

OA_APP_ID = "4321987654321"  # tests/conftest.py
OA_SECRET = "oa-secret-key-for-tests"


def zalo_text(client: TestClient, *, user_id: str, text: str, at: datetime, msg_id: str) -> None:
    """Post one signed Zalo OA user_send_text event, as Zalo would."""
    post_oa_event(
        client,
        {
            "event_name": "user_send_text",
            "sender": {"id": user_id},
            "message": {"msg_id": msg_id, "text": text},
        },
        app_id=OA_APP_ID,
        secret=OA_SECRET,
        at=at,
    )


def citizen_writes(
    database: Database,
    texts: list[str],
    *,
    commune: int | None = 2302,
    user_id: str | None = None,
    at: datetime | None = None,
) -> list[int]:
    """A citizen's messages arrive through the ingest core (`danvan.testing.citizens`); returns
    their message ids. With a commune, the citizen first names it (not returned)."""
    return citizens.citizen_messages(
        database, texts, commune=commune, user_id=user_id, at=at, ask_commune=False
    )
