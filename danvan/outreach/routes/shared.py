"""What the outreach area's pages share: the id in a path, form fields parsed (commune codes, a
`datetime-local` time) and the context of staff pages (the tab, the actor's communes, results
scoped to them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path

from danvan.accounts.actors import Actor
from danvan.kernel import geo
from danvan.kernel.errors import Invalid
from danvan.kernel.settings import Settings
from danvan.outreach import broadcasts
from danvan.outreach.items import scoped_results
from danvan.web.api import MAX_DB_INT

Id = Annotated[int, Path(ge=1, le=MAX_DB_INT)]


def communes(actor: Actor, province: int) -> list[geo.Commune]:
    """The communes of the province that the actor sees."""
    return [c for c in geo.province(province).communes if actor.sees_commune(c.code)]


def ints(values: list[str]) -> list[int]:
    """Commune codes from form fields; refused unless each is a number."""
    out = []
    for value in values:
        if not value.strip().isdigit() or len(value) > 9:
            raise Invalid("Mã xã không hợp lệ", code="bad_commune")
        out.append(int(value))
    return out


def local(value: str, settings: Settings) -> datetime | None:
    """A `datetime-local` field, in Vietnam's time."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid("Thời gian không hợp lệ", code="bad_time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=broadcasts.LOCAL)
    return parsed.astimezone(UTC)


def scoped(actor: Actor, results: dict[str, Any]) -> dict[str, Any]:
    """Results as the actor may read them: their communes' rows, totals over those rows."""
    return scoped_results(actor, results)


def tabs(tab: str) -> dict[str, Any]:
    """The context that marks the outreach menu and the current tab."""
    return {"nav": "outreach", "tab": tab}
