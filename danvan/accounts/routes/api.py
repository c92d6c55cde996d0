"""The accounts' JSON API under /api/v1: who am I, staff accounts (admins) and the audit log.

Every route takes `ApiActor` (a bearer token; 401 without one) and `SessionDep` (one transaction,
committed before the response is sent). Errors are `{"detail": ..., "code": ...}` (web.api).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from danvan.accounts import admin, lifecycle
from danvan.accounts.models import AuditEntry, Role, User
from danvan.accounts.routes.schemas import (
    AuditOut,
    AuditPage,
    CommuneRef,
    MeOut,
    PasswordReset,
    TokensRevoked,
    UserCreate,
    UserOut,
    UserPatch,
)
from danvan.accounts.staff import do_create_user, do_set_role
from danvan.kernel.text import clean
from danvan.web.api import ERRORS, MAX_DB_INT, WRITE_ERRORS, ApiDateTime, ApiRoute, utc
from danvan.web.deps import ApiActor, SessionDep

router = APIRouter(
    prefix="/api/v1",
    tags=["api"],
    route_class=ApiRoute,
    responses=ERRORS,
)

UserId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
OptionalDbInt = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]


# --- me, users, audit -----------------------------------------------------------------------------


@router.get("/me")
def me(actor: ApiActor) -> MeOut:
    """The token's user: role and communes."""
    user = actor.user
    return MeOut(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=Role(user.role),
        locale=user.locale,
        communes=CommuneRef.of_codes(user.commune_codes),
    )


@router.get("/users", responses=WRITE_ERRORS)
def list_users(actor: ApiActor, session: SessionDep) -> list[UserOut]:
    """Every staff account (admins only)."""
    return [UserOut.of(u) for u in admin.list_users(session, actor=actor)]


@router.post("/users", status_code=201, responses=WRITE_ERRORS)
def create_user(actor: ApiActor, session: SessionDep, body: UserCreate) -> UserOut:
    """Create a staff account (admins only). Officers and viewers need at least one commune."""
    user = do_create_user(
        session,
        actor=actor,
        email=body.email,
        password=body.password,
        role=body.role.value,
        communes=body.communes,
        full_name=body.full_name,
    )
    return UserOut.of(user)


@router.patch("/users/{user_id}", responses=WRITE_ERRORS)
def patch_user(actor: ApiActor, session: SessionDep, user_id: UserId, body: UserPatch) -> UserOut:
    """Change a staff member's role and/or communes (admins only)."""
    user = admin.access_user(session, actor=actor, user_id=user_id)
    role = body.role.value if body.role is not None else user.role
    communes = body.communes if body.communes is not None else sorted(user.commune_codes)
    do_set_role(session, actor=actor, user=user, role=role, communes=communes)
    session.flush()
    return UserOut.of(user)


@router.post("/users/{user_id}/deactivate", responses=WRITE_ERRORS)
def deactivate_user(actor: ApiActor, session: SessionDep, user_id: UserId) -> UserOut:
    """Disable an account (admins only): its sessions end and its tokens stop working at once,
    and it cannot sign in. Not yourself, not the last admin."""
    user = admin.access_user(session, actor=actor, user_id=user_id)
    lifecycle.do_set_active(session, actor=actor, user=user, active=False)
    return UserOut.of(user)


@router.post("/users/{user_id}/activate", responses=WRITE_ERRORS)
def activate_user(actor: ApiActor, session: SessionDep, user_id: UserId) -> UserOut:
    """Enable a disabled account again (admins only); its unrevoked tokens work again."""
    user = admin.access_user(session, actor=actor, user_id=user_id)
    lifecycle.do_set_active(session, actor=actor, user=user, active=True)
    return UserOut.of(user)


@router.post("/users/{user_id}/password-reset", responses=WRITE_ERRORS)
def reset_password(
    actor: ApiActor, session: SessionDep, user_id: UserId, body: PasswordReset
) -> UserOut:
    """Set a temporary password (admins only): the account's sessions end, and until the user
    signs in and changes it, the account can do nothing else (its tokens get 403)."""
    user = admin.access_user(session, actor=actor, user_id=user_id)
    lifecycle.do_reset_password(session, actor=actor, user=user, password=body.password)
    return UserOut.of(user)


@router.post("/users/{user_id}/tokens/revoke", responses=WRITE_ERRORS)
def revoke_tokens(actor: ApiActor, session: SessionDep, user_id: UserId) -> TokensRevoked:
    """Revoke every API token of an account (admins only; your own included)."""
    user = admin.access_user(session, actor=actor, user_id=user_id)
    return TokensRevoked(revoked=lifecycle.do_revoke_tokens(session, actor=actor, user=user))


@router.get("/audit", responses=WRITE_ERRORS)
def list_audit(
    actor: ApiActor,
    session: SessionDep,
    actor_id: OptionalDbInt = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    object_type: Annotated[str | None, Query(max_length=32)] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    via: Annotated[str | None, Query(max_length=16)] = None,
    since: ApiDateTime | None = None,
    until: ApiDateTime | None = None,
    before_id: OptionalDbInt = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """The audit log, newest first (admins only). Follow `next_before_id` for older entries."""
    actor.require_admin()
    stmt = select(AuditEntry)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    for column, value in (
        (AuditEntry.action, action),
        (AuditEntry.object_type, object_type),
        (AuditEntry.object_id, object_id),
        (AuditEntry.via, via),
    ):
        if value is not None:
            stmt = stmt.where(column == clean(value))
    if (start := utc(since)) is not None:
        stmt = stmt.where(AuditEntry.at >= start)
    if (end := utc(until)) is not None:
        stmt = stmt.where(AuditEntry.at < end)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    entries = list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)))
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    users = (
        {u.id: u for u in session.scalars(select(User).where(User.id.in_(actor_ids)))}
        if actor_ids
        else {}
    )
    return AuditPage(
        items=[AuditOut.of(e, users.get(e.actor_id) if e.actor_id else None) for e in entries],
        next_before_id=entries[-1].id if len(entries) == limit else None,
    )
