"""The life of a staff account after it is made: deactivation and reactivation, a password
changed by its owner or reset by an admin (then changed at the next sign-in), API tokens
revoked, and "sign out everywhere". Every step is audited; the ones that take access away
revoke the account's sessions at once (`accounts.sessions`)."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from danvan.accounts import audit, throttle
from danvan.accounts.actors import Actor
from danvan.accounts.models import ApiToken, Role, User
from danvan.accounts.sessions import revoke_user_sessions
from danvan.accounts.staff import MIN_PASSWORD
from danvan.kernel.db import rowcount
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.security import hash_password, verify_password

MAX_PASSWORD = 1024  # argon2 on megabytes of input would be a cheap way to burn our CPU


def check_new_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid("Mật khẩu phải có ít nhất {n} ký tự", n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise Invalid("Mật khẩu dài quá {n} ký tự", n=MAX_PASSWORD)
    return password


def _record(
    session: Session, *, actor: Actor | None, action: str, user: User, **detail: object
) -> None:
    audit.record(
        session,
        actor=actor,
        via=actor.via if actor else "cli",
        action=action,
        object_type="user",
        object_id=user.id,
        detail={"email": user.email, **detail},
    )


def do_set_active(session: Session, *, actor: Actor | None, user: User, active: bool) -> None:
    """Deactivate (sessions end at once, tokens stop working, no sign-in) or reactivate an
    account. `actor` None: the command line. Nobody deactivates themselves or the last admin."""
    if actor is not None:
        actor.require_admin()
    if user.is_active == active:
        return
    if not active:
        if actor is not None and actor.user.id == user.id:
            raise Invalid("Không thể tự khoá tài khoản của mình", code="self")
        if user.role == Role.ADMIN:
            others = session.scalar(
                select(func.count())
                .select_from(User)
                .where(User.role == Role.ADMIN, User.is_active.is_(True), User.id != user.id)
            )
            if not others:
                raise Invalid("Không thể khoá quản trị viên cuối cùng", code="last_admin")
    user.is_active = active
    sessions = 0 if active else revoke_user_sessions(session, user_id=user.id)
    _record(
        session,
        actor=actor,
        action="user_activate" if active else "user_deactivate",
        user=user,
        **({} if active else {"sessions": sessions}),
    )


def do_reset_password(session: Session, *, actor: Actor | None, user: User, password: str) -> None:
    """An admin sets a temporary password: the account's sessions end, and once signed in
    with it the user can do nothing but choose a new one."""
    if actor is not None:
        actor.require_admin()
    user.password_hash = hash_password(check_new_password(password))
    user.must_change_password = True
    sessions = revoke_user_sessions(session, user_id=user.id)
    _record(session, actor=actor, action="password_reset", user=user, sessions=sessions)


def do_change_password(session: Session, *, actor: Actor, current: str, new: str) -> None:
    """The signed-in user changes their own password; every session of theirs ends (the
    route starts a new one for this browser). Wrong current passwords count as failed
    sign-ins of this client (`accounts.throttle`)."""
    user = actor.user
    throttle.check_login(session, email=user.email, ip=actor.ip)
    if len(current) > MAX_PASSWORD or not verify_password(user.password_hash, current):
        throttle.record_login_failure(session, email=user.email, ip=actor.ip)
        _record(session, actor=actor, action="password_change_failed", user=user)
        raise Invalid("Mật khẩu hiện tại không đúng", code="wrong_password")
    check_new_password(new)
    if new == current:
        raise Invalid("Mật khẩu mới phải khác mật khẩu hiện tại", code="same_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    sessions = revoke_user_sessions(session, user_id=user.id)
    _record(session, actor=actor, action="password_change", user=user, sessions=sessions)


def do_revoke_tokens(session: Session, *, actor: Actor | None, user: User) -> int:
    """Revoke every API token of `user`; how many were live."""
    if actor is not None:
        actor.require_admin()
    revoked = rowcount(
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow()),
            execution_options={"synchronize_session": False},
        )
    )
    _record(session, actor=actor, action="token_revoke", user=user, tokens=revoked)
    return revoked


def do_sign_out_everywhere(session: Session, *, actor: Actor) -> int:
    """End every session of the acting user, this one included."""
    sessions = revoke_user_sessions(session, user_id=actor.user.id)
    _record(session, actor=actor, action="sessions_revoke", user=actor.user, sessions=sessions)
    return sessions


def live_token_count(session: Session, *, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        )
        or 0
    )
