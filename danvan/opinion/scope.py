"""Which aggregates a staff member may read: the dashboard and the reports share this.

The scope rule is `Actor.sees_commune` / `Actor.commune_filter`. On top of it, a *wide* view (the
whole province for an officer, or anything published) reads province-wide figures with every
count under `SUPPRESS_BELOW` hidden, and still shows messages (quotes, issues) from the actor's
own communes only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false
from sqlalchemy.orm import InstrumentedAttribute

from danvan.accounts.actors import Actor
from danvan.kernel import geo
from danvan.kernel.errors import NotFound
from danvan.opinion.models import ALL_COMMUNES

SUPPRESS_BELOW = 5


@dataclass(frozen=True)
class View:
    codes: tuple[int, ...]  # rollup commune codes to sum (ALL_COMMUNES for the province)
    communes: tuple[int, ...] | None  # communes listed one by one (None: every one)
    commune_code: int | None  # the one commune chosen, if any
    suppress: bool  # counts under SUPPRESS_BELOW are hidden
    name: str  # "Tỉnh Tuyên Quang", "Xã Minh Quang", "Các xã: …"
    actor: Actor

    def messages(self, column: InstrumentedAttribute[int | None]) -> ColumnElement[bool]:
        """Which messages (quotes, issues, drill-down) may be shown: never beyond the actor's
        own scope, whatever the figures' reach."""
        if self.commune_code is not None:
            if not self.actor.sees_commune(self.commune_code):
                return false()
            return column == self.commune_code
        return self.actor.commune_filter(column)

    def count(self, n: int | None) -> int | None:
        """`n`, or None (shown "<5") when the view suppresses small counts."""
        if n is None:
            return None
        return None if self.suppress and 0 < n < SUPPRESS_BELOW else n


def province_title(province_code: int) -> str:
    """ "Tỉnh Tuyên Quang" (the package names provinces without their prefix)."""
    name = geo.province(province_code).name
    return name if name.startswith(("Tỉnh ", "Thành phố ")) else f"Tỉnh {name}"


def view_for(
    actor: Actor,
    *,
    province_code: int,
    commune_code: int | None = None,
    wide: bool = False,
    public: bool = False,
) -> View:
    """The view of `actor`: one commune (in scope, else NotFound), their communes, or, with
    `wide` (or for an admin), the whole province."""
    if commune_code is not None:
        if not actor.sees_commune(commune_code):
            raise NotFound("Không tìm thấy xã/phường này trong phạm vi của bạn")
        return View(
            codes=(commune_code,),
            communes=(commune_code,),
            commune_code=commune_code,
            suppress=public,
            name=geo.commune_name(commune_code) or str(commune_code),
            actor=actor,
        )
    province = province_title(province_code)
    if actor.is_admin or wide:
        return View(
            codes=(ALL_COMMUNES,),
            communes=None,
            commune_code=None,
            suppress=public or not actor.is_admin,
            name=province,
            actor=actor,
        )
    own: Sequence[int] = sorted(actor.user.commune_codes)
    names = ", ".join(geo.commune_name(c) or str(c) for c in own)
    return View(
        codes=tuple(own),
        communes=tuple(own),
        commune_code=None,
        suppress=public,
        name=names or province,
        actor=actor,
    )
