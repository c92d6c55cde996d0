"""Who is acting, and what they may see. One scope rule for UI, API and CLI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import InstrumentedAttribute

from danvan.accounts.models import Role, User
from danvan.kernel.errors import Forbidden


@dataclass(frozen=True)
class Actor:
    user: User
    via: str = "web"  # web | api | cli | worker
    ip: str = ""

    @property
    def is_admin(self) -> bool:
        return self.user.role == Role.ADMIN

    @property
    def can_write(self) -> bool:
        return self.user.role in (Role.ADMIN, Role.OFFICER)

    def sees_commune(self, commune_code: int | None) -> bool:
        """Admins see everything, triage (no commune) included; others only their communes."""
        if self.is_admin:
            return True
        return commune_code is not None and commune_code in self.user.commune_codes

    def sees_any_commune(self, commune_codes: Iterable[int] | None) -> bool:
        """For items that span several communes (consultations, polls): admins see
        them all, others those that reach at least one of their communes."""
        return self.is_admin or any(self.sees_commune(code) for code in commune_codes or ())

    def commune_filter(self, column: InstrumentedAttribute[int | None]) -> ColumnElement[bool]:
        """The SQL condition matching what `sees_commune` allows."""
        if self.is_admin:
            return true()
        codes = sorted(self.user.commune_codes)
        return column.in_(codes) if codes else false()

    def sees_case(
        self, *, commune_code: int | None, case_units: frozenset[int], my_units: frozenset[int]
    ) -> bool:
        """Cases: the commune's staff (as `sees_commune`), and the members of every unit the
        case was routed or transferred to (`my_units`: the actor's units)."""
        return self.sees_commune(commune_code) or bool(case_units & my_units)

    def require_write(self) -> None:
        if not self.can_write:
            raise Forbidden("Tài khoản chỉ xem không thể thực hiện thao tác này")

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("Chỉ quản trị viên được thực hiện thao tác này")
