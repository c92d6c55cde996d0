"""The opinion dashboard (/dashboard), its drill-down to messages and the situation report
downloads. Thin over `danvan.analytics`; every figure is read within the signed-in staff
member's scope (`danvan.opinion.scope`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from danvan.kernel import geo, taxonomy
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.opinion import dashboard as data
from danvan.opinion import progress
from danvan.opinion import situation as report
from danvan.opinion.report import do_situation_report, report_letterhead
from danvan.opinion.rollups import day_bounds, local_day, zone
from danvan.opinion.scope import view_for
from danvan.opinion.situation import FORMATS, Period
from danvan.web.deps import CsrfDep, SessionDep, SettingsDep
from danvan.web.pages import StaffActor, StaffRoute, optional_int, page, remember_session

router = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)

MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
}
REPORT_MONTHS = 6
REPORT_WEEKS = 8
REPORT_QUARTERS = 4
REPORT_YEARS = 2
# Bound of a heading field of the report form (the real limits, with a sentence saying so, are
# kernel/letterhead.py's).
LETTERHEAD_MAX = 300


def _days(value: str | None) -> int:
    number = optional_int(value, "Khoảng thời gian")
    if number is None:
        return 28
    if number not in data.PERIODS:
        raise Invalid("Khoảng thời gian phải là 7, 28 hoặc 90 ngày")
    return number


def _report_periods(today: date) -> list[tuple[str, list[Period]]]:
    """The periods the report form offers, newest first: (group key, periods) for months,
    ISO weeks, quarters and years (the CLI takes the same keys)."""
    months, weeks, quarters, years = [], [], [], []
    first = today.replace(day=1)
    for _ in range(REPORT_MONTHS):
        months.append(report.month(first.year, first.month))
        first = (first - timedelta(days=1)).replace(day=1)
    iso = today.isocalendar()
    current = report.week(iso.year, iso.week)
    for _ in range(REPORT_WEEKS):
        weeks.append(current)
        current = current.previous()
    current = report.quarter(today.year, (today.month - 1) // 3 + 1)
    for _ in range(REPORT_QUARTERS):
        quarters.append(current)
        current = current.previous()
    years = [report.year(today.year - i) for i in range(REPORT_YEARS)]
    return [("month", months), ("week", weeks), ("quarter", quarters), ("year", years)]


def _chart_points(trend: list[tuple[Any, int | None]], peak: int) -> list[dict[str, Any]]:
    """Bars of the daily trend in a 0..100 × 0..40 viewBox."""
    n = max(len(trend), 1)
    width = 100.0 / n
    top = peak or 1
    points = []
    for i, (day, count) in enumerate(trend):
        height = 38.0 * (count or 0) / top
        points.append(
            {
                "x": round(i * width + width * 0.1, 2),
                "w": round(width * 0.8, 2),
                "y": round(40 - height, 2),
                "h": round(height, 2),
                "day": day,
                "count": count,
            }
        )
    return points


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    days: str | None = None,
    commune: str | None = None,
) -> Response:
    period = _days(days)
    commune_code = optional_int(commune, "Xã/phường")
    view = view_for(actor, province_code=settings.province, commune_code=commune_code)
    now = utcnow()
    today = local_day(now, zone(settings.timezone))
    figures = data.overview(session, view=view, today=today, days=period)
    issues = data.issues(session, view=view)
    alerts = data.alerts(session, view=view, now=now)
    fresh = sum(1 for a in alerts if a.created_at > now - timedelta(hours=24))
    tz = zone(settings.timezone)
    checked = view.count(
        report.confirmed(
            session,
            view=view,
            start=day_bounds(figures["start"], tz)[0],
            end=day_bounds(today, tz)[1],
        )
    )
    if actor.is_admin:
        choices = [
            c
            for c in geo.province(settings.province).communes
            if any(row["code"] == c.code for row in figures["communes"])
        ] or list(geo.province(settings.province).communes)
    else:
        found = [geo.get_commune(code) for code in actor.user.commune_codes]
        choices = sorted((c for c in found if c is not None), key=lambda c: c.name)
    return page(
        request,
        session,
        actor,
        "dashboard/index.html",
        {
            "nav": "dashboard",
            "view": view,
            "f": figures,
            "trend_points": _chart_points(figures["trend"], figures["trend_peak"]),
            "issues": issues,
            "alerts": alerts,
            "fresh_alerts": fresh,
            "topic_names": {t.code: t for t in taxonomy.topics()},
            "periods": data.PERIODS,
            "days": period,
            "commune_code": commune_code,
            "communes": choices,
            "report_periods": _report_periods(today),
            "letterhead": report_letterhead(
                settings,
                actor=actor,
                day=today,
                province_code=settings.province,
                commune_code=commune_code,
            ).as_fields(),
            "formats": FORMATS,
            "can_wide": not actor.is_admin,
            "checked": "<5" if checked is None else checked,
            "labelling": progress.read(session),
        },
    )


@router.get("/dashboard/messages")
def dashboard_messages(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    days: str | None = None,
    commune: str | None = None,
    topic: str | None = None,
    sentiment: str | None = None,
    kind: str | None = None,
    channel: str | None = None,
    issue: str | None = None,
) -> Response:
    """The messages behind a figure (newest first), each linking to its conversation."""
    period = _days(days)
    commune_code = optional_int(commune, "Xã/phường")
    issue_id = optional_int(issue, "Vấn đề")
    view = view_for(actor, province_code=settings.province, commune_code=commune_code)
    codes = {t.code for t in taxonomy.topics()}
    filters = {
        "topic": topic if topic in codes else None,
        "sentiment": sentiment if sentiment in taxonomy.SENTIMENTS else None,
        "kind": kind if kind in taxonomy.KINDS else None,
        "channel": channel if channel in ("zalo_oa", "zalo_bot", "web") else None,
    }
    rows = data.drill_down(
        session,
        view=view,
        since=utcnow() - timedelta(days=period),
        commune_code=commune_code,
        issue_id=issue_id,
        topic=filters["topic"],
        sentiment=filters["sentiment"],
        kind=filters["kind"],
        channel=filters["channel"],
    )
    return page(
        request,
        session,
        actor,
        "dashboard/messages.html",
        {
            "nav": "dashboard",
            "rows": rows,
            "filters": filters,
            "days": period,
            "commune_code": commune_code,
            "issue_id": issue_id,
            "topic_names": {t.code: t for t in taxonomy.topics()},
            "limit": data.DRILL_LIMIT,
        },
    )


@router.post("/dashboard/report", dependencies=[CsrfDep])
async def dashboard_report(
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    period: Annotated[str, Form(max_length=20)],
    fmt: Annotated[str, Form(alias="format", max_length=10)],
    commune: Annotated[str, Form(max_length=20)] = "",
    wide: Annotated[str, Form(max_length=5)] = "",
    superior: Annotated[str, Form(max_length=LETTERHEAD_MAX)] = "",
    issuer: Annotated[str, Form(max_length=LETTERHEAD_MAX)] = "",
    number: Annotated[str, Form(max_length=LETTERHEAD_MAX)] = "",
    symbol: Annotated[str, Form(max_length=LETTERHEAD_MAX)] = "",
    place: Annotated[str, Form(max_length=LETTERHEAD_MAX)] = "",
    signer_title: Annotated[str, Form(max_length=LETTERHEAD_MAX)] = "",
    signer_name: Annotated[str, Form(max_length=LETTERHEAD_MAX)] = "",
    recipients: Annotated[str, Form(max_length=LETTERHEAD_MAX * 8)] = "",
) -> Response:
    """The situation report as a file download (the audit log records it). The heading's
    fields (issuer, number and symbol, place, signer, recipients) left empty take the default
    of the actor's scope and the deployment's settings (kernel/letterhead.py); each is checked
    there, with a sentence saying what is wrong."""
    commune_code = optional_int(commune, "Xã/phường")
    letterhead = {
        "superior": superior,
        "issuer": issuer,
        "number": number,
        "symbol": symbol,
        "place": place,
        "signer_title": signer_title,
        "signer_name": signer_name,
        "recipients": recipients,
    }
    content, name = await run_in_threadpool(
        do_situation_report,
        session,
        actor=actor,
        province_code=settings.province,
        tz_name=settings.timezone,
        period=period,
        fmt=fmt,
        commune_code=commune_code,
        wide=bool(wide) and commune_code is None,
        settings=settings,
        letterhead=letterhead,
    )
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
