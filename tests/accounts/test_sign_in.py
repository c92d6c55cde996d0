"""Signing in and out of the staff UI: passwords, throttling, CSRF, session expiry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from danvan.accounts.models import AuditEntry
from danvan.inbox.models import OutboxItem
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.testing.citizens import citizen_writes
from danvan.testing.staff import Staff, csrf_of


def _audit(database: Database, action: str) -> list[AuditEntry]:
    with database.session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_login_page_speaks_vietnamese_by_default(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert "Đăng nhập Dân Vận" in page.text
    assert 'name="csrf_token"' in page.text


def test_pages_need_a_login(client: TestClient) -> None:
    response = client.get("/inbox", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/inbox"
    filtered = client.get("/inbox?unread=1&channel=web", follow_redirects=False)
    assert filtered.headers["location"] == "/login?next=/inbox%3Funread%3D1%26channel%3Dweb"
    polled = client.get("/inbox/list", headers={"HX-Request": "true"})
    assert polled.status_code == 401
    assert polled.headers["HX-Redirect"] == "/login"


def test_a_correct_password_signs_in_and_is_audited(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    staff = staff_client()
    response = staff.login("AN@minhquang.tq.gov.vn ", personas.officer_a.password)
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox"
    inbox = staff.get("/inbox")
    assert inbox.status_code == 200
    assert "Nguyễn Văn An" in inbox.text
    [entry] = _audit(database, "login")
    assert entry.actor_id == personas.officer_a.user.id


def test_a_wrong_password_gets_a_generic_error_and_is_audited(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    staff = staff_client()
    wrong_password = staff.login(personas.officer_a.user.email, "not the password")
    unknown_email = staff.login("nobody@tq.gov.vn", "whatever password")
    for response in (wrong_password, unknown_email):
        assert response.status_code == 400
        assert "E-mail hoặc mật khẩu không đúng." in response.text
    assert staff.get("/inbox", follow_redirects=False).status_code == 303
    failures = _audit(database, "login_failed")
    assert len(failures) == 2
    assert failures[0].actor_id == personas.officer_a.user.id
    assert failures[1].detail == {"email": "nobody@tq.gov.vn"}
    assert 'value="nobody@tq.gov.vn"' in unknown_email.text  # the e-mail is kept, not the password


def test_repeated_failures_lock_that_client_out_of_that_account(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    staff = staff_client()
    email = personas.officer_a.user.email
    for _ in range(5):
        assert staff.login(email, "wrong password").status_code == 400
    refused = staff.login(email, personas.officer_a.password)
    assert refused.status_code == 429
    assert "quá nhiều lần. Vui lòng thử lại sau 1 phút." in refused.text
    assert 50 < int(refused.headers["Retry-After"]) <= 60
    assert _audit(database, "login_throttled")
    assert not _audit(database, "login")
    # The lock is this client's on this account: a colleague signs in from the same address.
    other = staff_client()
    assert (
        other.login(personas.colleague_a.user.email, personas.colleague_a.password).status_code
        == 303
    )


def test_failures_from_one_address_are_throttled_across_emails(
    personas, staff_client: Callable[..., Staff]
) -> None:
    staff = staff_client()
    for attempt in range(20):
        assert staff.login(f"guess{attempt}@tq.gov.vn", "wrong password").status_code == 400
    assert (
        staff.login(personas.officer_a.user.email, personas.officer_a.password).status_code == 429
    )


def test_next_goes_only_to_local_paths(personas, staff_client: Callable[..., Staff]) -> None:
    for target, expected in [
        ("/inbox?unread=1", "/inbox?unread=1"),
        ("https://evil.example/steal", "/inbox"),
        ("//evil.example/steal", "/inbox"),
        ("/\\evil.example", "/inbox"),
        ("javascript:alert(1)", "/inbox"),
    ]:
        staff = staff_client()
        response = staff.login(
            personas.officer_a.user.email, personas.officer_a.password, next=target
        )
        assert response.headers["location"] == expected


def test_a_post_without_the_csrf_token_gets_403_and_changes_nothing(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=2302)
    staff = staff_client(personas.officer_a)
    for token in (None, "forged-token"):
        data = {"text": "Trả lời giả mạo"} | ({"csrf_token": token} if token else {})
        response = staff.client.post(
            f"/conversations/{conversation_id}/reply", data=data, follow_redirects=False
        )
        assert response.status_code == 403
        assert "Biểu mẫu đã hết hạn" in response.text
    login = TestClient(staff.client.app).post(
        "/login",
        data={"email": personas.officer_a.user.email, "password": personas.officer_a.password},
    )
    assert login.status_code == 403
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxItem)) == 0


def test_the_csrf_token_may_come_as_the_htmx_header(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=2302)
    staff = staff_client(personas.officer_a)
    response = staff.client.post(
        f"/conversations/{conversation_id}/notes",
        data={"text": "Ghi chú qua htmx"},
        headers={"X-CSRF-Token": staff.csrf, "HX-Request": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_a_session_idle_longer_than_allowed_expires(
    settings: Settings, personas, staff_client: Callable[..., Staff]
) -> None:
    staff = staff_client(personas.officer_a)
    assert staff.get("/inbox").status_code == 200
    idle = timedelta(minutes=settings.session_minutes)
    with clock.frozen(clock.now() + idle + timedelta(seconds=5)):
        response = staff.get("/conversations/1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    # The session is over for good: coming back at the old time does not revive it.
    assert staff.get("/inbox", follow_redirects=False).status_code == 303


def test_logout_ends_the_session_and_is_audited(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    staff = staff_client(personas.officer_a)
    response = staff.post("/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert staff.get("/inbox", follow_redirects=False).status_code == 303
    [entry] = _audit(database, "logout")
    assert entry.actor_id == personas.officer_a.user.id


def test_logout_needs_the_csrf_token(personas, staff_client: Callable[..., Staff]) -> None:
    staff = staff_client(personas.officer_a)
    assert staff.client.post("/logout", follow_redirects=False).status_code == 403
    assert staff.get("/inbox").status_code == 200


def test_signing_in_gives_a_new_csrf_token(personas, staff_client: Callable[..., Staff]) -> None:
    staff = staff_client()
    before = csrf_of(staff.get("/login").text)
    staff.login(personas.officer_a.user.email, personas.officer_a.password)
    assert staff.csrf
    assert staff.csrf != before
