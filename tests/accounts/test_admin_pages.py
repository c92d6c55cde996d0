"""Admin pages: staff accounts (create, role and communes) and the audit log."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select

from danvan.accounts.models import AuditEntry, User
from danvan.kernel.db import Database
from danvan.testing.staff import Staff


def _user(database: Database, email: str) -> User | None:
    with database.session() as session:
        return session.scalar(select(User).where(User.email == email))


def test_an_admin_creates_an_officer_with_communes_and_it_is_audited(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    admin = staff_client(personas.admin)
    page = admin.get("/admin/users").text
    assert "Nguyễn Văn An" in page
    assert "Xã Minh Quang" in page
    response = admin.post(
        "/admin/users",
        {
            "email": "Dung@MinhQuang.tq.gov.vn",
            "full_name": "Đỗ Thị Dung",
            "password": "mật khẩu đủ dài",
            "role": "officer",
            "communes": ["2302", "2269"],
        },
    )
    assert response.status_code == 303
    user = _user(database, "dung@minhquang.tq.gov.vn")
    assert user is not None
    assert user.role == "officer"
    assert user.commune_codes == {2302, 2269}
    with database.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user_create")).all()[
            -1
        ]
        assert entry.actor_id == personas.admin.user.id
        assert entry.via == "web"
    assert "Đã tạo tài khoản." in admin.get("/admin/users").text
    # The new officer can sign in.
    assert staff_client().login("dung@minhquang.tq.gov.vn", "mật khẩu đủ dài").status_code == 303


def test_bad_account_data_shows_the_error_and_keeps_the_form(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    admin = staff_client(personas.admin)
    cases = [
        ({"email": "khong-hop-le", "password": "long enough", "role": "admin"}, "e-mail"),
        ({"email": "a@b.vn", "password": "short", "role": "admin"}, "ít nhất 8"),
        ({"email": "a@b.vn", "password": "long enough", "role": "officer"}, "ít nhất một xã"),
        (
            {"email": personas.officer_a.user.email, "password": "long enough", "role": "admin"},
            "Đã có",
        ),
        (
            {"email": "a@b.vn", "password": "long enough", "role": "officer", "communes": ["xyz"]},
            "không hợp lệ",
        ),
        ({"email": "a@b.vn", "password": "long enough", "role": "king"}, "Vai trò"),
    ]
    for data, message in cases:
        response = admin.post("/admin/users", {"full_name": "Người Thử", **data})
        assert response.status_code == 422, data
        assert message in response.text, data
        assert 'value="Người Thử"' in response.text
    assert _user(database, "a@b.vn") is None


def test_an_admin_changes_a_role_and_communes_and_it_is_audited(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    admin = staff_client(personas.admin)
    viewer_id = personas.viewer_a.user.id
    page = admin.get(f"/admin/users/{viewer_id}").text
    assert 'name="communes" value="2302" checked' in page
    response = admin.post(f"/admin/users/{viewer_id}", {"role": "officer", "communes": ["2269"]})
    assert response.status_code == 303
    user = _user(database, personas.viewer_a.user.email)
    assert user is not None
    assert user.role == "officer"
    assert user.commune_codes == {2269}
    with database.session() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "role_change"))
        assert entry.detail["to"] == {"role": "officer", "communes": [2269]}
    assert admin.get("/admin/users/424242").status_code == 404
    assert admin.post(f"/admin/users/{viewer_id}", {"role": "emperor"}).status_code == 422


def test_the_audit_log_filters_by_action_and_user(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    staff_client(personas.officer_a)  # a login
    staff_client().login(personas.officer_b.user.email, "wrong password")
    admin = staff_client(personas.admin)
    everything = admin.get("/admin/audit").text
    # Actions by their Vietnamese names (the code stays in data-action), details summarised.
    assert 'data-action="login">Đăng nhập</td>' in everything
    assert 'data-action="login_failed">Đăng nhập sai</td>' in everything
    assert 'data-action="user_create">Tạo tài khoản</td>' in everything
    assert "<code>" not in everything
    assert '{"email"' not in everything
    assert "e-mail: " in everything
    only_failures = admin.get("/admin/audit?action=login_failed").text
    assert 'data-action="login_failed"' in only_failures
    assert 'data-action="login"' not in only_failures
    officer_a = admin.get(f"/admin/audit?user={personas.officer_a.user.id}").text
    rows = re.findall(r'data-action="(\w+)"', officer_a)
    assert set(rows) == {"login", "token_create"}  # the fixture made them an API token
    changing = {"role": "officer", "communes": ["2302"]}
    assert admin.post(f"/admin/users/{personas.viewer_a.user.id}", changing).status_code == 303
    changed = admin.get("/admin/audit?action=role_change").text
    assert "Cán bộ" in changed  # the role's name, not its code
    admin.post("/lang", {"locale": "en", "next": "/admin/audit"})
    assert 'data-action="login">Signed in</td>' in admin.get("/admin/audit").text
    assert "Nguyễn Văn An" in officer_a
    assert admin.get("/admin/audit?user=abc").status_code == 422
