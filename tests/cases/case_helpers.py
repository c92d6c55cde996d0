"""Helpers for the cases tests (a module of its own: test modules cannot import conftest)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.testing.zalo import post_oa_event

COMMUNE_A = 2302  # Xã Minh Quang
COMMUNE_B = 2269  # Xã Thượng Lâm
# `writes(text, commune=..., user_id=..., channel=...)` -> conversation id (a conftest fixture)
Writes = Callable[..., int]
# `make_case(text, commune=..., by=..., category=...)` -> case id (a conftest fixture)
MakeCase = Callable[..., int]

OA_APP_ID = "4321987654321"  # tests/conftest.py
OA_SECRET = "oa-secret-key-for-tests"


def zalo_webhook(client: TestClient, event: dict[str, Any], at: datetime) -> None:
    """Post one signed Zalo OA event to the app, as Zalo would."""
    post_oa_event(client, event, app_id=OA_APP_ID, secret=OA_SECRET, at=at)


def citizen_text(client: TestClient, *, user_id: str, text: str, at: datetime, msg_id: str) -> None:
    zalo_webhook(
        client,
        {
            "event_name": "user_send_text",
            "sender": {"id": user_id},
            "message": {"msg_id": msg_id, "text": text},
        },
        at,
    )


def citizen_shares_phone(
    client: TestClient, *, user_id: str, phone: str, name: str, at: datetime
) -> None:
    zalo_webhook(
        client,
        {
            "event_name": "user_submit_info",
            "sender": {"id": user_id},
            "info": {"name": name, "phone": phone, "address": "Thôn Nà Lầu"},
        },
        at,
    )


def worker_masks(database: Database, settings: Settings) -> int:
    """The worker's job that masks cases' public texts (web processes never load the NLP
    stack: until it ran, public surfaces show the neutral title and no staff text)."""
    from danvan.cases.masking import run_public_masks
    from danvan.kernel.models import utcnow

    return run_public_masks(database, settings, utcnow())
