"""One vote per person by shared phone (issue 5): Zalo identities that share the same phone,
and a resident voting by slip code, count once; a voter without a phone is asked for it once
(Zalo's request_user_info template, through the outbox to the stand-in), and the phone shared
in answer re-keys their open votes."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from danvan.channels.base import EventKind, InboundEvent
from danvan.devtools.zalo_standin import StandinState
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Contact, OutboxItem
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.outreach import consultations
from danvan.outreach import flow as consultation_flow
from danvan.outreach import items as outreach
from danvan.outreach.models import ConsultationAnswer, Resident
from danvan.testing.zalo import post_oa_event

from .conftest import COMMUNE_A, answer_with_slip, issue_slips
from .test_zalo_flow import _consultation, _counts, _says


def _shares_phone(client: TestClient, settings: Settings, user_id: str, phone: str) -> None:
    """A signed `user_submit_info` webhook: the citizen answered the request with `phone`."""
    post_oa_event(
        client,
        {
            "user_id_by_app": uuid.uuid4().hex[:16],
            "event_name": "user_submit_info",
            "sender": {"id": user_id},
            "info": {"name": "Nguyễn Thị Hoa", "phone": phone, "address": "", "city": ""},
        },
        app_id=settings.zalo_oa_app_id,
        secret=settings.zalo_oa_secret_key,
    )


def _participants(database: Database, consultation_id: int) -> list[str]:
    with database.session() as session:
        return sorted(
            session.scalars(
                select(ConsultationAnswer.participant).where(
                    ConsultationAnswer.consultation_id == consultation_id
                )
            )
        )


def _phone_requests(zalo: StandinState, user_id: str) -> list[dict[str, object]]:
    return [m.template for m in zalo.messages(user_id) if m.template is not None]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    outreach.forget_open_items()


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("0912 345 678", "phone:84912345678"),
        ("+84 912-345-678", "phone:84912345678"),
        ("84912345678", "phone:84912345678"),
        ("912345678", "phone:84912345678"),  # a spreadsheet dropped the leading 0
        ("845123456", "phone:84845123456"),  # ditto, for a number starting 084
        ("02073822222", "phone:842073822222"),  # a landline
        ("", None),
        (None, None),
        ("12345", None),
        ("0000000000", None),
    ],
)
def test_a_phone_is_one_key_however_it_is_written(written: str | None, key: str | None) -> None:
    assert consultations.phone_key(written) == key


def test_two_zalo_identities_sharing_one_phone_vote_once(
    client: TestClient, database: Database, personas, settings: Settings, follow, zalo, oa_tokens
) -> None:
    consultation_id = _consultation(database, personas, settings)
    for user_id, phone in (("z-ph1", "0912345678"), ("z-ph2", "84912345678")):
        follow(user_id, commune=COMMUNE_A)
        _shares_phone(client, settings, user_id, phone)
    _says(client, settings, "z-ph1", f"#YK{consultation_id} 1")
    _says(client, settings, "z-ph2", f"#YK{consultation_id} 2")  # the same person, later
    assert _counts(database, consultation_id) == [0, 1]
    assert _participants(database, consultation_id) == ["phone:84912345678"]


def test_a_voter_without_a_phone_is_asked_once_and_the_shared_phone_rekeys_the_vote(
    client: TestClient,
    database: Database,
    personas,
    settings: Settings,
    follow,
    zalo,
    oa_tokens,
    drain,
) -> None:
    consultation_id = _consultation(database, personas, settings)
    follow("z-ask", commune=COMMUNE_A)
    _says(client, settings, "z-ask", f"#YK{consultation_id} 1")
    _says(client, settings, "z-ask", f"#YK{consultation_id} 2")  # a changed vote: not asked again
    drain()
    assert _participants(database, consultation_id) == ["zalo_oa:z-ask"]
    [request] = _phone_requests(zalo, "z-ask")
    assert request["template_type"] == "request_user_info"
    [element] = request["elements"]  # type: ignore[misc]
    assert set(element) == {"title", "subtitle", "image_url"}
    assert element["title"] == "Chia sẻ số điện thoại để mỗi người chỉ có một phiếu"
    assert element["image_url"].startswith(settings.base_url.rstrip("/"))
    # The vote itself was confirmed as usual, in its own message.
    assert any("Đã ghi nhận lựa chọn “Cạnh chợ”" in m.text for m in zalo.messages("z-ask"))

    _shares_phone(client, settings, "z-ask", "0912 000 111")
    assert _participants(database, consultation_id) == ["phone:84912000111"]
    assert _counts(database, consultation_id) == [0, 1]
    _says(client, settings, "z-ask", f"#YK{consultation_id} 1")  # known by phone now
    drain()
    assert _participants(database, consultation_id) == ["phone:84912000111"]
    assert _counts(database, consultation_id) == [1, 0]
    assert len(_phone_requests(zalo, "z-ask")) == 1


def test_sharing_a_phone_that_already_voted_keeps_only_the_latest_vote(
    client: TestClient, database: Database, personas, settings: Settings, follow, zalo, oa_tokens
) -> None:
    consultation_id = _consultation(database, personas, settings)
    follow("z-old", commune=COMMUNE_A)
    follow("z-new", commune=COMMUNE_A)
    _shares_phone(client, settings, "z-old", "0912333444")
    _says(client, settings, "z-old", f"#YK{consultation_id} 1")
    _says(client, settings, "z-new", f"#YK{consultation_id} 2")  # later, no phone yet
    assert _counts(database, consultation_id) == [1, 1]
    _shares_phone(client, settings, "z-new", "84912333444")  # the same person
    assert _counts(database, consultation_id) == [0, 1]
    assert _participants(database, consultation_id) == ["phone:84912333444"]


def test_a_resident_code_and_a_zalo_vote_with_the_same_phone_count_once(
    client: TestClient, database: Database, personas, settings: Settings, follow, zalo, oa_tokens
) -> None:
    consultation_id = _consultation(database, personas, settings)
    with database.session() as session:
        session.add(
            Resident(
                commune_code=COMMUNE_A, code="MQ-001", full_name="Lò Văn Páo", phone="0915777888"
            )
        )
        session.add(Resident(commune_code=COMMUNE_A, code="MQ-002", full_name="Vàng Thị Dua"))
    slip = issue_slips(database, settings, personas.admin.actor, COMMUNE_A)

    def on_the_web(code: str, option: int) -> None:
        with database.session() as session:
            item = session.get(consultations.Consultation, consultation_id)
            answer_with_slip(
                session, settings, item, commune=COMMUNE_A, code=slip[code], option=option
            )

    on_the_web("MQ-001", 0)
    on_the_web("MQ-002", 0)  # listed without a phone: known by slip code
    follow("z-res", commune=COMMUNE_A)
    _shares_phone(client, settings, "z-res", "84915777888")
    _says(client, settings, "z-res", f"#YK{consultation_id} 2")  # replaces the web vote
    assert _counts(database, consultation_id) == [1, 1]
    assert _participants(database, consultation_id) == [
        "phone:84915777888",
        f"resident:{_resident_id(database, 'MQ-002')}",
    ]
    on_the_web("MQ-001", 0)  # and back again on the web
    assert _counts(database, consultation_id) == [2, 0]


def _resident_id(database: Database, code: str) -> int:
    with database.session() as session:
        found = session.scalar(select(Resident.id).where(Resident.code == code))
        assert found is not None
        return found


def test_the_zalo_bot_cannot_ask_for_a_phone_and_does_not(
    database: Database, personas, settings: Settings
) -> None:
    consultation_id = _consultation(database, personas, settings)
    vote = f"#YK{consultation_id} 1"
    with database.session() as session:
        event = InboundEvent(
            channel="zalo_bot",
            kind=EventKind.MESSAGE,
            event_name="message.text.received",
            dedupe_key=uuid.uuid4().hex,
            occurred_at=utcnow(),
            user_id="bot-chat-1",
            message_id=uuid.uuid4().hex,
            text=vote,
            raw="{}",
        )
        ingest_events(session, events=[event], province_code=8)
        contact = session.scalar(select(Contact).where(Contact.external_id == "bot-chat-1"))
        assert contact is not None
        contact.commune_code = COMMUNE_A
        assert consultation_flow.on_text(
            session, channel="zalo_bot", user_id="bot-chat-1", text=vote
        )
        rows = session.scalars(select(OutboxItem).where(OutboxItem.recipient == "bot-chat-1"))
        assert [row.template for row in rows if row.template] == []
    assert _participants(database, consultation_id) == ["zalo_bot:bot-chat-1"]
