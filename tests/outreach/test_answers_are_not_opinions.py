"""A vote, a poll answer or an opinion given on a consultation in Zalo is an answer, not a
citizen's opinion on the dashboard (issue 14): ingest marks the texts an area took, they stay in
the conversation, and the classifiers (topic counts, sentiment, emerging issues) never see them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from danvan.inbox.models import ANSWER_SOURCE, Message
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.opinion import labels
from danvan.outreach import consultations, polls
from danvan.outreach.models import ConsultationAnswer, PollAnswer
from danvan.testing.citizens import citizen_messages

from .conftest import COMMUNE_A


def test_vote_and_poll_replies_are_kept_but_never_analysed_as_opinions(
    database: Database, personas, settings: Settings
) -> None:
    now = utcnow()
    with database.session() as session:
        vote = consultations.do_create_consultation(
            session,
            actor=personas.admin.actor,
            settings=settings,
            title="Chọn vị trí nhà văn hoá",
            summary="",
            kind="vote",
            options=["Gần trường", "Cạnh chợ"],
            commune_codes=[COMMUNE_A],
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=1),
        )
        poll = polls.do_create_poll(
            session,
            actor=personas.admin.actor,
            settings=settings,
            question="Họp thôn buổi nào?",
            options=["Sáng", "Tối"],
            multiple=False,
            commune_codes=[COMMUNE_A],
        )
        codes = (f"#YK{vote.id} 2", f"#TD{poll.id} 1")
    opinion = "Đường liên thôn Nặm Đường sạt lở nặng, đề nghị xã xử lý gấp"
    ids = citizen_messages(database, [*codes, opinion], commune=COMMUNE_A)
    with database.session() as session:
        # The answers count where they belong.
        assert session.scalars(select(ConsultationAnswer.option_index)).all() == [1]
        assert session.scalars(select(PollAnswer.choices)).all() == [[0]]
        # Kept in the conversation, marked as answers.
        sources = dict(
            session.execute(select(Message.id, Message.source).where(Message.id.in_(ids))).all()
        )
        assert [sources[i] for i in ids] == [ANSWER_SOURCE, ANSWER_SOURCE, "citizen"]
        # The classifiers' queue holds the citizen's own words only.
        waiting = [m.text for m, _c in labels.pending(session, limit=100)]
        assert opinion in waiting
        assert not any(text.startswith(("#YK", "#TD")) for text in waiting)
        assert labels.count_pending(session) == len(waiting)
