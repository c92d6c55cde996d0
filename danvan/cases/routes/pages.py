"""Routes of the cases area: the public status page (/tra-cuu), the staff pages (/cases) and,
included from `case_api`, the JSON API. Thin over `danvan.cases.cases`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from danvan.cases import access, intake, lifecycle, reports, routing, similarity, tracking, units
from danvan.cases import rules as rules
from danvan.cases import xlsx as case_report
from danvan.cases.routes import api as case_api
from danvan.inbox.conversations import access_conversation
from danvan.kernel import clock, geo, taxonomy
from danvan.kernel.errors import CoreError, Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.ratelimit import hit
from danvan.kernel.settings import Settings
from danvan.web.deps import CsrfDep, SessionDep, SettingsDep, client_ip
from danvan.web.i18n import LOCALES, SESSION_KEY, locale_of
from danvan.web.pages import StaffActor, StaffRoute, flash, page, redirect, remember_session
from danvan.web.templating import render

router = APIRouter()
router.include_router(case_api.router)

public = APIRouter(include_in_schema=False)
staff = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)

PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
LOOKUPS_PER_WINDOW = 60  # lookups per IP per window, found or not (codes are sequential)
LOOKUP_WINDOW = timedelta(minutes=10)


# --- Public: status page, rating, reopening ---------------------------------------------------


def _choose_locale(request: Request) -> str:
    lang = request.query_params.get("lang")
    if lang in LOCALES:
        request.session[SESSION_KEY] = lang
    return locale_of(request.session)


def _lookup_allowed(session: Session, ip: str) -> bool:
    return hit(
        session, key=f"case_lookup:{ip[:64]}", limit=LOOKUPS_PER_WINDOW, window=LOOKUP_WINDOW
    )


def _public_page(
    request: Request, name: str, context: dict[str, Any], status: int = 200
) -> Response:
    return render(request, name, context, status_code=status, headers=PRIVATE)


@public.get("/tra-cuu")
def lookup(request: Request, ma: str = "") -> Response:
    """The search box: a case code (any case, with or without spaces)."""
    _choose_locale(request)
    code = tracking.normalize_code(ma[:64]) if ma.strip() else None
    if not ma.strip():
        return _public_page(request, "public/case_lookup.html", {"value": "", "error": None})
    if code is None:
        return _public_page(
            request, "public/case_lookup.html", {"value": ma[:40], "error": "not_found"}, 404
        )
    return RedirectResponse(f"/tra-cuu/{code}", status_code=303)


def _read(request: Request, code: str, work: Any) -> Any:
    """Run `work(session, case)` for the case of `code`, after counting the lookup. Unknown and
    malformed codes are the same "not found"; past the limit every lookup is 429."""
    ip = client_ip(request)
    with request.app.state.database.session() as session:
        if not _lookup_allowed(session, ip):
            return "limited"
        case = tracking.find_by_code(session, code)
        if case is None:
            return None
        return work(session, case)


@public.get("/tra-cuu/{code}")
def case_status(request: Request, code: str, settings: SettingsDep) -> Response:
    """A case's public page: status, the public answer and dates; never a name, phone, staff
    member or internal note."""
    locale = _choose_locale(request)
    view = _read(
        request,
        code,
        lambda session, case: tracking.public_view(
            session, settings=settings, case=case, locale=locale
        ),
    )
    if view == "limited":
        return _public_page(
            request, "public/case_lookup.html", {"value": "", "error": "limited"}, 429
        )
    if view is None:
        return _public_page(
            request, "public/case_lookup.html", {"value": code[:40], "error": "not_found"}, 404
        )
    return _public_page(request, "public/case_status.html", {"case": view})


def _feedback_context(
    session: Session, settings: Settings, case: Any, token: str, locale: str
) -> dict[str, Any]:
    if token != tracking.rating_token(settings, case):
        raise NotFound()
    until = lifecycle.reopen_allowed_until(settings, case)
    return {
        "case": tracking.public_view(session, settings=settings, case=case, locale=locale),
        "token": token,
        "can_rate": case.status_kind != rules.OPEN
        and case.rating is None
        and case.merged_into_id is None,
        "can_reopen": until is not None and utcnow() <= until,
        "reopen_until": until,
    }


@public.get("/tra-cuu/{code}/phan-hoi")
def feedback_page(request: Request, code: str, settings: SettingsDep, t: str = "") -> Response:
    """The citizen's own page (the link they received): rate an ended case, or reopen an
    answered one within the allowed days."""
    locale = _choose_locale(request)

    def work(session: Session, case: Any) -> dict[str, Any] | None:
        try:
            return _feedback_context(session, settings, case, t[:64], locale)
        except NotFound:
            return None

    context = _read(request, code, work)
    if context == "limited":
        return _public_page(
            request, "public/case_lookup.html", {"value": "", "error": "limited"}, 429
        )
    if context is None:
        return _public_page(
            request, "public/case_lookup.html", {"value": "", "error": "not_found"}, 404
        )
    return _public_page(
        request, "public/case_feedback.html", {**context, "done": request.query_params.get("ok")}
    )


@public.post("/tra-cuu/{code}/phan-hoi", dependencies=[CsrfDep])
async def feedback_submit(request: Request, code: str, settings: SettingsDep) -> Response:
    """Record the rating (1–5 and a comment) or the reopening asked by the citizen."""
    form = await request.form(max_files=0, max_fields=10)

    def text(name: str, limit: int = 4000) -> str:
        value = form.get(name)
        return value[:limit] if isinstance(value, str) else ""

    token, action = text("t", 64), text("action", 16)
    locale = locale_of(request.session)

    def work(session: Session, case: Any) -> str | CoreError | None:
        try:
            _feedback_context(session, settings, case, token, locale)  # checks the token
            if action == "reopen":
                lifecycle.do_reopen(
                    session, actor=None, settings=settings, case=case, reason=text("reason")
                )
            else:
                score = text("rating", 2)
                tracking.do_rate(
                    session,
                    settings=settings,
                    case=case,
                    token=token,
                    rating=int(score) if score.isdigit() else 0,
                    comment=text("comment"),
                )
            return str(case.code)
        except NotFound:
            return None
        except CoreError as exc:
            # Refused before anything was written: only the lookup counter is committed.
            return exc

    outcome = await run_in_threadpool(_read, request, code, work)
    if outcome == "limited":
        return _public_page(
            request, "public/case_lookup.html", {"value": "", "error": "limited"}, 429
        )
    if outcome is None:
        return _public_page(
            request, "public/case_lookup.html", {"value": "", "error": "not_found"}, 404
        )
    if isinstance(outcome, CoreError):
        return RedirectResponse(
            f"/tra-cuu/{code}/phan-hoi?{urlencode({'t': token, 'err': outcome.code})}",
            status_code=303,
        )
    return RedirectResponse(
        f"/tra-cuu/{outcome}/phan-hoi?{urlencode({'t': token, 'ok': action or 'rate'})}",
        status_code=303,
    )


# --- Staff: list ------------------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() and len(value) < 10 else None


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
        commune_code=_int(params.get("commune")),
        unit_id=_int(params.get("unit")),
        category=params.get("category") or None,
        overdue=params.get("overdue") == "1",
        open_only=params.get("open") == "1",
        assignee_id=actor.user.id if params.get("mine") == "1" else None,
        q=(params.get("q") or "")[:200] or None,
        limit=100,
        offset=max(0, _int(params.get("offset")) or 0),
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
    days = _int(params.get("days")) or 30
    data = case_report.workbook(
        session,
        actor=actor,
        settings=settings,
        start=end - timedelta(days=min(days, 3660)),
        end=end,
        commune_code=_int(params.get("commune")),
        unit_id=_int(params.get("unit")),
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
    days = min(_int(params.get("days")) or 30, 3660)
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


# --- Staff: administration (admins) -------------------------------------------------------


def _admin_page(
    request: Request, session: Session, actor: Any, settings: Settings, new_key: str | None = None
) -> Response:
    from sqlalchemy import select

    from danvan.accounts.models import User
    from danvan.cases.models import Open311Key

    actor.require_admin()
    return page(
        request,
        session,
        actor,
        "cases/admin.html",
        {
            "nav": "cases",
            "units": units.list_units(session),
            "rules": units.list_rules(session),
            "keys": list(session.scalars(select(Open311Key).order_by(Open311Key.id))),
            "users": list(
                session.scalars(
                    select(User).where(User.is_active.is_(True)).order_by(User.full_name)
                )
            ),
            "topics": taxonomy.topics(),
            "communes": geo.province(settings.province).communes,
            "new_key": new_key,
        },
    )


@staff.get("/cases/admin")
def admin_page(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    """Units, routing rules and Open311 keys (admins; others get 403)."""
    return _admin_page(request, session, actor, settings)


@staff.post("/cases/admin/units", dependencies=[CsrfDep])
async def admin_unit(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    form = await _form(request)
    units.do_create_unit(
        session,
        actor=actor,
        name=form.get("name", ""),
        commune_code=_int(form.get("commune_code")),
        head_id=_int(form.get("head_id")),
    )
    return redirect("/cases/admin")


@staff.post("/cases/admin/members", dependencies=[CsrfDep])
async def admin_member(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    form = await _form(request)
    unit_id, user_id = _int(form.get("unit_id")), _int(form.get("user_id"))
    if unit_id is None or user_id is None:
        raise Invalid("Cần chọn đơn vị và cán bộ", code="member")
    units.do_add_member(session, actor=actor, unit_id=unit_id, user_id=user_id)
    return redirect("/cases/admin")


@staff.post("/cases/admin/rules", dependencies=[CsrfDep])
async def admin_rule(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    form = await _form(request)
    units.do_set_rule(
        session,
        actor=actor,
        category=form.get("category") or None,
        commune_code=_int(form.get("commune_code")),
        unit_id=_int(form.get("unit_id")),
        assignee_id=_int(form.get("assignee_id")),
    )
    return redirect("/cases/admin")


@staff.post("/cases/admin/keys", dependencies=[CsrfDep])
async def admin_key(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    """Make an Open311 key: shown on this answer only (never stored in clear)."""
    from danvan.cases import open311 as case_open311

    form = await _form(request)
    _key, raw = case_open311.do_create_key(session, actor=actor, name=form.get("name", ""))
    return _admin_page(request, session, actor, settings, new_key=raw)


@staff.post("/cases/admin/keys/{key_id}/revoke", dependencies=[CsrfDep])
async def admin_key_revoke(
    request: Request, session: SessionDep, actor: StaffActor, key_id: int
) -> Response:
    from danvan.cases import open311 as case_open311

    case_open311.do_revoke_key(session, actor=actor, key_id=key_id)
    return redirect("/cases/admin")


# --- Staff: create ----------------------------------------------------------------------------


@staff.get("/cases/new")
def new_case_page(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    conversation_id = _int(request.query_params.get("conversation"))
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
        commune_code=_int(text("commune_code", 12)),
        description=text("description"),
        conversation_id=_int(text("conversation_id", 12)),
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
            "events": access.timeline(session, case=case),
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
        },
    )


async def _form(request: Request) -> dict[str, str]:
    form = await request.form(max_files=0, max_fields=20)
    return {k: v[:40_000] for k, v in form.items() if isinstance(v, str)}


@staff.post("/cases/{case_id}/status", dependencies=[CsrfDep])
async def case_status_change(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep, case_id: int
) -> Response:
    form = await _form(request)
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
    form = await _form(request)
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    routing.do_assign(
        session,
        actor=actor,
        settings=settings,
        case=case,
        assignee_id=_int(form.get("assignee_id")),
    )
    flash(request, "cases.flash.assigned")
    return redirect(f"/cases/{case.id}")


@staff.post("/cases/{case_id}/transfer", dependencies=[CsrfDep])
async def case_transfer(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep, case_id: int
) -> Response:
    form = await _form(request)
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    unit_id = _int(form.get("unit_id"))
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


@staff.post("/cases/{case_id}/note", dependencies=[CsrfDep])
async def case_note(
    request: Request, session: SessionDep, actor: StaffActor, case_id: int
) -> Response:
    form = await _form(request)
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    lifecycle.do_add_note(session, actor=actor, case=case, text=form.get("text", ""))
    return redirect(f"/cases/{case.id}#timeline")


@staff.post("/cases/{case_id}/reply", dependencies=[CsrfDep])
async def case_reply(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep, case_id: int
) -> Response:
    form = await _form(request)
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
    form = await _form(request)
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
    form = await _form(request)
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    into_id = _int(form.get("into_id"))
    if into_id is None:
        raise Invalid("Cần chọn phản ánh để gộp vào", code="into")
    into = access.access_case(session, actor=actor, case_id=into_id, write=True)
    routing.do_merge(session, actor=actor, settings=settings, case=case, into=into)
    flash(request, "cases.flash.merged")
    return redirect(f"/cases/{into.id}")


@staff.post("/cases/canned", dependencies=[CsrfDep])
async def canned_create(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    form = await _form(request)
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


router.include_router(public)
router.include_router(staff)
