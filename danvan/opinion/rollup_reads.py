"""Reading the daily rollups (`OpinionRollup`) for the dashboard and the situation reports:
sums over days and communes, one pass per read whatever the number of windows. The rows are
written by the `opinion-rollups` job (danvan.opinion.rollups)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from danvan.opinion.models import ALL_COMMUNES, OpinionRollup


def totals(
    session: Session, *, codes: Sequence[int], start: date, end: date
) -> Counter[tuple[str, str]]:
    """{(dim, value): count} over the days [start, end) and the rollup communes `codes`."""
    r = OpinionRollup
    result: Counter[tuple[str, str]] = Counter()
    if not codes:
        return result
    for dim, value, n in session.execute(
        select(r.dim, r.value, func.sum(r.count))
        .where(r.commune_code.in_(codes), r.day >= start, r.day < end)
        .group_by(r.dim, r.value)
    ):
        result[(str(dim), str(value))] = int(n or 0)
    return result


def totals_windows(
    session: Session, *, codes: Sequence[int], windows: dict[str, tuple[date, date]]
) -> dict[str, Counter[tuple[str, str]]]:
    """{window name: {(dim, value): count}} for several day ranges [start, end), in one pass."""
    r = OpinionRollup
    names = list(windows)
    result: dict[str, Counter[tuple[str, str]]] = {n: Counter() for n in names}
    if not codes:
        return result
    low = min(s for s, _e in windows.values())
    high = max(e for _s, e in windows.values())
    sums = [
        func.sum(case((and_(r.day >= s, r.day < e), r.count), else_=0))
        for s, e in (windows[n] for n in names)
    ]
    for dim, value, *counts in session.execute(
        select(r.dim, r.value, *sums)
        .where(r.commune_code.in_(codes), r.day >= low, r.day < high)
        .group_by(r.dim, r.value)
    ):
        for name, n in zip(names, counts, strict=True):
            if n:
                result[name][(str(dim), str(value))] = int(n)
    return result


def daily(
    session: Session, *, codes: Sequence[int], start: date, end: date, dim: str
) -> dict[tuple[date, str], int]:
    """{(day, value): count} of one dimension over [start, end)."""
    r = OpinionRollup
    if not codes:
        return {}
    return {
        (day, str(value)): int(n or 0)
        for day, value, n in session.execute(
            select(r.day, r.value, func.sum(r.count))
            .where(r.commune_code.in_(codes), r.dim == dim, r.day >= start, r.day < end)
            .group_by(r.day, r.value)
        )
    }


def by_commune(
    session: Session, *, codes: Sequence[int] | None, start: date, end: date, dims: Sequence[str]
) -> dict[int, Counter[tuple[str, str]]]:
    """{commune code (NO_COMMUNE for triage): {(dim, value): count}}; every commune when
    `codes` is None."""
    windows = by_commune_windows(session, codes=codes, windows={"": (start, end)}, dims=dims)
    return {code: found[""] for code, found in windows.items()}


def by_commune_windows(
    session: Session,
    *,
    codes: Sequence[int] | None,
    windows: dict[str, tuple[date, date]],
    dims: Sequence[str],
    only: Sequence[tuple[str, str]] = (),
) -> dict[int, dict[str, Counter[tuple[str, str]]]]:
    """Per commune, {window name: {(dim, value): count}} for several day ranges [start, end),
    in one pass over the rollups; `only` keeps just these (dim, value) pairs."""
    r = OpinionRollup
    if codes is not None and not codes:
        return {}
    low = min(s for s, _e in windows.values())
    high = max(e for _s, e in windows.values())
    names = list(windows)
    sums = [
        func.sum(case((and_(r.day >= s, r.day < e), r.count), else_=0))
        for s, e in (windows[n] for n in names)
    ]
    query = (
        select(r.commune_code, r.dim, r.value, *sums)
        .where(r.dim.in_(dims), r.day >= low, r.day < high)
        .group_by(r.commune_code, r.dim, r.value)
        # After ANALYZE, SQLite prefers a skip-scan of the commune index, reading every
        # dimension (ten times the rows); the dimension index is the right one.
        .with_hint(r, "INDEXED BY ix_opinion_rollups_dim_day", "sqlite")
    )
    if only:
        query = query.where(or_(*(and_(r.dim == d, r.value == v) for d, v in only)))
    if codes is None:
        query = query.where(r.commune_code != ALL_COMMUNES)
    else:
        query = query.where(r.commune_code.in_(codes))
    result: dict[int, dict[str, Counter[tuple[str, str]]]] = {}
    for code, dim, value, *counts in session.execute(query):
        per = result.setdefault(int(code), {n: Counter() for n in names})
        for name, n in zip(names, counts, strict=True):
            if n:
                per[name][(str(dim), str(value))] = int(n)
    return result
