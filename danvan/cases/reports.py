"""Case figures over a period within the actor's scope: totals for the situation report and the
API, and breakdowns per commune, unit or category (the XLSX export builds on them)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.cases import rules as rules
from danvan.cases.access import is_overdue, visible
from danvan.cases.models import Case
from danvan.cases.units import list_units
from danvan.kernel import geo, taxonomy
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 3600


def _figures(cases: Iterable[Case], now: datetime) -> dict[str, Any]:
    rows = list(cases)
    answered = [c for c in rows if c.answered_at is not None]
    first = [h for c in rows if (h := _hours(c.received_at, c.first_response_at)) is not None]
    to_answer = [h for c in answered if (h := _hours(c.received_at, c.answered_at)) is not None]
    ratings = [c.rating for c in rows if c.rating is not None]
    return {
        "received": len(rows),
        "answered": len(answered),
        "answered_on_time": sum(
            1 for c in answered if c.answered_at is not None and c.answered_at <= c.due_at
        ),
        "open": sum(1 for c in rows if c.status_kind == rules.OPEN),
        "overdue": sum(1 for c in rows if is_overdue(c, now)),
        "median_hours_to_first_response": round(median(first), 2) if first else None,
        "median_hours_to_answer": round(median(to_answer), 2) if to_answer else None,
        "satisfaction_average": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "satisfaction_count": len(ratings),
    }


def report_cases(
    session: Session,
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    commune_code: int | None = None,
    unit_id: int | None = None,
    category: str | None = None,
) -> list[Case]:
    stmt = visible(session, actor).where(
        Case.received_at >= start, Case.received_at < end, Case.merged_into_id.is_(None)
    )
    if commune_code is not None:
        stmt = stmt.where(Case.commune_code == commune_code)
    if unit_id is not None:
        stmt = stmt.where(Case.unit_id == unit_id)
    if category:
        stmt = stmt.where(Case.category == category)
    return list(session.scalars(stmt.order_by(Case.received_at, Case.id)))


def report_figures(
    session: Session,
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    commune_code: int | None = None,
) -> dict[str, Any]:
    """Case figures for reports over [start, end), within the actor's scope (the situation
    report calls this). Keys: received, answered, answered_on_time, open, overdue,
    median_hours_to_first_response, median_hours_to_answer (float | None), satisfaction_average
    (float | None), satisfaction_count, by_commune: [{commune_code, received, answered,
    answered_on_time, open, overdue}]."""
    now = utcnow()
    cases = report_cases(session, actor=actor, start=start, end=end, commune_code=commune_code)
    figures = _figures(cases, now)
    by: dict[int | None, list[Case]] = {}
    for case in cases:
        by.setdefault(case.commune_code, []).append(case)
    figures["by_commune"] = [
        {
            "commune_code": code,
            **{
                k: v
                for k, v in _figures(group, now).items()
                if k in ("received", "answered", "answered_on_time", "open", "overdue")
            },
        }
        for code, group in sorted(by.items(), key=lambda item: (item[0] is None, item[0] or 0))
    ]
    return figures


def report_breakdown(
    session: Session,
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    by: str,
    commune_code: int | None = None,
    unit_id: int | None = None,
    category: str | None = None,
) -> list[dict[str, Any]]:
    """Figures per commune, unit or category (`by`), each row with every figure."""
    if by not in ("commune", "unit", "category"):
        raise Invalid("Nhóm báo cáo không hợp lệ", code="by")
    now = utcnow()
    cases = report_cases(
        session,
        actor=actor,
        start=start,
        end=end,
        commune_code=commune_code,
        unit_id=unit_id,
        category=category,
    )
    groups: dict[Any, list[Case]] = {}
    for case in cases:
        key = {"commune": case.commune_code, "unit": case.unit_id, "category": case.category}[by]
        groups.setdefault(key, []).append(case)
    units = {u.id: u.name for u in list_units(session)}
    rows = []
    for key, group in groups.items():
        if by == "commune":
            label = geo.commune_name(key) if key is not None else "—"
        elif by == "unit":
            label = units.get(key, "—") if key is not None else "—"
        else:
            label = taxonomy.topic_name(key)
        rows.append({"key": key, "label": label, **_figures(group, now)})
    return sorted(rows, key=lambda r: (-r["received"], str(r["label"])))
