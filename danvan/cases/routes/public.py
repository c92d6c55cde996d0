"""Public routes of the cases area, for anyone holding a case code: the status page (/tra-cuu),
and the citizen's own page (the signed link they received) to rate or reopen their case. Thin
over `danvan.cases.tracking`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from danvan.cases import lifecycle, tracking
from danvan.cases import rules as rules
from danvan.inbox import webform
from danvan.kernel.errors import CoreError, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.web.deps import CsrfDep, SettingsDep, client_ip
from danvan.web.i18n import LOCALES, SESSION_KEY, locale_of
from danvan.web.templating import render

router = APIRouter(include_in_schema=False)


PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _choose_locale(request: Request) -> str:
    lang = request.query_params.get("lang")
    if lang in LOCALES:
        request.session[SESSION_KEY] = lang
    return locale_of(request.session)


def _public_page(
    request: Request, name: str, context: dict[str, Any], status: int = 200
) -> Response:
    return render(request, name, context, status_code=status, headers=PRIVATE)


LOOKUP_REFUSALS = {"not_found": 404, "limited": 429, "lookup_limited": 429}


def _look_up(request: Request, typed: str) -> str:
    """Where a typed code leads: the thread of a web-form tracking code (`GY-…`) or the page
    of a case code (`TQ-…`), or the refusal's code. One box takes both: citizens do not know
    which kind they hold. Each kind keeps its own counting of guesses (committed with the
    refusal)."""
    ip = client_ip(request)
    with request.app.state.database.session() as session:
        if webform.normalize_code(typed) is not None:
            try:
                thread = webform.access_thread(session, code=typed, ip=ip)
            except CoreError as exc:
                return exc.code
            return f"/gop-y/{thread.contact.external_id}"
        if not tracking.lookup_allowed(session, ip):
            return "limited"
        case = tracking.find_by_code(session, typed)
        return f"/tra-cuu/{case.code}" if case is not None else "not_found"


@router.get("/tra-cuu")
def lookup(request: Request, ma: str = "") -> Response:
    """The one lookup box of the public pages: a case code or a web-form tracking code, with
    or without dashes or spaces, in any case."""
    _choose_locale(request)
    typed = ma[:64]
    if not typed.strip():
        return _public_page(request, "public/case_lookup.html", {"value": "", "error": None})
    found = _look_up(request, typed)
    if found.startswith("/"):
        return RedirectResponse(found, status_code=303)
    context = {"value": typed.strip()[:40], "error": found}
    return _public_page(
        request, "public/case_lookup.html", context, LOOKUP_REFUSALS.get(found, 404)
    )


def _read(request: Request, code: str, work: Any) -> Any:
    """Run `work(session, case)` for the case of `code`, after counting the lookup. Unknown and
    malformed codes are the same "not found"; past the limit every lookup is 429."""
    ip = client_ip(request)
    with request.app.state.database.session() as session:
        if not tracking.lookup_allowed(session, ip):
            return "limited"
        case = tracking.find_by_code(session, code)
        if case is None:
            return None
        return work(session, case)


@router.get("/tra-cuu/{code}")
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


@router.get("/tra-cuu/{code}/phan-hoi")
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


@router.post("/tra-cuu/{code}/phan-hoi", dependencies=[CsrfDep])
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
