"""Consultations and polls answered in Zalo: buttons under the announcement, signed webhooks
carrying what a button sends back, and the conversation that asks for what is missing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from danvan.channels.base import Button, OutboundMessage
from danvan.channels.zalo_bot.outbound import with_button_lines
from danvan.devtools.zalo_standin.protocol import MESSAGE_CS
from danvan.devtools.zalo_standin.state import StandinState
from danvan.inbox.models import Contact
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.outreach import announcements, consultations, polls
from danvan.outreach import items as outreach
from danvan.outreach.models import Consultation, ConsultationAnswer, ConversationFlow, Poll
from danvan.testing.zalo import post_oa_event

from .conftest import COMMUNE_A, COMMUNE_B

COMMUNE_ELSEWHERE = 991  # Xã Bắc Mê: in the province, outside every item below


def _consultation(database: Database, personas, settings: Settings, kind: str = "vote") -> int:
    now = utcnow()
    with database.session() as session:
        item = consultations.do_create_consultation(
            session,
            actor=personas.admin.actor,
            settings=settings,
            title="Chọn vị trí nhà văn hoá",
            summary="Dự thảo phương án xây dựng nhà văn hoá thôn.",
            kind=kind,
            options=["Gần trường", "Cạnh chợ"] if kind == "vote" else [],
            commune_codes=[COMMUNE_A, COMMUNE_B],
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=1),
        )
        return item.id


def _poll(database: Database, personas, settings: Settings, *, multiple: bool) -> int:
    with database.session() as session:
        return polls.do_create_poll(
            session,
            actor=personas.admin.actor,
            settings=settings,
            question="Bạn muốn họp thôn vào buổi nào?",
            options=["Sáng", "Chiều", "Tối"],
            multiple=multiple,
            commune_codes=[COMMUNE_A],
        ).id


def _says(client: TestClient, settings: Settings, user_id: str, text: str) -> None:
    """A signed Zalo OA webhook: the citizen typed `text` (or tapped a button sending it)."""
    post_oa_event(
        client,
        {
            "event_name": "user_send_text",
            "sender": {"id": user_id},
            "message": {"text": text, "msg_id": uuid.uuid4().hex},
        },
        app_id=settings.zalo_oa_app_id,
        secret=settings.zalo_oa_secret_key,
    )


def _counts(database: Database, consultation_id: int) -> list[int]:
    with database.session() as session:
        item = session.get(Consultation, consultation_id)
        return [o["count"] for o in consultations.results(session, consultation=item)["options"]]


def _opinions(database: Database, consultation_id: int) -> list[tuple[int | None, str | None]]:
    with database.session() as session:
        return list(
            session.execute(
                select(ConsultationAnswer.commune_code, ConsultationAnswer.opinion).where(
                    ConsultationAnswer.consultation_id == consultation_id
                )
            ).all()
        )


def _last(zalo: StandinState, user_id: str) -> str:
    return zalo.messages(user_id)[-1].text


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    outreach.forget_open_items()


def test_the_announcement_carries_its_buttons_to_zalo_in_the_documented_shape(
    database: Database, personas, settings: Settings, follow, zalo, oa_tokens, drain
) -> None:
    consultation_id = _consultation(database, personas, settings)
    follow("z-btn", commune=COMMUNE_A)
    with database.session() as session:
        item = session.get(Consultation, consultation_id)
        broadcast = announcements.do_announce(
            session, actor=personas.admin.actor, settings=settings, consultation=item
        )
        broadcast.urgent = True  # whatever the hour the test runs at
    drain()
    [request] = [
        r for r in zalo.requests_to(MESSAGE_CS) if r.body["recipient"]["user_id"] == "z-btn"
    ]
    code = f"#YK{consultation_id}"
    page = f"{settings.base_url.rstrip('/')}/y-kien/{consultation_id}"
    assert request.body["message"]["attachment"] == {
        "type": "template",
        "payload": {
            "buttons": [
                {"title": "1. Gần trường", "type": "oa.query.show", "payload": f"{code} 1"},
                {"title": "2. Cạnh chợ", "type": "oa.query.show", "payload": f"{code} 2"},
                {"title": "Xem chi tiết", "type": "oa.open.url", "payload": {"url": page}},
            ]
        },
    }
    [received] = zalo.messages("z-btn")
    assert [b["title"] for b in received.buttons] == [
        "1. Gần trường",
        "2. Cạnh chợ",
        "Xem chi tiết",
    ]
    # Without buttons (Zalo Bot, old apps) the text itself says what to type.
    assert f"1. Gần trường — nhắn: {code} 1" in received.text


def test_a_citizen_taps_a_vote_button_and_the_vote_counts_once(
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
    follow("z-tap", commune=COMMUNE_A)
    for _ in range(2):  # a double tap: two webhooks with two message ids
        _says(client, settings, "z-tap", f"#YK{consultation_id} 2")
    assert _counts(database, consultation_id) == [0, 1]
    _says(client, settings, "z-tap", f"#YK{consultation_id} 1")  # a changed vote replaces it
    assert _counts(database, consultation_id) == [1, 0]
    drain()
    assert "Đã ghi nhận lựa chọn “Gần trường”" in _last(zalo, "z-tap")


def test_an_opinion_is_given_through_the_conversation_that_asks_for_the_commune(
    client: TestClient,
    database: Database,
    personas,
    settings: Settings,
    follow,
    zalo,
    oa_tokens,
    drain,
) -> None:
    consultation_id = _consultation(database, personas, settings, kind="opinion")
    follow("z-op")  # commune unknown
    _says(client, settings, "z-op", f"#YK{consultation_id} góp ý")  # the "Góp ý" button
    drain()
    assert "bạn đang sinh sống ở xã/phường nào" in _last(zalo, "z-op")
    _says(client, settings, "z-op", "Minh Quang")
    drain()
    assert "Mời bạn góp ý về “Chọn vị trí nhà văn hoá”" in _last(zalo, "z-op")
    _says(
        client, settings, "z-op", "Nên xây nhà văn hoá gần trường học để các cháu tiện sinh hoạt."
    )
    drain()
    confirmation = _last(zalo, "z-op")
    assert "Đã ghi nhận ý kiến của bạn" in confirmation
    assert "Nhắn “hủy” để rút lại" in confirmation
    _says(client, settings, "z-op", "Thêm nữa: cần có sân chơi cho trẻ em.")  # within the window
    assert _opinions(database, consultation_id) == [
        (
            COMMUNE_A,
            "Nên xây nhà văn hoá gần trường học để các cháu tiện sinh hoạt.\n"
            "Thêm nữa: cần có sân chơi cho trẻ em.",
        )
    ]
    with database.session() as session:
        item = session.get(Consultation, consultation_id)
        assert consultations.results(session, consultation=item)["participants"] == 1
        contact = session.scalar(select(Contact).where(Contact.external_id == "z-op"))
        assert contact is not None
        assert contact.commune_code == COMMUNE_A
    # Starting again replaces the opinion (one per participant).
    _says(client, settings, "z-op", f"#YK{consultation_id} Tôi không đồng ý với vị trí cạnh chợ.")
    assert _opinions(database, consultation_id) == [
        (COMMUNE_A, "Tôi không đồng ý với vị trí cạnh chợ.")
    ]


def test_when_the_inbox_already_asked_for_the_commune_the_flow_does_not_ask_again(
    client: TestClient,
    database: Database,
    personas,
    settings: Settings,
    follow,
    zalo,
    oa_tokens,
    drain,
) -> None:
    settings.ask_commune_automatically = True  # the inbox asks every new citizen once
    consultation_id = _consultation(database, personas, settings, kind="opinion")
    follow("z-asked")
    _says(client, settings, "z-asked", f"#YK{consultation_id} góp ý")
    drain()
    sent = [m.text for m in zalo.messages("z-asked")]
    assert sum("xã/phường nào" in text for text in sent) == 1, sent
    # The flow takes the text before the inbox would ask (issue 14): its own question, which
    # says what the answer is for, and no general one.
    assert "Để ghi nhận câu trả lời của bạn cho đợt lấy ý kiến" in sent[-1]
    _says(client, settings, "z-asked", "Minh Quang")
    drain()
    assert "Mời bạn góp ý về “Chọn vị trí nhà văn hoá”" in _last(zalo, "z-asked")


def test_a_too_short_opinion_asks_for_more_and_stores_nothing(
    client: TestClient,
    database: Database,
    personas,
    settings: Settings,
    follow,
    zalo,
    oa_tokens,
    drain,
) -> None:
    consultation_id = _consultation(database, personas, settings, kind="opinion")
    follow("z-short", commune=COMMUNE_B)
    _says(client, settings, "z-short", f"#YK{consultation_id} góp ý")
    _says(client, settings, "z-short", "ok")
    drain()
    assert "Ý kiến của bạn hơi ngắn" in _last(zalo, "z-short")
    assert _opinions(database, consultation_id) == []


def test_a_commune_outside_the_scope_is_asked_again_and_refused_if_still_outside(
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
    follow("z-far", commune=COMMUNE_ELSEWHERE)
    _says(client, settings, "z-far", f"#YK{consultation_id} 1")
    drain()
    assert "dành cho người dân" in _last(zalo, "z-far")
    _says(client, settings, "z-far", "chưa biết")
    drain()
    assert "Chưa nhận ra tên xã/phường" in _last(zalo, "z-far")
    _says(client, settings, "z-far", "xã Minh Quang")  # moved: the vote that waited is recorded
    assert _counts(database, consultation_id) == [1, 0]


def test_after_closing_the_flow_says_so_and_stores_nothing(
    client: TestClient,
    database: Database,
    personas,
    settings: Settings,
    follow,
    zalo,
    oa_tokens,
    drain,
) -> None:
    consultation_id = _consultation(database, personas, settings, kind="opinion")
    follow("z-late", commune=COMMUNE_A)
    _says(client, settings, "z-late", f"#YK{consultation_id} góp ý")
    with database.session() as session:
        session.get(Consultation, consultation_id).closes_at = utcnow() - timedelta(seconds=1)
    _says(client, settings, "z-late", "Tôi đề nghị xây nhà văn hoá gần trường học.")
    drain()
    assert "đã kết thúc lúc" in _last(zalo, "z-late")
    assert "không được ghi nhận" in _last(zalo, "z-late")
    _says(client, settings, "z-late", f"#YK{consultation_id} góp ý")
    drain()
    assert "đã kết thúc lúc" in _last(zalo, "z-late")
    assert _opinions(database, consultation_id) == []
    with database.session() as session:
        assert session.scalar(select(ConversationFlow)) is None


def test_huy_withdraws_the_opinion_and_does_not_stop_broadcasts(
    client: TestClient,
    database: Database,
    personas,
    settings: Settings,
    follow,
    zalo,
    oa_tokens,
    drain,
) -> None:
    consultation_id = _consultation(database, personas, settings, kind="opinion")
    follow("z-cancel", commune=COMMUNE_A)
    _says(client, settings, "z-cancel", f"#YK{consultation_id} Tôi ủng hộ phương án này.")
    assert len(_opinions(database, consultation_id)) == 1
    _says(client, settings, "z-cancel", "hủy")
    drain()
    assert "Đã hủy" in _last(zalo, "z-cancel")
    assert _opinions(database, consultation_id) == []
    with database.session() as session:
        contact = session.scalar(select(Contact).where(Contact.external_id == "z-cancel"))
        assert contact is not None
        assert contact.broadcast_opt_out_at is None


@pytest.mark.parametrize(
    ("multiple", "taps", "expected"),
    [
        (False, ["2", "3"], [0, 0, 1]),  # a single-choice poll: the last tap wins
        (True, ["1", "3", "3"], [1, 0, 1]),  # several taps add up, once each
        (True, ["1", "2,3"], [0, 1, 1]),  # several numbers choose again
    ],
    ids=["single", "taps-add", "typed-replaces"],
)
def test_a_poll_is_answered_with_buttons(
    client: TestClient,
    database: Database,
    personas,
    settings: Settings,
    follow,
    multiple: bool,
    taps: list[str],
    expected: list[int],
) -> None:
    poll_id = _poll(database, personas, settings, multiple=multiple)
    follow("z-pb", commune=COMMUNE_A)
    for tap in taps:
        _says(client, settings, "z-pb", f"#TD{poll_id} {tap}")
    with database.session() as session:
        result = polls.results(session, poll=session.get(Poll, poll_id))
    assert [o["count"] for o in result["options"]] == expected
    assert result["respondents"] == 1


def test_the_zalo_bot_gets_buttons_as_lines_it_does_not_already_show() -> None:
    message = OutboundMessage(
        recipient="chat",
        text="Chọn: 1 — nhắn: #TD5 1",
        idempotency_key="k",
        buttons=(Button("1. Sáng", "#TD5 1"), Button("2. Chiều", "#TD5 2")),
    )
    assert with_button_lines(message) == "Chọn: 1 — nhắn: #TD5 1\n• 2. Chiều: nhắn “#TD5 2”"


def test_the_standin_refuses_buttons_zalo_would_refuse(
    client: TestClient, zalo: StandinState, standin
) -> None:
    import httpx

    bad = {
        "recipient": {"user_id": "u"},
        "message": {
            "text": "x",
            "attachment": {
                "type": "template",
                "payload": {
                    "buttons": [{"title": "t" * 101, "type": "oa.query.show", "payload": "p"}]
                },
            },
        },
    }
    answer = httpx.post(standin.url + MESSAGE_CS, json=bad, headers={"access_token": "none"})
    assert answer.json()["error"] != 0
    assert zalo.messages("u") == []
