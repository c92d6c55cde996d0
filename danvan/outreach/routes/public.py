"""The outreach area's public pages: a consultation (/y-kien: its document, answers with a
resident code, results once closed) and a quick poll (/tham-do), gathered with the others in
`routes.pages.router`. Thin over `danvan.outreach.consultations` and `polls`."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from danvan.kernel import geo
from danvan.kernel.errors import CoreError, Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.text import clean
from danvan.outreach import consultations, polls, slips
from danvan.outreach import summaries as consultation_analysis
from danvan.outreach.routes import shared
from danvan.outreach.routes.shared import Id
from danvan.web.deps import SessionDep, check_csrf, client_ip, get_settings_dep
from danvan.web.templating import render

router = APIRouter(include_in_schema=False)

POLL_COOKIE = "dv_poll"


def _public_consultation(
    request: Request,
    session: SessionDep,
    item: Any,
    *,
    error: str | None = None,
    done: bool = False,
    answered: slips.WebAnswer | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    now = utcnow()
    closed = now >= item.closes_at
    return render(
        request,
        "public/consultation.html",
        {
            "c": item,
            "closed": closed,
            "is_open": item.opens_at <= now < item.closes_at,
            "results": consultations.results(session, consultation=item, public=True)
            if closed
            else None,
            "opinions": consultation_analysis.opinions_block(
                session, consultation=item, settings=get_settings_dep(request), public=True
            )
            if closed
            else None,
            "communes": [(code, geo.commune_name(code)) for code in item.commune_codes],
            "error": error,
            "done": done,
            # A resident who answered before: what and when (to confirm a change), or that
            # their answer was changed.
            "earlier": _earlier(item, answered.earlier) if answered and answered.earlier else None,
            "confirm": answered is not None and answered.answer is None,
            "changed": answered is not None and answered.changed,
            "form": form or {},
        },
        status_code=status_code,
    )


def _earlier(item: Any, earlier: slips.Earlier) -> dict[str, Any]:
    index = earlier.option_index
    option = item.options[index] if index is not None and 0 <= index < len(item.options) else ""
    return {"option": option, "opinion": earlier.opinion, "at": earlier.at}


@router.get("/y-kien/{consultation_id}")
def public_consultation(request: Request, session: SessionDep, consultation_id: Id) -> Response:
    item = consultations.get_public(session, consultation_id)
    return _public_consultation(request, session, item)


@router.post("/y-kien/{consultation_id}")
async def public_consultation_answer(
    request: Request,
    session: SessionDep,
    consultation_id: Id,
    commune: Annotated[str, Form(max_length=9)] = "",
    code: Annotated[str, Form(max_length=32)] = "",
    option: Annotated[str, Form(max_length=3)] = "",
    opinion: Annotated[str, Form(max_length=consultations.MAX_OPINION * 2)] = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    await check_csrf(request)
    settings = get_settings_dep(request)
    ip = client_ip(request)
    form = {"commune": commune, "code": code, "option": option, "opinion": opinion}

    def work() -> Response:
        item = consultations.get_public(session, consultation_id)
        try:
            [commune_code] = shared.ints([commune]) if commune else [0]
            answered = slips.answer_with_code(
                session,
                settings=settings,
                consultation=item,
                commune_code=commune_code,
                code=code,
                option_index=int(option) if option.isdigit() else None,
                opinion=opinion,
                client=ip,
                confirm_change=confirm == "1",
            )
        except CoreError as exc:
            status = 429 if exc.code == "too_many_codes" else 422
            return _public_consultation(
                request, session, item, error=exc.message, form=form, status_code=status
            )
        if answered.answer is None:  # an earlier answer: the resident confirms the change
            return _public_consultation(request, session, item, answered=answered, form=form)
        return _public_consultation(request, session, item, done=True, answered=answered)

    return await run_in_threadpool(work)


@router.get("/y-kien/{consultation_id}/tai-lieu")
def public_document(session: SessionDep, consultation_id: Id) -> Response:
    item = consultations.get_public(session, consultation_id)
    if item.document is None:
        raise Invalid("Chưa có tài liệu", code="no_document")
    media = "application/pdf" if item.document_type == "pdf" else (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )  # fmt: skip
    return Response(
        item.document,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="tai-lieu-{item.id}.{item.document_type}"'
        },
    )


def _public_poll(
    request: Request,
    session: SessionDep,
    item: Any,
    *,
    error: str | None = None,
    done: bool = False,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "public/poll.html",
        {
            "p": item,
            "is_open": polls.is_open(item, utcnow()),
            "results": polls.results(session, poll=item, public=True),
            "communes": [(code, geo.commune_name(code)) for code in item.commune_codes],
            "error": error,
            "done": done,
        },
        status_code=status_code,
    )


@router.get("/tham-do/{poll_id}")
def public_poll(request: Request, session: SessionDep, poll_id: Id) -> Response:
    return _public_poll(request, session, polls.get_public(session, poll_id))


@router.post("/tham-do/{poll_id}")
async def public_poll_answer(
    request: Request,
    session: SessionDep,
    poll_id: Id,
    commune: Annotated[str, Form(max_length=9)] = "",
    choice: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    await check_csrf(request)
    # One answer per browser (a random cookie); a changed answer replaces the earlier one.
    browser = request.cookies.get(POLL_COOKIE) or secrets.token_urlsafe(16)
    browser = clean(browser)[:40]
    # A limit per poll and client network beside the cookie, storing no identity
    # (see polls.web_device).
    device = polls.web_device(
        secret=get_settings_dep(request).secret_key, poll_id=poll_id, ip=client_ip(request)
    )

    def work() -> Response:
        item = polls.get_public(session, poll_id)
        try:
            [commune_code] = shared.ints([commune]) if commune else [0]
            polls.do_answer(
                session,
                poll=item,
                participant=f"web:{browser}",
                commune_code=commune_code,
                choices=[int(c) for c in choice if c.isdigit() and len(c) < 4],
                channel="web",
                device=device,
            )
        except CoreError as exc:
            return _public_poll(request, session, item, error=exc.message, status_code=422)
        return _public_poll(request, session, item, done=True)

    response = await run_in_threadpool(work)
    response.set_cookie(
        POLL_COOKIE, browser, max_age=365 * 86400, httponly=True, samesite="lax", secure=False
    )
    return response
