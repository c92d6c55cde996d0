"""The notice plan (danvan.inbox.notices): one channel per notice, by Zalo's windows, the
citizen's shared phone and the admin's template mapping; and the stand-in keeping the windows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from danvan.channels.models import ZnsTemplate
from danvan.channels.tokens import store_tokens
from danvan.devtools.zalo_standin.protocol import MESSAGE_CS
from danvan.devtools.zalo_standin.state import StandinState, state_of
from danvan.inbox import notice_templates
from danvan.inbox.conversations import do_reply
from danvan.inbox.models import Contact, Conversation, NoticeTemplate
from danvan.inbox.notices import plan_notice
from danvan.inbox.worker import run
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing import citizens
from danvan.testing.servers import ThreadedServer

FIELDS = {"case_code": "TQ-2612-0001", "status": "Đã trả lời", "lookup_url": "https://x/y"}


@pytest.fixture
def mapped(database: Database) -> None:
    """The answer notice mapped to an approved template (as a sync and an admin would)."""
    with database.session() as session:
        session.add(
            ZnsTemplate(
                template_id="301002",
                name="Kết quả",
                status="ENABLE",
                params=[
                    {"name": "ma", "require": True, "type": "STRING", "max_length": 30},
                    {"name": "tt", "require": True, "type": "STRING", "max_length": 5},
                ],
            )
        )
        session.flush()
        notice_templates.do_map_kind(
            session,
            actor=None,
            kind="case_answered",
            template_id="301002",
            params={"ma": "case_code", "tt": "status"},
        )


def contact_of(database: Database, conversation_id: int) -> Contact:
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        session.expunge(conversation.contact)
        return conversation.contact


def set_contact(database: Database, contact_id: int, **values: object) -> None:
    with database.session() as session:
        contact = session.get(Contact, contact_id)
        for key, value in values.items():
            setattr(contact, key, value)


def plan(database: Database, settings: Settings, contact_id: int, kind: str = "case_answered"):  # type: ignore[no-untyped-def]
    with database.session() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        return plan_notice(session, settings=settings, contact=contact, kind=kind, fields=FIELDS)


def test_the_plan_follows_zalos_windows_the_phone_and_the_mapping(
    database: Database, settings: Settings, mapped: None
) -> None:
    contact = contact_of(database, citizens.citizen_writes(database, commune=2302))
    assert plan(database, settings, contact.id).carrier == "zalo_oa"  # within 48 h: free

    with clock.running_from(utcnow() + timedelta(days=3)):
        charged = plan(database, settings, contact.id)
        assert (charged.carrier, charged.charged) == ("zalo_oa", True)  # 48 h – 7 days, no phone
        set_contact(database, contact.id, phone="0912345678", consent_at=utcnow())
        by_phone = plan(database, settings, contact.id)
        assert by_phone.carrier == "zalo_zns"  # a phone beats a charged OA message
        assert by_phone.recipient == "84912345678"
        # cut to the parameter's length
        assert by_phone.template == {
            "template_id": "301002",
            "template_data": {"ma": "TQ-2612-0001", "tt": "Đã t…"},
            "user_id": contact.external_id,
        }

    with clock.running_from(utcnow() + timedelta(days=8)):
        set_contact(database, contact.id, consent_at=None)  # a phone without consent
        call = plan(database, settings, contact.id)
        assert call.carrier == "call"
        assert "7 ngày" in call.reason
        set_contact(database, contact.id, consent_at=utcnow())
        unmapped = plan(database, settings, contact.id, kind="case_needs_info")
        assert unmapped.carrier == "call"
        assert "Chưa chọn mẫu" in unmapped.reason  # reported, not guessed


def test_an_unfollowed_citizen_gets_no_oa_message_even_inside_the_window(
    database: Database, settings: Settings, mapped: None
) -> None:
    contact = contact_of(database, citizens.citizen_writes(database, commune=2302))
    set_contact(database, contact.id, is_follower=False)
    assert plan(database, settings, contact.id).carrier == "call"


def test_a_web_form_citizen_who_gave_a_phone_gets_the_template_message(
    database: Database, settings: Settings, mapped: None
) -> None:
    contact = contact_of(database, citizens.citizen_writes(database, commune=2302, channel="web"))
    assert plan(database, settings, contact.id).carrier == "web"  # the thread page
    set_contact(database, contact.id, phone="0987654321", consent_at=utcnow())
    by_phone = plan(database, settings, contact.id)
    assert (by_phone.carrier, by_phone.recipient) == ("zalo_zns", "84987654321")
    assert "user_id" not in (by_phone.template or {})


def test_a_mapping_must_name_an_approved_template_and_fill_its_required_parameters(
    database: Database, mapped: None
) -> None:
    with database.session() as session:
        with pytest.raises(Invalid, match="bắt buộc"):
            notice_templates.check_mapping(
                session, kind="case_answered", template_id="301002", params={"ma": "case_code"}
            )
        with pytest.raises(Invalid, match="không có trong loại"):
            notice_templates.check_mapping(
                session,
                kind="case_answered",
                template_id="301002",
                params={"ma": "case_code", "tt": "course"},
            )
        with pytest.raises(Invalid, match="đồng bộ"):
            notice_templates.check_mapping(
                session, kind="case_answered", template_id="999", params={}
            )
        kinds = {k.kind: k for k in notice_templates.report(session)}
        assert kinds["case_answered"].ready
        assert not kinds["training_reminder"].ready
        assert kinds["training_reminder"].problems
        assert session.scalar(select(NoticeTemplate.kind)) == "case_answered"


@pytest.fixture
def zalo(standin: ThreadedServer, database: Database) -> StandinState:
    with database.session() as session:
        store_tokens(
            session,
            platform="zalo_oa",
            access_token="AT",
            refresh_token="RT",
            expires_at=utcnow() + timedelta(days=30),
        )
    return state_of(standin)


def test_the_stand_in_keeps_zalos_windows_free_charged_then_230(
    database: Database, settings: Settings, personas, zalo: StandinState
) -> None:  # type: ignore[no-untyped-def]
    conversation_id = citizens.citizen_writes(database, commune=2302)

    def reply(text: str) -> None:
        with database.session() as session:
            conversation = session.get(Conversation, conversation_id)
            do_reply(session, actor=personas.officer_a.actor, conversation=conversation, text=text)
        run(database, settings, once=True)

    reply("Trong 48 giờ")
    with clock.running_from(utcnow() + timedelta(days=3)):
        reply("Sau 3 ngày")
    with clock.running_from(utcnow() + timedelta(days=8)):
        reply("Sau 8 ngày")
    assert [(m.text, m.charged) for m in zalo.messages()] == [
        ("Trong 48 giờ", False),
        ("Sau 3 ngày", True),
    ]
    assert len(zalo.requests_to(MESSAGE_CS)) == 3  # the third refused with -230


def test_erasing_a_citizen_removes_their_call_tasks_and_template_receipts(
    database: Database, settings: Settings, personas, mapped: None
) -> None:  # type: ignore[no-untyped-def]
    from danvan.channels.base import EventKind, InboundEvent
    from danvan.inbox.ingest import ingest_events
    from danvan.inbox.models import CallTask
    from danvan.inbox.models import InboundEvent as InboundEventRow
    from danvan.inbox.notices import send_notice
    from danvan.inbox.privacy import do_delete_contact

    conversation_id = citizens.citizen_writes(database, commune=2302)
    receipt = '{"recipient":{"id":"84912345678"},"message":{"msg_id":"z1","tracking_id":"t1"}}'
    with database.session() as session:
        ingest_events(
            session,
            events=[
                InboundEvent(
                    channel="zalo_zns",
                    kind=EventKind.DELIVERED,
                    event_name="user_received_message",
                    dedupe_key="received:z1",
                    occurred_at=utcnow(),
                    user_id="84912345678",
                    message_ids=("z1",),
                    tracking_ids=("t1",),
                    raw=receipt,
                )
            ],
            province_code=8,
        )
    with clock.running_from(utcnow() + timedelta(days=8)), database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        conversation.contact.phone = "0912345678"
        notice = send_notice(
            session, settings=settings, conversation=conversation, text="x", kind="case_needs_info"
        )
        assert notice.carried_by == "call"  # a phone, but no template for this kind
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        do_delete_contact(
            session, actor=personas.admin.actor, contact=conversation.contact, reason="Yêu cầu"
        )
    with database.session() as session:
        assert session.scalar(select(CallTask.id)) is None
        assert (
            session.scalar(select(InboundEventRow.id).where(InboundEventRow.channel == "zalo_zns"))
            is None
        )


def test_a_bulk_send_is_estimated_per_channel_with_its_cost_before_it_goes(
    database: Database, settings: Settings, mapped: None
) -> None:
    from danvan.inbox.notices import estimate

    ids = [citizens.citizen_writes(database, commune=2302) for _ in range(3)]
    contacts = [contact_of(database, i) for i in ids]
    set_contact(database, contacts[0].id, phone="0912345678", consent_at=utcnow())
    with database.session() as session:
        session.get(ZnsTemplate, "301002").price_vnd = 220  # type: ignore[union-attr]
    later = utcnow() + timedelta(days=4)
    with database.session() as session:
        rows = [session.get(Contact, c.id) for c in contacts]
        plan = estimate(
            session,
            settings=settings,
            contacts=[r for r in rows if r is not None],
            kind="case_answered",
            fields=FIELDS,
            at=later,
        )
    assert plan.carriers == {"zalo_zns": 1, "zalo_oa": 2}  # the other two: charged OA
    assert plan.price_vnd == 220
    assert plan.cost_vnd == 220 + 2 * settings.outreach_paid_message_vnd
