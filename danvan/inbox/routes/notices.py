"""The staff pages of notices: the daily list of calls to make ("Gọi điện cho người dân", the
notices no channel could carry) and the admin page of template messages (ZNS templates read from
Zalo, which template carries each notice kind, the daily quota and any hold).

Thin routes over `danvan.inbox.calls` and `danvan.inbox.notice_templates`; every POST carries the
session's CSRF token.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import Response

from danvan.inbox import calls, notice_templates
from danvan.inbox.notices import FIELDS
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.web.deps import CsrfDep, SessionDep, SettingsDep, get_database_dep
from danvan.web.pages import (
    AdminActor,
    StaffActor,
    StaffRoute,
    flash,
    page,
    redirect,
    remember_session,
    safe_next,
)

router = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)


def _day(value: str, timezone: str) -> datetime | None:
    """The local day asked for (YYYY-MM-DD), today by default; None for "every open task"."""
    if value == "all":
        return None
    zone = ZoneInfo(timezone)
    try:
        day = date.fromisoformat(value) if value else utcnow().astimezone(zone).date()
    except ValueError:
        day = utcnow().astimezone(zone).date()
    return datetime.combine(day, time(0), tzinfo=zone)


@router.get("/inbox/calls")
def call_list(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep, day: str = ""
) -> Response:
    """Today's calls to make (or another day's, or every open one with `day=all`)."""
    chosen = _day(day[:10], settings.timezone)
    tasks = calls.daily_list(
        session,
        actor=actor,
        day=chosen,
        timezone=settings.timezone,
        status=calls.OPEN if chosen is None else None,
    )
    return page(
        request,
        session,
        actor,
        "staff/calls.html",
        {
            "nav": "calls",
            "tasks": tasks,
            "day": chosen.date().isoformat() if chosen else "all",
            "can_write": actor.can_write,
            "open_count": calls.count_open(session, actor=actor),
        },
    )


@router.post("/inbox/calls/{task_id}/done", dependencies=[CsrfDep])
def call_done(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    task_id: int,
    outcome: Annotated[str, Form(max_length=calls.MAX_OUTCOME)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The officer called the citizen."""
    task = calls.access_task(session, actor=actor, task_id=task_id)
    calls.do_complete(session, actor=actor, task=task, outcome=outcome)
    flash(request, "notices.flash.called")
    return redirect(safe_next(next, "/inbox/calls"))


# --- admin: template messages -------------------------------------------------------------------


@router.get("/admin/zns")
def zns_admin(request: Request, session: SessionDep, actor: AdminActor) -> Response:
    """Template messages: the kinds and their templates, the OA's templates, quota and hold."""
    return page(
        request,
        session,
        actor,
        "staff/zns.html",
        {
            "nav": "zns",
            "kinds": notice_templates.report(session),
            "templates": notice_templates.templates(session),
            "account": notice_templates.account(session),
            "now": utcnow(),
        },
    )


@router.post("/admin/zns/sync", dependencies=[CsrfDep])
def zns_sync(
    request: Request,
    actor: AdminActor,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> Response:
    """Read the OA's templates and quota from Zalo, once this request's transaction is over
    (the token store opens its own)."""
    background.add_task(
        notice_templates.sync_in_background,
        get_database_dep(request),
        settings,
        user_id=actor.user.id,
        via="web",
    )
    flash(request, "notices.flash.synced")
    return redirect("/admin/zns")


@router.post("/admin/zns/kinds/{kind}", dependencies=[CsrfDep])
def zns_map(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    kind: str,
    template_id: Annotated[str, Form(max_length=32)] = "",
    param_name: Annotated[list[str] | None, Form(max_length=64)] = None,
    param_field: Annotated[list[str] | None, Form(max_length=64)] = None,
) -> Response:
    """Map a notice kind to a template (empty: no template); `param_name[i]` takes the notice
    field `param_field[i]`."""
    if kind not in FIELDS:
        raise Invalid("Loại thông báo không hợp lệ", code="kind")
    params = dict(zip(param_name or [], param_field or [], strict=False))
    if not template_id.strip():
        notice_templates.do_unmap_kind(session, actor=actor, kind=kind)
    else:
        notice_templates.do_map_kind(
            session, actor=actor, kind=kind, template_id=template_id, params=params
        )
    flash(request, "notices.flash.mapped")
    return redirect(f"/admin/zns#kind-{kind}")
