"""Fixtures of the cases tests: citizens writing (danvan.testing.citizens), stored Zalo OA
tokens, and a factory of cases made through the core."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from cases.case_helpers import COMMUNE_A, MakeCase, Writes
from danvan.cases import intake as core
from danvan.channels.tokens import store_tokens
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing import citizens


@pytest.fixture
def oa_tokens(database: Database) -> None:
    with database.session() as session:
        store_tokens(
            session,
            platform="zalo_oa",
            access_token="AT-cases",
            refresh_token="RT-cases",
            expires_at=utcnow() + timedelta(hours=25),
        )


@pytest.fixture
def writes(database: Database) -> Writes:
    """`writes(text, commune=..., user_id=..., channel=...)`: a citizen's message (after naming
    their commune, `danvan.testing.citizens`); returns the conversation id."""

    def make(
        text: str = "Đường liên thôn bị sạt lở, xe không qua được",
        *,
        commune: int | None = COMMUNE_A,
        user_id: str | None = None,
        channel: str = "zalo_oa",
        name: str = "Hoàng Thị Lan",
    ) -> int:
        return citizens.citizen_writes(
            database,
            text=text,
            commune=commune,
            user_id=user_id or f"84{uuid.uuid4().int % 10**15:015d}",
            channel=channel,
            name=name,
        )

    return make


@pytest.fixture
def make_case(database: Database, settings: Settings, personas: Any, writes: Writes) -> MakeCase:
    """A case made through the core by `by` (default officer_a) from a new conversation of
    `commune`; returns its id."""

    def make(
        text: str = "Đường liên thôn bị sạt lở, xe không qua được",
        *,
        commune: int = COMMUNE_A,
        by: Any = None,
        category: str = "roads",
        title: str | None = None,
        conversation: bool = True,
    ) -> int:
        actor = (by or personas.officer_a).actor
        conversation_id = writes(text, commune=commune) if conversation else None
        with database.session() as session:
            case = core.do_create_case(
                session,
                actor=actor,
                settings=settings,
                title=title or text[:80],
                category=category,
                commune_code=commune,
                conversation_id=conversation_id,
                description="" if conversation else text,
            )
            return case.id

    return make
