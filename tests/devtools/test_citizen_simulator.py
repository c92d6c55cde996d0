import httpx
from sqlalchemy import select

from danvan.devtools.citizen_simulator import PATH, add_citizen_simulator
from danvan.devtools.zalo_standin import create_standin_app
from danvan.inbox.models import Conversation, Message
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer, serve_in_thread


def test_a_demo_user_can_write_as_a_citizen_through_a_signed_webhook(
    live_server: ThreadedServer, settings: Settings, database: Database
) -> None:
    standin = create_standin_app()
    add_citizen_simulator(
        standin,
        webhook_url=f"{live_server.url}/webhooks/zalo-oa",
        app_id=settings.zalo_oa_app_id,
        oa_secret=settings.zalo_oa_secret_key,
    )
    with serve_in_thread(standin) as server:
        page = httpx.get(server.url + PATH)
        assert page.status_code == 200
        assert "<form" in page.text
        sent = httpx.post(
            server.url + PATH,
            data={"user_id": "8421000000000000777", "text": "Tôi ở xã Minh Quang, đèn hỏng"},
            follow_redirects=True,
        )
    assert "HTTP 200" in sent.text
    with database.session() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.commune_code == 2302
        texts = session.scalars(select(Message.text).where(Message.direction == "in")).all()
        assert texts == ["Tôi ở xã Minh Quang, đèn hỏng"]
