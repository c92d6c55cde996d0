"""An account's life after it is made: deactivation (sessions and tokens stop at once),
reactivation, an admin's password reset (then nothing but a password change), tokens revoked.
Through the admin pages, the API and the command line; every step audited."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from danvan.accounts.models import AuditEntry, User
from danvan.cli import app as cli
from danvan.kernel.db import Database
from danvan.testing.staff import Staff

TEMPORARY = "tạm thời 12345"
NEW_PASSWORD = "mật khẩu riêng của An"


def _signed_in(staff: Staff) -> bool:
    return staff.get("/inbox", follow_redirects=False).status_code == 200


def _user(database: Database, user_id: int) -> User:
    with database.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user


def _audit(database: Database, action: str) -> list[AuditEntry]:
    with database.session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_deactivated_accounts_session_and_token_fail_at_once(
    database: Database, client: TestClient, personas, staff_client: Callable[..., Staff]
) -> None:
    officer = staff_client(personas.officer_a)
    officer_id = personas.officer_a.user.id
    assert client.get("/api/v1/me", headers=personas.officer_a.headers).status_code == 200
    admin = staff_client(personas.admin)
    page = admin.get(f"/admin/users/{officer_id}").text
    assert "Phiên đăng nhập đang mở</dt><dd>1" in page
    assert f'action="/admin/users/{officer_id}/deactivate"' in page
    # The confirmation box is checked on the server too.
    assert admin.post(f"/admin/users/{officer_id}/deactivate").status_code == 422
    assert _signed_in(officer)
    response = admin.post(f"/admin/users/{officer_id}/deactivate", {"confirm": "yes"})
    assert response.status_code == 303
    assert not _signed_in(officer)
    assert client.get("/api/v1/me", headers=personas.officer_a.headers).status_code == 401
    refused = staff_client().login(personas.officer_a.user.email, personas.officer_a.password)
    assert refused.status_code == 400
    assert not _user(database, officer_id).is_active
    [entry] = _audit(database, "user_deactivate")
    assert entry.actor_id == personas.admin.user.id
    assert entry.detail == {"email": personas.officer_a.user.email, "sessions": 1}
    assert "Đã khoá" in admin.get("/admin/users").text
    # Enabled again: a new sign-in works, the old session stays over, the token works again.
    assert admin.post(f"/admin/users/{officer_id}/activate", {"confirm": "yes"}).status_code == 303
    assert _audit(database, "user_activate")
    assert not _signed_in(officer)
    assert officer.login(personas.officer_a.user.email, personas.officer_a.password)
    assert _signed_in(officer)
    assert client.get("/api/v1/me", headers=personas.officer_a.headers).status_code == 200


def test_an_admin_cannot_lock_themselves_or_the_last_admin_out(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    admin = staff_client(personas.admin)
    response = admin.post(f"/admin/users/{personas.admin.user.id}/deactivate", {"confirm": "yes"})
    assert response.status_code == 422
    assert "Không thể tự khoá" in response.text
    assert _user(database, personas.admin.user.id).is_active
    runner = CliRunner()
    result = runner.invoke(cli, ["user", "deactivate", personas.admin.user.email])
    assert result.exit_code == 1
    assert "quản trị viên cuối cùng" in result.stderr
    assert _signed_in(admin)


def test_after_a_reset_the_user_can_only_change_the_password(
    database: Database, client: TestClient, personas, staff_client: Callable[..., Staff]
) -> None:
    officer_id = personas.officer_a.user.id
    before = staff_client(personas.officer_a)
    admin = staff_client(personas.admin)
    assert (
        admin.post(f"/admin/users/{officer_id}/password-reset", {"password": TEMPORARY}).status_code
        == 422
    )
    response = admin.post(
        f"/admin/users/{officer_id}/password-reset", {"password": TEMPORARY, "confirm": "yes"}
    )
    assert response.status_code == 303
    assert "phải đổi mật khẩu khi đăng nhập" in admin.get(f"/admin/users/{officer_id}").text
    assert not _signed_in(before)
    [entry] = _audit(database, "password_reset")
    assert entry.detail["sessions"] == 1
    assert staff_client().login(personas.officer_a.user.email, personas.officer_a.password)
    officer = staff_client()
    signed = officer.login(personas.officer_a.user.email, TEMPORARY, next="/cases")
    assert signed.status_code == 303
    assert signed.headers["location"] == "/account/password"
    for url in ("/inbox", "/cases", "/account", "/conversations/1"):
        response = officer.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"] == "/account/password"
    polled = officer.get("/inbox/list", headers={"HX-Request": "true"})
    assert polled.headers["HX-Redirect"] == "/account/password"
    assert "Quản trị viên đã đặt lại mật khẩu" in officer.get("/account/password").text
    api = client.get("/api/v1/me", headers=personas.officer_a.headers)
    assert api.status_code == 403
    changed = officer.post(
        "/account/password", {"current": TEMPORARY, "new": NEW_PASSWORD, "again": NEW_PASSWORD}
    )
    assert changed.status_code == 303
    assert changed.headers["location"] == "/inbox"
    assert _signed_in(officer)
    assert client.get("/api/v1/me", headers=personas.officer_a.headers).status_code == 200
    assert not _user(database, officer_id).must_change_password


def test_an_admin_revokes_every_token_of_an_account(
    database: Database, client: TestClient, personas, staff_client: Callable[..., Staff]
) -> None:
    officer_id = personas.officer_a.user.id
    admin = staff_client(personas.admin)
    assert "Mã API còn hiệu lực</dt><dd>1" in admin.get(f"/admin/users/{officer_id}").text
    response = admin.post(f"/admin/users/{officer_id}/tokens/revoke", {"confirm": "yes"})
    assert response.status_code == 303
    assert client.get("/api/v1/me", headers=personas.officer_a.headers).status_code == 401
    assert client.get("/api/v1/me", headers=personas.colleague_a.headers).status_code == 200
    [entry] = _audit(database, "token_revoke")
    assert entry.detail["tokens"] == 1
    assert entry.via == "web"


def test_only_admins_reach_the_lifecycle_actions(
    database: Database, client: TestClient, personas, staff_client: Callable[..., Staff]
) -> None:
    target = personas.colleague_a.user.id
    officer = staff_client(personas.officer_a)
    for action in ("deactivate", "activate", "password-reset", "tokens/revoke"):
        url = f"/admin/users/{target}/{action}"
        data = {"confirm": "yes", "password": TEMPORARY}
        assert officer.post(url, data).status_code == 404, action
        api = client.post(f"/api/v1/users/{target}/{action}", headers=personas.officer_a.headers)
        assert api.status_code in (403, 422), action
    assert client.post(f"/api/v1/users/{target}/deactivate").status_code == 401
    assert _user(database, target).is_active
    assert not _audit(database, "user_deactivate")


def test_the_api_deactivates_activates_resets_and_revokes(
    database: Database, client: TestClient, personas, staff_client: Callable[..., Staff]
) -> None:
    headers = personas.admin.headers
    target = personas.officer_a.user.id
    session = staff_client(personas.officer_a)
    off = client.post(f"/api/v1/users/{target}/deactivate", headers=headers)
    assert off.status_code == 200
    assert off.json()["is_active"] is False
    assert not _signed_in(session)
    assert client.get("/api/v1/me", headers=personas.officer_a.headers).status_code == 401
    on = client.post(f"/api/v1/users/{target}/activate", headers=headers)
    assert on.json()["is_active"] is True
    short = client.post(
        f"/api/v1/users/{target}/password-reset", headers=headers, json={"password": "short"}
    )
    assert short.status_code == 422
    assert short.json()["code"] == "invalid"
    reset = client.post(
        f"/api/v1/users/{target}/password-reset", headers=headers, json={"password": TEMPORARY}
    )
    assert reset.status_code == 200
    assert reset.json()["must_change_password"] is True
    revoked = client.post(f"/api/v1/users/{target}/tokens/revoke", headers=headers)
    assert revoked.json() == {"revoked": 1}
    again = client.post(f"/api/v1/users/{target}/tokens/revoke", headers=headers)
    assert again.json() == {"revoked": 0}
    assert client.post("/api/v1/users/424242/activate", headers=headers).status_code == 404
    mine = client.post(f"/api/v1/users/{personas.admin.user.id}/deactivate", headers=headers)
    assert mine.status_code == 422
    assert mine.json()["code"] == "self"
    with database.session() as session_:
        actions = set(
            session_.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.via == "api", AuditEntry.object_id == str(target)
                )
            )
        )
    assert actions == {"user_deactivate", "user_activate", "password_reset", "token_revoke"}


def test_the_command_line_revokes_deactivates_activates_and_resets(
    database: Database, client: TestClient, personas, staff_client: Callable[..., Staff]
) -> None:
    runner = CliRunner()
    email = personas.officer_a.user.email
    session = staff_client(personas.officer_a)
    revoked = runner.invoke(cli, ["token", "revoke", email])
    assert revoked.exit_code == 0, revoked.output
    assert f"Revoked 1 token(s) of {email}" in revoked.stdout
    assert client.get("/api/v1/me", headers=personas.officer_a.headers).status_code == 401
    off = runner.invoke(cli, ["user", "deactivate", email])
    assert off.exit_code == 0, off.output
    assert not _signed_in(session)
    assert staff_client().login(email, personas.officer_a.password).status_code == 400
    on = runner.invoke(cli, ["user", "activate", email.upper()])
    assert on.exit_code == 0, on.output
    assert staff_client().login(email, personas.officer_a.password).status_code == 303
    reset = runner.invoke(cli, ["user", "reset-password", email], input=f"{TEMPORARY}\n")
    assert reset.exit_code == 0, reset.output
    assert staff_client().login(email, personas.officer_a.password).status_code == 400
    forced = staff_client().login(email, TEMPORARY)
    assert forced.headers["location"] == "/account/password"
    short = runner.invoke(cli, ["user", "reset-password", email], input="short\n")
    assert short.exit_code == 1
    assert "ít nhất 8" in short.stderr
    unknown = runner.invoke(cli, ["token", "revoke", "nobody@tq.gov.vn"])
    assert unknown.exit_code == 1
    assert "Không có tài khoản nobody@tq.gov.vn" in unknown.stderr
    with database.session() as session_:
        entries = session_.scalars(select(AuditEntry).where(AuditEntry.via == "cli")).all()
        actions = [e.action for e in entries if e.action not in ("user_create", "token_create")]
    assert actions == ["token_revoke", "user_deactivate", "user_activate", "password_reset"]
