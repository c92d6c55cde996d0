"""Quotes of messages are masked by the worker and stored on the analysis (issue 16): the
backfill of rows labelled before, with its progress; pages show nothing of a message not masked
yet; an erased message's quote goes with its text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from danvan.inbox import privacy
from danvan.inbox.models import Contact, Conversation, Message
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.opinion import quotes
from danvan.opinion.models import AnalysisProgress, MessageAnalysis
from danvan.testing.personas import Personas

TEXT = "Anh Nguyễn Văn Nam ở thôn Nà Lầu gọi 0912345678: đường vào thôn sạt lở"


def test_the_backfill_masks_rows_labelled_before_and_says_how_far_it_is(
    database: Database, settings: Settings, write: Any
) -> None:
    ids = [write(TEXT), write("Xin hỏi lịch tiêm phòng cho trẻ")]
    with database.session() as session:
        session.execute(update(MessageAnalysis).values(quote=None))  # as before revision 0012
    assert quotes.shown(None, TEXT) == ""  # not masked yet: nothing is quoted
    assert quotes.run_quotes(database, settings, utcnow()) == 2
    with database.session() as session:
        first = session.get(MessageAnalysis, ids[0])
        assert first is not None
        assert first.quote is not None
        assert "Nguyễn Văn Nam" not in first.quote
        assert "0912345678" not in first.quote
        assert "sạt lở" in first.quote
        progress = session.get(AnalysisProgress, quotes.PROGRESS)
        assert progress is not None
        assert (progress.state, progress.done, progress.total) == ("idle", ids[1], ids[1])
    assert quotes.run_quotes(database, settings, utcnow()) == 0  # through: nothing left


def test_an_erased_message_loses_its_quote(
    database: Database, personas: Personas, write: Any
) -> None:
    message_id = write(TEXT)
    with database.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        conversation = session.get(Conversation, message.conversation_id)
        assert conversation is not None
        contact = session.get(Contact, conversation.contact_id)
        assert contact is not None
        privacy.do_delete_contact(
            session, actor=personas.admin.actor, contact=contact, reason="Yêu cầu của người dân"
        )
    with database.session() as session:
        analysis = session.get(MessageAnalysis, message_id)
        assert analysis is not None
        assert analysis.quote == ""
