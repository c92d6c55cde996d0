"""Urgency is a safety net (issue 12): a citizen's message the real classifiers label urgent puts
its conversation at the top of the inbox and alerts, once, by Zalo, the opted-in staff whose
communes include the conversation's commune (and admins), through the staff-alert delivery
path; the alert carries no citizen's words. A routine message alerts no one, and labelling never
holds a message back: it is stored and listed before any classifier has run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from analysis_helpers import citizen_writes
from sqlalchemy import func, select

from danvan.channels.tokens import store_tokens
from danvan.devtools.zalo_standin.state import StandinState, state_of
from danvan.inbox.models import Contact, Conversation, Message
from danvan.inbox.worker import run
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.opinion.models import (
    AlertKind,
    MessageAnalysis,
    OpinionAlert,
    OpinionAlertDelivery,
    StaffZaloLink,
)
from danvan.testing.servers import ThreadedServer
from danvan.testing.staff import Staff

A = 2302  # Xã Minh Quang
URGENT = "Nước lũ đang dâng cao, nhà tôi có người già không ra được, cần cứu gấp"
ROUTINE = "Xin hỏi thủ tục cấp sổ đỏ"


@pytest.fixture
def zalo(standin: ThreadedServer, own_models: Settings, database: Database) -> StandinState:
    with database.session() as session:
        store_tokens(
            session,
            platform="zalo_oa",
            access_token="access-urgent",
            refresh_token="refresh-urgent",
            expires_at=utcnow() + timedelta(hours=25),
        )
    return state_of(standin)


def _link(database: Database, persona: Any, zalo_id: str) -> None:
    """A staff member who linked their Zalo and opted in (linking: test_staff_zalo.py)."""
    with database.session() as session:
        contact = Contact(
            channel="zalo_oa",
            external_id=zalo_id,
            is_follower=True,
            last_interaction_at=utcnow() - timedelta(hours=1),
        )
        session.add(contact)
        session.flush()
        session.add(
            StaffZaloLink(
                user_id=persona.user.id,
                zalo_user_id=zalo_id,
                contact_id=contact.id,
                alerts_enabled=True,
            )
        )


def test_an_urgent_message_alerts_the_staff_of_its_commune_once_and_heads_the_inbox(
    database: Database,
    own_models: Settings,
    personas: Any,
    zalo: StandinState,
    staff_client: Callable[..., Staff],
) -> None:
    for name, zalo_id in (
        ("officer_a", "zalo-an"),
        ("admin", "zalo-admin"),
        ("officer_b", "zalo-b"),
    ):
        _link(database, getattr(personas, name), zalo_id)
    now = utcnow()
    [routine] = citizen_writes(
        database, [ROUTINE], user_id="citizen-1", at=now - timedelta(hours=1)
    )
    [urgent] = citizen_writes(
        database, [URGENT], user_id="citizen-2", at=now - timedelta(minutes=2)
    )
    with database.session() as session:
        # Stored and listed before any label: the webhook never waits for the classifiers.
        assert session.scalar(select(func.count()).select_from(MessageAnalysis)) == 0
        urgent_conversation = session.get(Message, urgent).conversation_id  # type: ignore[union-attr]
        routine_conversation = session.get(Message, routine).conversation_id  # type: ignore[union-attr]
    officer = staff_client(personas.officer_a)
    page = officer.get("/inbox").text
    assert page.index(f'data-conversation="{routine_conversation}"') < page.index(
        f'data-conversation="{urgent_conversation}"'
    )

    run(database, own_models, once=True)  # labels, alerts, then the outbox

    with database.session() as session:
        assert session.get(MessageAnalysis, urgent).urgent  # type: ignore[union-attr]
        assert not session.get(MessageAnalysis, routine).urgent  # type: ignore[union-attr]
        conversation = session.get(Conversation, urgent_conversation)
        assert conversation is not None
        assert conversation.urgent_at is not None
        [alert] = session.scalars(select(OpinionAlert)).all()
        assert (alert.kind, alert.message_id, alert.commune_code) == (AlertKind.URGENT, urgent, A)
        delivered = set(session.scalars(select(OpinionAlertDelivery.user_id)))
    assert delivered == {personas.officer_a.user.id, personas.admin.user.id}
    for zalo_id in ("zalo-an", "zalo-admin"):
        [text] = [m.text for m in zalo.messages(zalo_id)]
        assert "khẩn cấp" in text
        assert "Xã Minh Quang" in text
        assert f"/conversations/{urgent_conversation}" in text
        assert "lũ" not in text  # no citizen's words
        assert "người già" not in text
    assert zalo.messages("zalo-b") == []

    # Urgent and unanswered first, above the older routine message.
    page = officer.get("/inbox").text
    assert page.index(f'data-conversation="{urgent_conversation}"') < page.index(
        f'data-conversation="{routine_conversation}"'
    )
    # Once: later runs send nothing more.
    run(database, own_models, once=True)
    assert len(zalo.messages("zalo-an")) == 1
    # The dashboard's spike alerts do not list it.
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(OpinionAlertDelivery)) == 2
