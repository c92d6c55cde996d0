"""Fixtures of the opinion analytics tests: citizens' messages with their analyses, written
directly (the `MessageAnalysis` table is the contract with the classifiers)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from danvan.inbox.models import Contact, Conversation, Message
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.opinion.models import MessageAnalysis
from danvan.opinion.quotes import quote_of

_serial = itertools.count(1)


@dataclass
class Writer:
    """Writes an inbound message and its analysis, as the ingest path and classifier would."""

    database: Database

    def __call__(
        self,
        text: str,
        *,
        at: datetime | None = None,
        commune: int | None = 2302,
        topic: str = "roads",
        sentiment: str = "negative",
        kind: str = "complaint",
        channel: str = "zalo_oa",
        urgent: bool = False,
        analysed_at: datetime | None = None,
        session: Session | None = None,
    ) -> int:
        if session is None:
            with self.database.session() as own:
                return self._write(
                    own, text, at, commune, topic, sentiment, kind, channel, urgent, analysed_at
                )
        return self._write(
            session, text, at, commune, topic, sentiment, kind, channel, urgent, analysed_at
        )

    def _write(
        self,
        session: Session,
        text: str,
        at: datetime | None,
        commune: int | None,
        topic: str,
        sentiment: str,
        kind: str,
        channel: str,
        urgent: bool,
        analysed_at: datetime | None,
    ) -> int:
        at = at or utcnow()
        n = next(_serial)
        contact = Contact(
            channel=channel,
            external_id=f"t-{n}",
            display_name=f"Người dân {n}",
            commune_code=commune,
            first_interaction_at=at,
            last_interaction_at=at,
        )
        session.add(contact)
        session.flush()
        conversation = Conversation(
            contact_id=contact.id, channel=channel, commune_code=commune, last_message_at=at
        )
        session.add(conversation)
        session.flush()
        message = Message(
            conversation_id=conversation.id,
            channel=channel,
            direction="in",
            text=text,
            external_id=f"m-{n}",
            created_at=at,
        )
        session.add(message)
        session.flush()
        session.add(
            MessageAnalysis(
                message_id=message.id,
                commune_code=commune,
                channel=channel,
                received_at=at,
                topic=topic,
                sentiment=sentiment,
                kind=kind,
                urgent=urgent,
                confidence=0.9,
                model_version="test",
                analysed_at=analysed_at or utcnow(),
                quote=quote_of(text),  # masked by the worker as it labels
            )
        )
        session.flush()
        return message.id


@pytest.fixture
def write(database: Database) -> Writer:
    return Writer(database)
