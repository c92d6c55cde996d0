"""Issue 15: a case's notices reach citizens after Zalo's messaging window has closed, as one
template message by phone (ZNS), or become a staff call task; never two channels, never twice.
Zalo is the local stand-in (it keeps the 48 h / 7 day windows and speaks the ZNS API)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from cases.case_helpers import COMMUNE_A, OA_APP_ID, OA_SECRET, citizen_shares_phone, citizen_text
from danvan.cases import rules
from danvan.cases.lifecycle import do_change_status
from danvan.cases.models import Case
from danvan.channels.base import OutboundMessage, SendStatus
from danvan.channels.registry import build_senders
from danvan.devtools.zalo_standin.protocol import MESSAGE_CS, ZNS_SEND
from danvan.devtools.zalo_standin.state import StandinState, state_of
from danvan.inbox import notice_templates
from danvan.inbox.delivery import claim_due
from danvan.inbox.models import CallTask, Contact, Conversation, Message, OutboxItem
from danvan.inbox.worker import run
from danvan.kernel import clock
from danvan.kernel.db import Database, supports_skip_locked
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer
from danvan.testing.zalo import post_zns_receipts

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
ANSWERED_TEMPLATE = "301002"
PHONE = "0912345678"


@pytest.fixture
def zalo(standin: ThreadedServer) -> StandinState:
    return state_of(standin)


@pytest.fixture
def templates_mapped(database: Database, settings: Settings, oa_tokens: None, zalo: object) -> None:
    """The admin synced the OA's templates from Zalo and mapped the answer notice."""
    notice_templates.sync_from_zalo(database, settings, user_id=None, via="cli")
    with database.session() as session:
        notice_templates.do_map_kind(
            session,
            actor=None,
            kind="case_answered",
            template_id=ANSWERED_TEMPLATE,
            params={"ma_phan_anh": "case_code", "trang_thai": "status", "tra_cuu": "lookup_url"},
        )


def open_case(
    client: TestClient,
    database: Database,
    settings: Settings,
    personas,
    *,
    user_id: str,
    phone: str | None,
) -> int:
    """A citizen writes on Zalo (and maybe shares a phone); an officer opens a case from it."""
    from danvan.cases.intake import do_create_case

    now = utcnow()
    citizen_text(client, user_id=user_id, text="Tôi ở xã Minh Quang", at=now, msg_id=f"{user_id}-1")
    citizen_text(
        client, user_id=user_id, text="Cống thôn Nà Lầu bị tắc", at=now, msg_id=f"{user_id}-2"
    )
    if phone:
        citizen_shares_phone(client, user_id=user_id, phone=phone, name="Lò Văn Sơn", at=now)
    with database.session() as session:
        conversation_id = session.scalar(
            select(Conversation.id).join(Contact).where(Contact.external_id == user_id)
        )
        case = do_create_case(
            session,
            actor=personas.officer_a.actor,
            settings=settings,
            title="Cống thôn Nà Lầu bị tắc",
            category="roads",
            commune_code=COMMUNE_A,
            conversation_id=conversation_id,
        )
        return case.id


def answer(database: Database, settings: Settings, personas, case_id: int) -> list[int]:
    with database.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        do_change_status(
            session,
            actor=personas.officer_a.actor,
            settings=settings,
            case=case,
            status="answered",
            answer="Xã đã nạo vét cống, nước đã thoát.",
        )
    with database.session() as session:
        return list(
            session.scalars(
                select(Message.id)
                .where(Message.notice_kind == "case_answered")
                .order_by(Message.id)
            )
        )


