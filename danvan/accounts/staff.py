"""Staff accounts: creation, sign-in, roles, communes and personal API tokens."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.accounts.models import ApiToken, Role, User, UserCommune
from danvan.kernel import geo
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.security import (
    DUMMY_HASH,
    hash_api_token,
    hash_password,
    new_api_token,
    verify_password,
)

MIN_PASSWORD = 8


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or " " in email:
        raise Invalid("Địa chỉ e-mail không hợp lệ")
    return email


def check_communes(codes: Iterable[int]) -> list[int]:
    result = []
    for code in codes:
        if geo.get_commune(code) is None:
            raise Invalid("Mã xã/phường không tồn tại: {commune}", commune=code)
        result.append(code)
    return sorted(set(result))


def do_create_user(
    session: Session,
    *,
    actor: Actor | None,
    email: str,
    password: str,
    role: str,
    communes: Iterable[int] = (),
    full_name: str = "",
) -> User:
    """Create a staff account. `actor` is None when the CLI bootstraps the first admin."""
    if actor is not None:
        actor.require_admin()
    email = normalize_email(email)
    if role not in {r.value for r in Role}:
        raise Invalid("Vai trò không hợp lệ: {role} (admin, officer, viewer)", role=role)
    if len(password) < MIN_PASSWORD:
        raise Invalid("Mật khẩu phải có ít nhất {n} ký tự", n=MIN_PASSWORD)
    codes = check_communes(communes)
    if role != Role.ADMIN and not codes:
        raise Invalid("Cán bộ xã (officer/viewer) cần ít nhất một xã/phường (--commune)")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Invalid("Đã có tài khoản {email}", email=email)
    user = User(
        email=email,
        full_name=full_name.strip()[:200],
        password_hash=hash_password(password),
        role=role,
        communes=[UserCommune(commune_code=c) for c in codes],
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        via=actor.via if actor else "cli",
        action="user_create",
        object_type="user",
        object_id=user.id,
        detail={"email": email, "role": role, "communes": codes},
    )
    return user


def do_set_role(
    session: Session, *, actor: Actor, user: User, role: str, communes: Iterable[int]
) -> None:
    actor.require_admin()
    if role not in {r.value for r in Role}:
        raise Invalid("Vai trò không hợp lệ")
    codes = check_communes(communes)
    if role != Role.ADMIN and not codes:
        raise Invalid("Cán bộ xã (officer/viewer) cần ít nhất một xã/phường", code="no_commune")
    if user.role == Role.ADMIN and role != Role.ADMIN:
        others = session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN, User.is_active.is_(True), User.id != user.id)
        )
        if not others:
            raise Invalid("Không thể bỏ quyền của quản trị viên cuối cùng", code="last_admin")
    old = {"role": user.role, "communes": sorted(user.commune_codes)}
    user.role = role
    # Keep the rows that stay, so the unique (user, commune) pair is never inserted twice.
    wanted = set(codes)
    user.communes = [c for c in user.communes if c.commune_code in wanted]
    have = {c.commune_code for c in user.communes}
    user.communes.extend(UserCommune(commune_code=c) for c in codes if c not in have)
    audit.record(
        session,
        actor=actor,
        action="role_change",
        object_type="user",
        object_id=user.id,
        detail={"from": old, "to": {"role": role, "communes": codes}},
    )


def get_user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound("Không có tài khoản {email}", email=email)
    return user


def authenticate(session: Session, *, email: str, password: str, ip: str = "") -> User | None:
    """The active user with these credentials, or None. Records the login in the audit log."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        verify_password(DUMMY_HASH, password)  # same cost either way
        audit.record(
            session,
            actor=None,
            via="web",
            action="login_failed",
            detail={"email": email[:254]},
            ip=ip,
        )
        return None
    if not verify_password(user.password_hash, password):
        audit.record(
            session,
            actor=Actor(user, ip=ip),
            action="login_failed",
            object_type="user",
            object_id=user.id,
        )
        return None
    user.last_login_at = utcnow()
    audit.record(
        session, actor=Actor(user, ip=ip), action="login", object_type="user", object_id=user.id
    )
    return user


def do_create_token(session: Session, *, user: User, name: str = "", via: str = "cli") -> str:
    """Create a personal API token and return it; only its hash is kept."""
    token = new_api_token()
    session.add(ApiToken(user_id=user.id, name=name[:100], token_hash=hash_api_token(token)))
    audit.record(
        session,
        actor=Actor(user, via=via),
        action="token_create",
        object_type="user",
        object_id=user.id,
    )
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_api_token(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None or not row.user.is_active:
        return None
    row.last_used_at = utcnow()
    return row.user
