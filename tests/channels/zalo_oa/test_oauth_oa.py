"""OA tokens: refreshed through `POST /v4/oa/access_token` (form app_id, refresh_token,
grant_type; header secret_key) ahead of expiry and on -216/-220, one refresher at a time, the
rotated single-use pair saved before use."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from danvan.channels.base import OutboundMessage, SendStatus
from danvan.channels.tokens import get_tokens, load_tokens, store_tokens
from danvan.channels.zalo_oa.oauth import (
    EXPIRED_REASON,
    OATokenProvider,
    OAuthError,
    TokenUnavailable,
    ZaloOAuthClient,
)
from danvan.channels.zalo_oa.outbound import ZaloOASender
from danvan.devtools.zalo_standin.protocol import ACCESS_TOKEN, MESSAGE_CS
from danvan.devtools.zalo_standin.state import StandinState, state_of
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer

ACCESS = "AT-oauth-1"
REFRESH = "RT-oauth-1"
USER = "8421000000077"


@pytest.fixture
def zalo(standin: ThreadedServer) -> StandinState:
    state = state_of(standin)
    # Only tokens it issued (or these) are accepted; refresh tokens work once.
    state.strict(access_tokens=(ACCESS,), refresh_tokens=(REFRESH,))
    state.app_secret_key = "app-secret-for-tests"
    return state


def store(database: Database, *, expires_in: timedelta) -> None:
    with database.session() as session:
        store_tokens(
            session,
            platform="zalo_oa",
            access_token=ACCESS,
            refresh_token=REFRESH,
            expires_at=utcnow() + expires_in,
        )


def provider(settings: Settings, database: Database) -> OATokenProvider:
    return OATokenProvider(database=database, oauth=ZaloOAuthClient(settings=settings))


@pytest.fixture
def sender(settings: Settings, database: Database, zalo: StandinState) -> Iterator[ZaloOASender]:
    oa = ZaloOASender(settings=settings, tokens=provider(settings, database))
    yield oa
    oa.close()


def hello() -> OutboundMessage:
    return OutboundMessage(recipient=USER, text="Chào bạn", idempotency_key="k")


def test_the_refresh_request_carries_the_form_and_the_secret_key_header(
    settings: Settings, zalo: StandinState
) -> None:
    client = ZaloOAuthClient(settings=settings)
    try:
        pair = client.refresh(REFRESH)
    finally:
        client.transport.close()

    [request] = zalo.requests_to(ACCESS_TOKEN)
    assert request.method == "POST"
    assert request.headers["secret_key"] == "app-secret-for-tests"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.body == {
        "app_id": settings.zalo_oa_app_id,
        "refresh_token": REFRESH,
        "grant_type": "refresh_token",
    }
    assert pair.expires_in == 90000  # Zalo sends "90000", a string
    assert pair.refresh_token != REFRESH


def test_a_used_refresh_token_is_refused_with_14014(settings: Settings, zalo: StandinState) -> None:
    client = ZaloOAuthClient(settings=settings)
    try:
        client.refresh(REFRESH)
        with pytest.raises(OAuthError) as refused:
            client.refresh(REFRESH)
    finally:
        client.transport.close()
    assert refused.value.code == "-14014"
    assert refused.value.transient is False


def test_a_code_is_exchanged_for_the_first_pair(settings: Settings, zalo: StandinState) -> None:
    client = ZaloOAuthClient(settings=settings)
    try:
        pair = client.exchange_code("code-from-redirect", code_verifier="v" * 43)
    finally:
        client.transport.close()
    [request] = zalo.requests_to(ACCESS_TOKEN)
    assert request.body == {
        "app_id": settings.zalo_oa_app_id,
        "code": "code-from-redirect",
        "grant_type": "authorization_code",
        "code_verifier": "v" * 43,
    }
    assert pair.access_token.startswith("oa-at-")


def test_a_token_with_less_than_an_hour_left_is_refreshed_before_sending(
    sender: ZaloOASender, database: Database, zalo: StandinState
) -> None:
    store(database, expires_in=timedelta(minutes=30))

    result = sender.send(hello())

    assert result.status == SendStatus.SENT
    assert [r.path for r in zalo.requests] == [ACCESS_TOKEN, MESSAGE_CS]
    with database.session() as session:
        row = get_tokens(session, platform="zalo_oa")
        assert row is not None
        assert row.version == 2
        assert row.refresh_token != REFRESH
        assert zalo.requests_to(MESSAGE_CS)[0].headers["access_token"] == row.access_token


def test_a_failed_early_refresh_keeps_using_the_still_valid_token(
    sender: ZaloOASender, database: Database, zalo: StandinState
) -> None:
    store(database, expires_in=timedelta(minutes=30))
    zalo.script(ACCESS_TOKEN, status=502)

    result = sender.send(hello())

    assert result.status == SendStatus.SENT
    assert zalo.requests_to(MESSAGE_CS)[0].headers["access_token"] == ACCESS


def test_an_expired_token_whose_refresh_is_refused_fails_with_the_admin_reason(
    sender: ZaloOASender, database: Database, zalo: StandinState
) -> None:
    store(database, expires_in=timedelta(minutes=-5))
    zalo.script(ACCESS_TOKEN, {"error": -14014, "error_name": "Invalid refresh token"})

    result = sender.send(hello())

    assert (result.status, result.error_code) == (SendStatus.FAILED, "-14014")
    assert result.reason == EXPIRED_REASON
    assert zalo.requests_to(MESSAGE_CS) == []


def test_a_token_refused_again_after_a_refresh_fails_without_a_second_refresh(
    sender: ZaloOASender, database: Database, zalo: StandinState
) -> None:
    store(database, expires_in=timedelta(hours=25))
    zalo.script(MESSAGE_CS, {"error": -216, "message": "Access token is invalid"})
    zalo.script(MESSAGE_CS, {"error": -220, "message": "access_token is expired or removed"})

    result = sender.send(hello())

    assert (result.status, result.reason) == (SendStatus.FAILED, EXPIRED_REASON)
    assert len(zalo.requests_to(ACCESS_TOKEN)) == 1
    assert len(zalo.requests_to(MESSAGE_CS)) == 2


def test_a_refresh_already_done_by_another_worker_is_used_without_refreshing_again(
    settings: Settings, database: Database, zalo: StandinState
) -> None:
    store(database, expires_in=timedelta(hours=25))
    ours, theirs = provider(settings, database), provider(settings, database)
    stale = ours.current()
    rotated = theirs.refresh(stale=stale)  # the other worker got -216 first

    mine = ours.refresh(stale=stale)

    assert mine == rotated
    assert len(zalo.requests_to(ACCESS_TOKEN)) == 1


def test_concurrent_refreshers_make_exactly_one_refresh_call(
    settings: Settings, database: Database, zalo: StandinState
) -> None:
    store(database, expires_in=timedelta(hours=25))
    with database.session() as session:
        stale = load_tokens(session, platform="zalo_oa")
    assert stale is not None
    results: list[object] = []

    def refresh() -> None:
        try:
            results.append(provider(settings, database).refresh(stale=stale))
        except TokenUnavailable as exc:  # pragma: no cover - reported below
            results.append(exc)

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(zalo.requests_to(ACCESS_TOKEN)) == 1
    assert len(set(map(repr, results))) == 1  # everyone got the same rotated pair
    with database.session() as session:
        row = get_tokens(session, platform="zalo_oa")
        assert row is not None
        assert row.version == 2