def test_an_answer_after_the_window_reaches_a_citizen_with_a_phone_as_one_template_message(
    client: TestClient, database: Database, settings: Settings, personas, zalo: StandinState,
    templates_mapped: None,
) -> None:  # fmt: skip
    case_id = open_case(client, database, settings, personas, user_id="7001", phone=PHONE)
    run(database, settings, once=True)  # the receipt notice, inside the window (OA)
    assert len(zalo.requests_to(MESSAGE_CS)) == 1
    code = database_code(database, case_id)

    later = rules.calendar(settings).add_working_days(utcnow(), 10)
    with clock.running_from(later):
        [notice_id] = answer(database, settings, personas, case_id)
        run(database, settings, once=True)

        [sent] = [m for m in zalo.messages() if m.api == "zns"]
        assert sent.recipient == "84912345678"
        assert sent.template is not None
        assert sent.template["template_id"] == ANSWERED_TEMPLATE
        assert sent.template["template_data"]["ma_phan_anh"] == code
        assert len(zalo.requests_to(ZNS_SEND)) == 1
        assert len(zalo.requests_to(MESSAGE_CS)) == 1  # nothing more through the OA
        with database.session() as session:
            notice = session.get(Message, notice_id)
            assert notice is not None
            assert (notice.carried_by, notice.delivery_status) == ("zalo_zns", "sent")
            [item] = session.scalars(select(OutboxItem).where(OutboxItem.message_id == notice_id))
            assert sent.tracking_id == item.idempotency_key

        post_zns_receipts(client, zalo.zns_receipts, app_id=OA_APP_ID, secret=OA_SECRET)
        with database.session() as session:
            notice = session.get(Message, notice_id)
            assert notice is not None
            assert notice.delivery_status == "delivered"
            assert session.scalar(select(CallTask.id)) is None


def database_code(database: Database, case_id: int) -> str:
    with database.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.code


def test_the_same_answer_to_a_citizen_without_a_phone_is_a_call_task_and_no_send(
    client: TestClient, database: Database, settings: Settings, personas, zalo: StandinState,
    templates_mapped: None,
) -> None:  # fmt: skip
    case_id = open_case(client, database, settings, personas, user_id="7002", phone=None)
    run(database, settings, once=True)
    requests_before = len(zalo.requests)

    later = rules.calendar(settings).add_working_days(utcnow(), 10)
    with clock.running_from(later):
        [notice_id] = answer(database, settings, personas, case_id)
        run(database, settings, once=True)

    assert len(zalo.requests) == requests_before  # nothing sent at all
    code = database_code(database, case_id)
    with database.session() as session:
        notice = session.get(Message, notice_id)
        assert notice is not None
        assert (notice.carried_by, notice.delivery_status) == ("call", "to_call")
        assert (
            session.scalar(select(OutboxItem.id).where(OutboxItem.message_id == notice_id)) is None
        )
        [task] = session.scalars(select(CallTask))
        assert (task.message_id, task.status, task.kind) == (notice_id, "open", "case_answered")
        assert task.ref == f"case:{code}"
        assert "7 ngày" in task.reason


def test_a_template_notice_due_at_23_00_goes_at_06_00(
    client: TestClient, database: Database, settings: Settings, personas, zalo: StandinState,
    templates_mapped: None,
) -> None:  # fmt: skip
    case_id = open_case(client, database, settings, personas, user_id="7003", phone=PHONE)
    run(database, settings, once=True)
    day = rules.calendar(settings).add_working_days(utcnow(), 10).astimezone(ZONE)
    late = day.replace(hour=23, minute=0, second=0, microsecond=0)
    with clock.running_from(late):
        [notice_id] = answer(database, settings, personas, case_id)
        run(database, settings, once=True)
        assert not zalo.requests_to(ZNS_SEND)
    with database.session() as session:
        [item] = session.scalars(select(OutboxItem).where(OutboxItem.message_id == notice_id))
        assert item.next_attempt_at.astimezone(ZONE) == (late + timedelta(hours=7))
        assert item.next_attempt_at.astimezone(ZONE).hour == 6
    with clock.running_from(late + timedelta(hours=7)):
        run(database, settings, once=True)
    assert len(zalo.requests_to(ZNS_SEND)) == 1


