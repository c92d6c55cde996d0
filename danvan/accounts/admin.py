"""What admins read of accounts: the staff list, one account, and the audit log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.accounts.models import AuditEntry, User
from danvan.kernel.errors import NotFound


def list_users(session: Session, *, actor: Actor) -> list[User]:
    actor.require_admin()
    return list(session.scalars(select(User).order_by(User.role, User.full_name, User.email)))


def access_user(session: Session, *, actor: Actor, user_id: int) -> User:
    actor.require_admin()
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy tài khoản")
    return user


def list_audit(
    session: Session,
    *,
    actor: Actor,
    action: str | None = None,
    actor_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Recent audit entries, newest first (admins only)."""
    actor.require_admin()
    stmt = select(AuditEntry)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    stmt = stmt.order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 500)))
    return list(session.scalars(stmt))


def audit_actions(session: Session, *, actor: Actor) -> list[str]:
    actor.require_admin()
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
