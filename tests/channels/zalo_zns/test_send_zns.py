"""The template-message sender and catalog against the stand-in on a real socket. Each case
states what Zalo answers and the request expected: `POST /message/template` with `phone`,
`template_id`, `template_data`, `tracking_id`, the `access_token` header; errors with HTTP 200
and `error != 0` (-108 bad phone, -124 bad token, -115 out of balance, -133 night, quota)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from danvan.channels.base import EventKind, OutboundMessage, SendStatus
from danvan.channels.models import ZnsAccount, ZnsTemplate
from danvan.channels.tokens import store_tokens
from danvan.channels.zalo_oa.oauth import OATokenProvider, ZaloOAuthClient
from danvan.channels.zalo_zns import inbound
from danvan.channels.zalo_zns.catalog import ZnsCatalog, fetch, store_templates
from danvan.channels.zalo_zns.outbound import ZaloZNSSender, zns_phone
from danvan.devtools.zalo_standin.protocol import ZNS_SEND, ZNS_SEND_BY_USER
from danvan.devtools.zalo_standin.state import StandinState, state_of
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
FIXTURES = Path(__file__).parents[3] / "danvan" / "channels" / "zalo_zns" / "fixtures"
DATA = {"ma_phan_anh": "TQ-2612-0001", "trang_thai": "Đã trả lời", "tra_cuu": "https://x/tra-cuu"}


@pytest.fixture
def zalo(standin: ThreadedServer) -> StandinState:
    return state_of(standin)


def make_sender(settings: Settings, database: Database) -> ZaloZNSSender:
    tokens = OATokenProvider(database=database, oauth=ZaloOAuthClient(settings=settings))
    return ZaloZNSSender(settings=settings, database=database, tokens=tokens)


@pytest.fixture
def sender(settings: Settings, database: Database, zalo: StandinState) -> Iterator[ZaloZNSSender]:
    with database.session() as session:
        store_tokens(
            session,
            platform="zalo_oa",
            access_token="AT-zns",
            refresh_token="RT-zns",
            expires_at=utcnow() + timedelta(hours=25),
        )
    zns = make_sender(settings, database)
    yield zns
    zns.close()


def template(phone: str = "0912345678", key: str = "track-1", **extra: object) -> OutboundMessage:
    return OutboundMessage(
        recipient=phone,
        text="Phản ánh TQ-2612-0001 đã được trả lời.",
        idempotency_key=key,
        template={"template_id": "301002", "template_data": DATA, **extra},
    )


def at_local(hour: int) -> datetime:
    return utcnow().astimezone(ZONE).replace(hour=hour, minute=0, second=0, microsecond=0)


def test_a_template_message_goes_by_phone_with_our_tracking_id(
    sender: ZaloZNSSender, zalo: StandinState, database: Database
) -> None:
    result = sender.send(template())

    assert result.status == SendStatus.SENT
    [request] = zalo.requests_to(ZNS_SEND)
    assert request.headers["access_token"] == "AT-zns"
    assert request.body == {
        "template_id": "301002",
        "template_data": DATA,
        "tracking_id": "track-1",
        "phone": "84912345678",
    }
    [received] = zalo.messages("84912345678")
    assert result.platform_message_id == received.message_id
    with database.session() as session:
        account = session.get(ZnsAccount, 1)
        assert account is not None
        assert (account.daily_quota, account.remaining_quota) == (500, 499)


def test_development_mode_and_sending_by_user_id(
    settings: Settings, database: Database, zalo: StandinState, sender: ZaloZNSSender
) -> None:
    dev = make_sender(
        settings.model_copy(update={"zalo_zns_development": True, "zalo_zns_send_by": "user_id"}),
        database,
    )
    try:
        assert dev.send(template(user_id="8421000000042")).status == SendStatus.SENT
        assert dev.send(template(phone="0987654321", key="t2")).status == SendStatus.SENT
    finally:
        dev.close()
    [by_user] = zalo.requests_to(ZNS_SEND_BY_USER)
    assert by_user.body["user_id"] == "8421000000042"
    assert by_user.body["mode"] == "development"
    [by_phone] = zalo.requests_to(ZNS_SEND)  # no OA id: by phone
    assert (by_phone.body["phone"], by_phone.body["mode"]) == ("84987654321", "development")


def test_a_phone_zalo_refuses_is_unreachable_and_a_bad_one_is_not_sent(
    sender: ZaloZNSSender, zalo: StandinState
) -> None:
    zalo.script(ZNS_SEND, {"error": -108, "message": "Phone number is invalid"})
    result = sender.send(template())
    assert (result.status, result.error_code) == (SendStatus.UNREACHABLE, "-108")

    result = sender.send(template(phone="12345"))
    assert (result.status, result.error_code) == (SendStatus.UNREACHABLE, "bad_phone")
    assert len(zalo.requests_to(ZNS_SEND)) == 1


def test_an_invalid_token_is_refreshed_once(sender: ZaloZNSSender, zalo: StandinState) -> None:
    zalo.script(ZNS_SEND, {"error": -124, "message": "Access token is invalid"})
    assert sender.send(template()).status == SendStatus.SENT
    assert len(zalo.requests_to(ZNS_SEND)) == 2
    assert zalo.requests_to(ZNS_SEND)[1].headers["access_token"] != "AT-zns"


def test_at_night_zalo_refuses_and_the_message_waits_for_six(
    sender: ZaloZNSSender, zalo: StandinState
) -> None:
    with clock.frozen(at_local(23)):
        result = sender.send(template())
    assert (result.status, result.error_code, result.hold) == (SendStatus.RETRY, "-133", True)
    assert result.retry_after == 7 * 3600
    assert not zalo.messages()


def test_out_of_balance_holds_every_template_message_and_tells_the_admin(
    sender: ZaloZNSSender, zalo: StandinState, database: Database
) -> None:
    zalo.zns_balance_vnd = 0
    result = sender.send(template())
    assert (result.status, result.hold) == (SendStatus.RETRY, True)
    with database.session() as session:
        account = session.get(ZnsAccount, 1)
        assert account is not None
        assert account.hold_code == "-115"
        assert "hết số dư" in (account.hold_reason or "")
    # While held, nothing is asked of Zalo.
    assert sender.send(template(key="t2")).status == SendStatus.RETRY
    assert len(zalo.requests_to(ZNS_SEND)) == 1


def test_an_exhausted_daily_quota_holds_until_midnight_without_calling_zalo(
    sender: ZaloZNSSender, zalo: StandinState
) -> None:
    zalo.zns_remaining_quota = 1
    assert sender.send(template()).status == SendStatus.SENT  # Zalo says 0 left now
    result = sender.send(template(key="t2"))
    assert (result.status, result.error_code, result.hold) == (SendStatus.RETRY, "quota", True)
    assert len(zalo.requests_to(ZNS_SEND)) == 1


def test_sync_reads_templates_their_parameters_price_and_the_quota(
    settings: Settings, database: Database, sender: ZaloZNSSender, zalo: StandinState
) -> None:
    tokens = OATokenProvider(database=database, oauth=ZaloOAuthClient(settings=settings))
    catalog = ZnsCatalog(settings=settings, tokens=tokens)
    try:
        fetched = fetch(catalog)
    finally:
        catalog.close()
    with database.session() as session:
        report = store_templates(session, fetched)
    assert (report.templates, report.approved) == (6, 5)
    with database.session() as session:
        answered = session.get(ZnsTemplate, "301002")
        assert answered is not None
        assert (answered.status, answered.price_vnd) == ("ENABLE", 300)
        assert [p["name"] for p in answered.params] == ["ma_phan_anh", "trang_thai", "tra_cuu"]
        assert answered.params[0] == {
            "name": "ma_phan_anh",
            "require": True,
            "type": "STRING",
            "max_length": 30,
        }
        account = session.get(ZnsAccount, 1)
        assert account is not None
        assert account.remaining_quota == 500


def test_a_receipt_names_our_tracking_id_and_zalos_message_id() -> None:
    raw = (FIXTURES / "user_received_message.json").read_text()
    event = inbound.to_event(json.loads(raw), raw=raw, timestamp="1764404200000")
    assert (event.channel, event.kind) == ("zalo_zns", EventKind.DELIVERED)
    assert event.tracking_ids == ("tq-2026-0001",)
    assert event.message_ids == ("zns-5a6b7c8d",)
    assert event.occurred_at.timestamp() == 1764404199


def test_phones_are_written_as_zns_takes_them() -> None:
    assert zns_phone("0912 345 678") == "84912345678"
    assert zns_phone("+84912345678") == "84912345678"
    assert zns_phone("84912345678") == "84912345678"
    assert zns_phone("12345") is None
    assert zns_phone(None) is None