def test_a_worker_killed_mid_send_never_sends_the_template_twice(
    client: TestClient, database: Database, settings: Settings, personas, zalo: StandinState,
    templates_mapped: None,
) -> None:  # fmt: skip
    case_id = open_case(client, database, settings, personas, user_id="7004", phone=PHONE)
    run(database, settings, once=True)
    later = rules.calendar(settings).add_working_days(utcnow(), 10)
    with clock.running_from(later):
        [notice_id] = answer(database, settings, personas, case_id)
        # A worker claims the row (committed), Zalo takes the template message, and the
        # worker dies before recording it.
        senders = build_senders(settings, database)
        try:
            with database.session() as session:
                [claim] = claim_due(
                    session,
                    worker="dead",
                    limit=10,
                    skip_locked=supports_skip_locked(database.engine),
                )
            assert claim.channel == "zalo_zns"
            result = senders["zalo_zns"].send(
                OutboundMessage(
                    claim.recipient, claim.text, claim.idempotency_key, template=claim.template
                )
            )
            assert result.status == SendStatus.SENT
        finally:
            for sender in senders.values():
                sender.close()
        with database.session() as session:
            session.execute(
                update(OutboxItem)
                .where(OutboxItem.id == claim.outbox_id)
                .values(lease_until=utcnow() - timedelta(seconds=1))
            )

        run(database, settings, once=True)
        run(database, settings, once=True)

        assert len(zalo.requests_to(ZNS_SEND)) == 1
        with database.session() as session:
            item = session.get(OutboxItem, claim.outbox_id)
            assert item is not None
            assert item.status == "uncertain"

        # Zalo's receipt (it carries our tracking id) settles it: sent once, delivered.
        post_zns_receipts(client, zalo.zns_receipts, app_id=OA_APP_ID, secret=OA_SECRET)
        with database.session() as session:
            item = session.get(OutboxItem, claim.outbox_id)
            notice = session.get(Message, notice_id)
            assert item is not None
            assert notice is not None
            assert (item.status, notice.delivery_status) == ("sent", "delivered")
        run(database, settings, once=True)
        assert len(zalo.requests_to(ZNS_SEND)) == 1


def test_out_of_balance_holds_the_notice_without_using_its_attempts_and_tells_the_admin(
    app, client: TestClient, database: Database, settings: Settings, personas,
    zalo: StandinState, templates_mapped: None,
) -> None:  # fmt: skip
    from danvan.testing.staff import Staff

    case_id = open_case(client, database, settings, personas, user_id="7005", phone=PHONE)
    run(database, settings, once=True)
    zalo.zns_balance_vnd = 0
    later = rules.calendar(settings).add_working_days(utcnow(), 10)
    with clock.running_from(later):
        [notice_id] = answer(database, settings, personas, case_id)
        run(database, settings, once=True)
        with database.session() as session:
            [item] = session.scalars(select(OutboxItem).where(OutboxItem.message_id == notice_id))
            notice = session.get(Message, notice_id)
            assert notice is not None
            assert (item.status, item.attempts, item.last_error_code) == ("pending", 0, "-115")
            assert notice.delivery_status == "retrying"
        admin = Staff.signed_in(TestClient(app), personas.admin.user.email, personas.admin.password)
        page = admin.get("/admin/zns").text
        assert "Tin mẫu đang tạm dừng" in page
        assert "1 tin mẫu đang tạm dừng" in page  # the menu's badge
        run(database, settings, once=True)  # held: Zalo is not asked again
        assert len(zalo.requests_to(ZNS_SEND)) == 1

    zalo.zns_balance_vnd = 1_000_000  # topped up; the hold ends after an hour
    with clock.running_from(later + timedelta(hours=1, minutes=1)):
        run(database, settings, once=True)
    assert len([m for m in zalo.messages() if m.api == "zns"]) == 1
