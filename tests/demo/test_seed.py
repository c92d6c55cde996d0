from sqlalchemy import func, select

from danvan.accounts.demo import STAFF
from danvan.demo.seed import is_seeded, seed
from danvan.inbox.demo_data import CONVERSATIONS
from danvan.inbox.models import Conversation, Delivery, Message, OutboxItem, OutboxStatus
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings


def test_the_demo_seeds_staff_and_conversations_across_channels(
    database: Database, settings: Settings
) -> None:
    with database.session() as session:
        assert not is_seeded(session)
        logins = seed(session, settings=settings)
    assert [email for email, _p, _r in logins] == [s[0] for s in STAFF]
    with database.session() as session:
        assert is_seeded(session)
        # The opinion area adds weeks of citizens' messages (danvan.opinion.demo) on top, and
        # outreach the hidden conversations of followers who only received a broadcast.
        opinion = select(Message.conversation_id).where(Message.external_id.like("demo-op-%"))
        inbox = (
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.id.not_in(opinion), Conversation.status != "outreach")
        )
        assert session.scalar(inbox) == len(CONVERSATIONS)
        channels = set(session.scalars(select(Conversation.channel)))
        assert channels == {"zalo_oa", "zalo_bot", "web"}
        triage = session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.commune_code.is_(None))
        )
        assert triage == sum(1 for c in CONVERSATIONS if c[1] is None)


def test_seeded_replies_are_history_and_nothing_is_waiting_to_be_sent(
    database: Database, settings: Settings
) -> None:
    with database.session() as session:
        seed(session, settings=settings)
    with database.session() as session:
        pending = (
            select(func.count())
            .select_from(OutboxItem)
            .where(OutboxItem.status != OutboxStatus.SENT)
        )
        assert session.scalar(pending) == 0
        statuses = set(
            session.scalars(select(Message.delivery_status).where(Message.direction == "out"))
        )
        # Replies were seen; some broadcast messages were only sent (history all the same).
        assert statuses <= {Delivery.SENT, Delivery.DELIVERED, Delivery.SEEN}
        assert Delivery.SEEN in statuses
