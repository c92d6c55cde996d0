"""JSON API schemas of accounts: staff, their communes, and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, Strict

from danvan.accounts.models import AuditEntry, Role, User
from danvan.kernel import geo
from danvan.web.api import CleanStr, DbId, Schema

# --- references ---------------------------------------------------------------------------


class UserRef(BaseModel):
    id: int
    full_name: str

    @classmethod
    def of(cls, user: User | None) -> UserRef | None:
        return None if user is None else cls(id=user.id, full_name=user.full_name)


class CommuneRef(BaseModel):
    code: int
    name: str

    @classmethod
    def of_codes(cls, codes: frozenset[int]) -> list[CommuneRef]:
        return [cls(code=c, name=geo.commune_name(c)) for c in sorted(codes)]


# --- staff ------------------------------------------------------------------------------------


class MeOut(BaseModel):
    id: int
    email: str
    full_name: str
    role: Role
    locale: str
    communes: list[CommuneRef]


class UserOut(BaseModel):
    id: int
    email: str
    full_name: str
    role: Role
    is_active: bool
    must_change_password: bool
    communes: list[CommuneRef]
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            full_name=user.full_name,
            role=Role(user.role),
            is_active=user.is_active,
            must_change_password=user.must_change_password,
            communes=CommuneRef.of_codes(user.commune_codes),
            created_at=user.created_at,
            last_login_at=user.last_login_at,
        )


# The role's value as JSON text (strict mode would want a `Role` object).
RoleIn = Annotated[Role, Strict(False)]


class UserCreate(Schema):
    email: CleanStr = Field(max_length=254)
    password: str = Field(max_length=1024)
    role: RoleIn
    communes: list[DbId] = Field(default_factory=list, max_length=500)
    full_name: CleanStr = Field(default="", max_length=200)


class UserPatch(Schema):
    role: RoleIn | None = None
    communes: list[DbId] | None = Field(default=None, max_length=500)


class PasswordReset(Schema):
    password: str = Field(
        max_length=1024, description="A temporary password (at least 8 characters)"
    )


class TokensRevoked(BaseModel):
    revoked: int = Field(description="How many live tokens were revoked")


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: UserRef | None
    via: str
    action: str
    object_type: str
    object_id: str
    detail: dict[str, Any]
    ip: str

    @classmethod
    def of(cls, entry: AuditEntry, actor: User | None) -> AuditOut:
        return cls(
            id=entry.id,
            at=entry.at,
            actor=UserRef.of(actor),
            via=entry.via,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            detail=entry.detail,
            ip=entry.ip,
        )


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_before_id: int | None = Field(description="Pass as `before_id` for the next page")
