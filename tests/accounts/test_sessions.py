"""Sessions end on the server: sign-out, an absolute lifetime, password change, "sign out
everywhere"; only a hash of the session token is kept; ended rows are cleaned by a job."""

from __future__ import annotations

import hashlib
import json
from base64 import b64decode
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from danvan.accounts.models import AuditEntry, StaffSession
from danvan.accounts.sessions import clean_sessions
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.jobs import registry
from danvan.kernel.settings import Settings
from danvan.testing.staff import Staff

NEW_PASSWORD = "một mật khẩu mới dài"


def _copy_of(staff: Staff) -> TestClient:
    """Another browser holding a copy of this staff member's session cookie."""
    thief = TestClient(staff.client.app)
    thief.cookies.set("danvan_session", staff.client.cookies["danvan_session"])
    return thief


def _signed_in(client: TestClient) -> bool:
    return client.get("/inbox", follow_redirects=False).status_code == 200


def _audit(database: Database, action: str) -> list[AuditEntry]:
    with database.session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_copied_cookie_stops_working_after_logout(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    staff = staff_client(personas.officer_a)
    with _copy_of(staff) as thief:
        assert _signed_in(thief)
        assert staff.post("/logout").status_code == 303
        assert not _signed_in(thief)
        assert not _signed_in(staff.client)
        # Posting with the copied cookie's CSRF token changes nothing either.
        assert thief.post("/account/sessions/revoke", follow_redirects=False).status_code in (
            303,
            403,
        )


def test_the_server_keeps_only_a_hash_of_the_session_token(
    database: Database, settings: Settings, personas, staff_client: Callable[..., Staff]
) -> None:
    staff = staff_client(personas.officer_a)
    signed = staff.client.cookies["danvan_session"].encode()
    cookie = json.loads(b64decode(TimestampSigner(settings.resolve_secret_key()).unsign(signed)))
    assert "sid" in cookie
    assert "uid" not in cookie  # who is signed in is the server's to say
    with database.session() as session:
        [row] = session.scalars(select(StaffSession))
        assert row.user_id == personas.officer_a.user.id
        assert row.token_hash == hashlib.sha256(cookie["sid"].encode()).hexdigest()
        assert cookie["sid"] not in row.token_hash


def test_a_session_ends_at_its_absolute_lifetime_even_when_used_all_along(
    settings: Settings, personas, staff_client: Callable[..., Staff]
) -> None:
    assert settings.session_max_age_hours == 7 * 24
    staff = staff_client(personas.officer_a)
    start = clock.now()
    hours = 0
    # Used every 7 hours (inside the 8-hour idle limit): it lives until its 7th day...
    while hours + 7 < settings.session_max_age_hours:
        hours += 7
        with clock.frozen(start + timedelta(hours=hours)):
            assert _signed_in(staff.client), hours
    # ... and not a minute more, however busy.
    with clock.frozen(start + timedelta(hours=settings.session_max_age_hours, minutes=1)):
        assert not _signed_in(staff.client)
        # Signing in again gives a new session with a new lifetime.
        assert staff.login(personas.officer_a.user.email, personas.officer_a.password)
        assert _signed_in(staff.client)


def test_the_absolute_lifetime_is_a_setting(
    settings: Settings, personas, staff_client: Callable[..., Staff]
) -> None:
    settings.session_max_age_hours = 2
    staff = staff_client(personas.officer_a)
    start = clock.now()
    with clock.frozen(start + timedelta(hours=1, minutes=59)):
        assert _signed_in(staff.client)
    with clock.frozen(start + timedelta(hours=2, minutes=1)):
        assert not _signed_in(staff.client)


def test_changing_the_password_ends_the_other_sessions(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    here = staff_client(personas.officer_a)
    elsewhere = staff_client(personas.officer_a)
    page = here.get("/account/password")
    assert page.status_code == 200
    assert "Số phiên đang mở: 2" in page.text
    response = here.post(
        "/account/password",
        {"current": personas.officer_a.password, "new": NEW_PASSWORD, "again": NEW_PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account/password"
    assert "Đã đổi mật khẩu." in here.get("/account/password").text
    assert not _signed_in(elsewhere.client)
    assert _signed_in(here.client)  # this browser got a fresh session
    [entry] = _audit(database, "password_change")
    assert entry.detail["sessions"] == 2
    assert staff_client().login(personas.officer_a.user.email, NEW_PASSWORD).status_code == 303
    old = staff_client().login(personas.officer_a.user.email, personas.officer_a.password)
    assert old.status_code == 400


def test_a_wrong_current_password_changes_nothing_and_is_counted(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    staff = staff_client(personas.officer_a)
    cases = [
        ({"current": "not mine at all", "new": NEW_PASSWORD, "again": NEW_PASSWORD}, 422),
        ({"current": personas.officer_a.password, "new": "short", "again": "short"}, 422),
        ({"current": personas.officer_a.password, "new": NEW_PASSWORD, "again": "other"}, 422),
    ]
    for data, status in cases:
        assert staff.post("/account/password", data).status_code == status
    assert len(_audit(database, "password_change_failed")) == 1
    assert not _audit(database, "password_change")
    for _ in range(4):
        staff.post(
            "/account/password",
            {"current": "x" * 9, "new": NEW_PASSWORD, "again": NEW_PASSWORD},
        )
    throttled = staff.post(
        "/account/password",
        {"current": personas.officer_a.password, "new": NEW_PASSWORD, "again": NEW_PASSWORD},
    )
    assert throttled.status_code == 429
    assert "Vui lòng thử lại sau" in throttled.text
    assert staff.post("/account/password", {"new": "a", "again": "b"}).status_code == 422
    assert _signed_in(staff.client)


def test_sign_out_everywhere_ends_every_session_of_the_account(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    here = staff_client(personas.officer_a)
    elsewhere = staff_client(personas.officer_a)
    colleague = staff_client(personas.colleague_a)
    assert here.client.post("/account/sessions/revoke", follow_redirects=False).status_code == 403
    response = here.post("/account/sessions/revoke")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert not _signed_in(here.client)
    assert not _signed_in(elsewhere.client)
    assert _signed_in(colleague.client)
    [entry] = _audit(database, "sessions_revoke")
    assert entry.detail["sessions"] == 2


def test_ended_sessions_are_cleaned_by_a_job(
    database: Database, settings: Settings, personas, staff_client: Callable[..., Staff]
) -> None:
    assert "sessions_cleanup" in [job.name for job in registry()]
    staff_client(personas.officer_a).post("/logout")
    staff_client(personas.colleague_a)  # idle from now on
    busy = staff_client(personas.viewer_a)

    def rows() -> int:
        with database.session() as session:
            return session.scalar(select(func.count()).select_from(StaffSession)) or 0

    assert rows() == 3
    assert clean_sessions(database, settings, clock.now()) == 1  # the signed-out one
    later = clock.now() + timedelta(minutes=settings.session_minutes - 1)
    with clock.frozen(later):
        assert _signed_in(busy.client)
    assert clean_sessions(database, settings, later + timedelta(minutes=2)) == 1  # the idle one
    assert rows() == 1
