"""Routes of the cases area: the staff pages (/cases) and, included here so that the app
includes one router, the public pages (`public`), the administration pages (`admin`) and the
JSON API (`api`). Thin over the cases logic (`danvan.cases.access`, `intake`, `lifecycle`…)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from danvan.cases import access, intake, lifecycle, reports, routing, similarity, tracking, units
from danvan.cases import events as case_events
from danvan.cases import rules as rules
from danvan.cases import xlsx as case_report
from danvan.cases.routes import admin, public
from danvan.cases.routes import api as case_api
from danvan.cases.routes.forms import int_or_none, read_form
from danvan.inbox import calls
from danvan.inbox.conversations import access_conversation
from danvan.kernel import clock, geo, taxonomy
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.web.deps import CsrfDep, SessionDep, SettingsDep
from danvan.web.i18n import locale_of
from danvan.web.pages import StaffActor, StaffRoute, flash, page, redirect, remember_session
from danvan.web.templating import render

router = APIRouter()
router.include_router(case_api.router)

staff = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)


# --- Staff: list ------------------------------------------------------------------------------


def _commune_choices(actor: Any, province: int) -> list[Any]:
    communes = geo.province(province).communes
    return [c for c in communes if actor.is_admin or c.code in actor.user.commune_codes]


@staff.get("/cases")
def cases_page(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    params = request.query_params
    filters = access.CaseFilter(
        status=params.get("status") or None,
        commune_code=int_or_none(params.get("commune")),
        unit_id=int_or_none(params.get("unit")),
        category=params.get("category") or None,
        overdue=params.get("overdue") == "1",
        open_only=params.get("open") == "1",
        assignee_id=actor.user.id if params.get("mine") == "1" else None,
        q=(params.get("q") or "")[:200] or None,
        limit=100,
        offset=max(0, int_or_none(params.get("offset")) or 0),
    )
    now = utcnow()
    items = access.list_cases(session, actor=actor, filters=filters, now=now)
    escalated = access.list_cases(
        session, actor=actor, filters=access.CaseFilter(overdue=True, limit=20), now=now
    )
    my_units = access.my_unit_ids(session, actor)
    heads = {u.id for u in units.list_units(session) if u.head_id == actor.user.id}
    return page(
        request,
        session,
        actor,
        "cases/list.html",
        {
            "nav": "cases",
            "items": items,
            "total": access.count_cases(session, actor=actor, filters=filters, now=now),
            "filters": dict(params),
            "statuses": rules.statuses(settings),
            "topics": taxonomy.topics(),
            "units": units.list_units(session),
            "communes": _commune_choices(actor, settings.province),
            "escalated": [
                c for c in escalated if c.escalated_at and (c.unit_id in heads or actor.is_admin)
            ],
            "my_units": my_units,
            "now": now,
            "status_name": lambda code: rules.status_name(
                settings, code, locale_of(request.session)
            ),
            "topic_name": lambda code: taxonomy.topic_name(code, locale_of(request.session)),
            "query": urlencode({k: v for k, v in params.items() if k != "offset"}),
        },
    )


@staff.get("/cases/export.xlsx")
def export_xlsx(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    params = request.query_params
    end = utcnow()
    days = int_or_none(params.get("days")) or 30
    data = case_report.workbook(
        session,
        actor=actor,
        settings=settings,
        start=end - timedelta(days=min(days, 3660)),
        end=end,
        commune_code=int_or_none(params.get("commune")),
        unit_id=int_or_none(params.get("unit")),
        category=params.get("category") or None,
    )
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="phan-anh.xlsx"'},
    )


@staff.get("/cases/report")
def report_page(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    params = request.query_params
    end = utcnow()
    days = min(int_or_none(params.get("days")) or 30, 3660)
    start = end - timedelta(days=days)
    by = str(params.get("by")) if params.get("by") in ("commune", "unit", "category") else "commune"
    return page(
        request,
        session,
        actor,
        "cases/report.html",
        {
            "nav": "cases",
            "days": days,
            "by": by,
            "totals": reports.report_figures(session, actor=actor, start=start, end=end),
            "rows": reports.report_breakdown(session, actor=actor, start=start, end=end, by=by),
        },
    )


# --- Staff: create ----------------------------------------------------------------------------


@staff.get("/cases/new")
def new_case_page(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    conversation_id = int_or_none(request.query_params.get("conversation"))
    conversation = None
    if conversation_id is not None:
        conversation = access_conversation(session, actor=actor, conversation_id=conversation_id)
    actor.require_write()
    return page(
        request,
        session,
        actor,
        "cases/new.html",
        {
            "nav": "cases",
            "conversation": conversation,
            "topics": taxonomy.topics(),
            "communes": _commune_choices(actor, settings.province),
            "selected_commune": conversation.commune_code if conversation else None,
            "suggested_category": _suggested_category(session, conversation),
            "priorities": intake.PRIORITIES,
        },
    )


def _suggested_category(session: Session, conversation: Any) -> str | None:
    """The classifier's topic of the citizen's latest analysed message, when there is one."""
    if conversation is None:
        return None
    from sqlalchemy import select

    from danvan.inbox.models import Message
    from danvan.opinion.models import MessageAnalysis

    return session.scalar(
        select(MessageAnalysis.topic)
        .join(Message, Message.id == MessageAnalysis.message_id)
        .where(Message.conversation_id == conversation.id)
        .order_by(Message.created_at.desc())
        .limit(1)
    )


@staff.post("/cases/new", dependencies=[CsrfDep])
async def new_case_submit(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    form = await request.form(max_files=0, max_fields=20)

    def text(name: str, limit: int = 40_000) -> str:
        value = form.get(name)
        return value[:limit] if isinstance(value, str) else ""

    case = intake.do_create_case(
        session,
        actor=actor,
        settings=settings,
        title=text("title"),
        category=text("category", 40),
        commune_code=int_or_none(text("commune_code", 12)),
        description=text("description"),
        conversation_id=int_or_none(text("conversation_id", 12)),
        priority=text("priority", 16) or "normal",
        location=text("location", 2000),
    )
    flash(request, "cases.flash.created")
    return redirect(f"/cases/{case.id}")


# --- Staff: one case --------------------------------------------------------------------------


@staff.get("/cases/{case_id}")
def case_page(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep, case_id: int
) -> Response:
    case = access.access_case(session, actor=actor, case_id=case_id)
    locale = locale_of(request.session)
    canned = units.list_canned(session)
    return page(
        request,
        session,
        actor,
        "cases/case.html",
        {
            "nav": "cases",
            "case": case,
            "events": (events := access.timeline(session, case=case)),
            "notices": case_events.notice_channels(session, events),
            "calls": calls.for_ref(session, ref=f"case:{case.code}"),
            "messages": access.case_messages(session, case=case),
            "statuses": rules.statuses(settings),
            "status_name": lambda code: rules.status_name(settings, code, locale),
            "topic_name": lambda code: taxonomy.topic_name(code, locale),
            "units": units.list_units(session),
            "handlers": routing.handlers(session, case=case) if actor.can_write else [],
            "similar": similarity.similar_open_cases(session, actor=actor, case=case),
            "answers": similarity.similar_answers(session, actor=actor, case=case),
            "canned": [
                (c.title, units.fill_canned(session, settings=settings, text=c.text, case=case))
                for c in canned
            ],
            "overdue": access.is_overdue(case),
            "can_write": actor.can_write,
            "merged_into": session.get(type(case), case.merged_into_id)
            if case.merged_into_id
            else None,
            "lookup_url": rules.lookup_url(settings, case.code),
            "public_title": tracking.neutral_title(case, locale),
        },
    )


@staff.post("/cases/{case_id}/status", dependencies=[CsrfDep])
async def case_status_change(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep, case_id: int
) -> Response:
    form = await read_form(request)
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    lifecycle.do_change_status(
        session,
        actor=actor,
        settings=settings,
        case=case,
        status=form.get("status", ""),
        answer=form.get("answer", ""),
        reason=form.get("reason", ""),
    )
    flash(request, "cases.flash.status")
    return redirect(f"/cases/{case.id}")


@staff.post("/cases/{case_id}/assign", dependencies=[CsrfDep])
async def case_assign(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep, case_id: int
) -> Response:
    form = await read_form(request)
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    routing.do_assign(
        session,
        actor=actor,
        settings=settings,
        case=case,
        assignee_id=int_or_none(form.get("assignee_id")),
    )
    flash(request, "cases.flash.assigned")
    return redirect(f"/cases/{case.id}")


@staff.post("/cases/{case_id}/transfer", dependencies=[CsrfDep])
async def case_transfer(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep, case_id: int
) -> Response:
    form = await read_form(request)
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    unit_id = int_or_none(form.get("unit_id"))
    if unit_id is None:
        raise Invalid("Cần chọn đơn vị", code="unit")
    routing.do_transfer(
        session,
        actor=actor,
        settings=settings,
        case=case,
        unit_id=unit_id,
        reason=form.get("reason", ""),
    )
    flash(request, "cases.flash.transferred")
    # The case may now be outside the actor's units but still in their commune: the page decides.
    return redirect(f"/cases/{case.id}")


@staff.post("/cases/{case_id}/public-title", dependencies=[CsrfDep])
async def case_public_title(
    request: Request, session: SessionDep, actor: StaffActor, case_id: int
) -> Response:
    form = await read_form(request)
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    lifecycle.do_set_public_title(session, actor=actor, case=case, title=form.get("title", ""))
    flash(request, "cases.flash.public_title")
    return redirect(f"/cases/{case.id}")


@staff.post("/cases/{case_id}/note", dependencies=[CsrfDep])
async def case_note(
    request: Request, session: SessionDep, actor: StaffActor, case_id: int
) -> Response:
    form = await read_form(request)
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    lifecycle.do_add_note(session, actor=actor, case=case, text=form.get("text", ""))
    return redirect(f"/cases/{case.id}#timeline")


@staff.post("/cases/{case_id}/reply", dependencies=[CsrfDep])
async def case_reply(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep, case_id: int
) -> Response:
    form = await read_form(request)
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    lifecycle.do_reply(
        session, actor=actor, settings=settings, case=case, text=form.get("text", "")
    )
    flash(request, "cases.flash.replied")
    return redirect(f"/cases/{case.id}#timeline")


@staff.post("/cases/{case_id}/reopen", dependencies=[CsrfDep])
async def case_reopen(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep, case_id: int
) -> Response:
    form = await read_form(request)
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    lifecycle.do_reopen(
        session, actor=actor, settings=settings, case=case, reason=form.get("reason", "")
    )
    flash(request, "cases.flash.reopened")
    return redirect(f"/cases/{case.id}")


@staff.post("/cases/{case_id}/merge", dependencies=[CsrfDep])
async def case_merge(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep, case_id: int
) -> Response:
    form = await read_form(request)
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    into_id = int_or_none(form.get("into_id"))
    if into_id is None:
        raise Invalid("Cần chọn phản ánh để gộp vào", code="into")
    into = access.access_case(session, actor=actor, case_id=into_id, write=True)
    routing.do_merge(session, actor=actor, settings=settings, case=case, into=into)
    flash(request, "cases.flash.merged")
    return redirect(f"/cases/{into.id}")


@staff.post("/cases/canned", dependencies=[CsrfDep])
async def canned_create(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    form = await read_form(request)
    units.do_create_canned(
        session, actor=actor, title=form.get("title", ""), text=form.get("text", "")
    )
    flash(request, "cases.flash.canned")
    back = form.get("back", "")
    return redirect(back if back.startswith("/cases/") and back[7:].isdigit() else "/cases")


@staff.get("/cases/conversation/{conversation_id}/panel")
def conversation_panel(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    conversation_id: int,
) -> Response:
    """The cases panel of a conversation page (loaded by htmx)."""
    conversation = access_conversation(session, actor=actor, conversation_id=conversation_id)
    locale = locale_of(request.session)
    return render(
        request,
        "cases/conversation_panel.html",
        {
            "conversation": conversation,
            "cases": access.cases_of_conversation(session, actor=actor, conversation=conversation),
            "status_name": lambda code: rules.status_name(settings, code, locale),
            "can_write": actor.can_write,
            "now": clock.now(),
        },
    )


router.include_router(public.router)
# Before the staff pages: "/cases/admin" would otherwise match "/cases/{case_id}".
router.include_router(admin.router)
router.include_router(staff)
