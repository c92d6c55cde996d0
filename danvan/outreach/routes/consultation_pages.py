"""The outreach area's staff pages of consultations and polls, under /outreach (gathered with the
others in `routes.pages.router`). Thin over `danvan.outreach.consultations` and `polls`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from danvan.accounts.actors import Actor
from danvan.kernel import geo
from danvan.kernel.errors import CoreError, Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.outreach import (
    announcements,
    broadcasts,
    consultations,
    minutes,
    polls,
    residents,
    slips,
)
from danvan.outreach import summaries as consultation_analysis
from danvan.outreach.items import visible_communes
from danvan.outreach.routes import shared
from danvan.outreach.routes.shared import Id
from danvan.web.deps import CsrfDep, SessionDep, SettingsDep, get_settings_dep
from danvan.web.i18n import locale_of, translator
from danvan.web.pages import (
    StaffActor,
    StaffRoute,
    confirm_page,
    page,
    redirect,
    remember_session,
)

router = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)


def _confirm_announce(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: Settings,
    *,
    communes: list[int],
    quote: str,
    action: str,
    back: str,
) -> Response:
    """An announcement is a broadcast: the same step as composing one, with how many it reaches."""
    _ = translator(locale_of(request.session))
    audience = broadcasts.check_audience(
        actor=actor,
        commune_codes=communes,
        tags=[],
        language=None,
        window="7d",
        province_code=settings.province,
    )
    n = broadcasts.preview_audience(session, audience=audience, settings=settings).reachable
    return confirm_page(
        request,
        session,
        actor,
        nav="outreach",
        title=_("outreach.confirm.title"),
        lines=[_("outreach.confirm.recipients", n=n)],
        quote=quote,
        action=action,
        fields=[],
        send=_("outreach.confirm.send", n=n),
        back=back,
    )


# --- staff: consultations -----------------------------------------------------------------------


@router.get("/outreach/consultations")
def consultations_page(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    return page(
        request,
        session,
        actor,
        "outreach/consultations.html",
        {
            **shared.tabs("c"),
            "items": consultations.list_consultations(session, actor=actor),
            "communes": shared.communes(actor, settings.province),
            "error": None,
            "now": utcnow(),
        },
    )


@router.post("/outreach/consultations", dependencies=[CsrfDep])
def consultation_create(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    title: Annotated[str, Form(max_length=300)] = "",
    summary: Annotated[str, Form(max_length=10_000)] = "",
    kind: Annotated[str, Form(max_length=16)] = "vote",
    options: Annotated[str, Form(max_length=3000)] = "",
    communes: Annotated[list[str], Form()] = [],  # noqa: B006
    opens_at: Annotated[str, Form(max_length=40)] = "",
    closes_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    try:
        opens = shared.local(opens_at, settings) or utcnow()
        closes = shared.local(closes_at, settings)
        if closes is None:
            raise Invalid("Cần thời điểm kết thúc", code="bad_dates")
        item = consultations.do_create_consultation(
            session,
            actor=actor,
            settings=settings,
            title=title,
            summary=summary,
            kind=kind,
            options=options.splitlines(),
            commune_codes=shared.ints(communes),
            opens_at=opens,
            closes_at=closes,
        )
    except CoreError as exc:
        return page(
            request,
            session,
            actor,
            "outreach/consultations.html",
            {
                **shared.tabs("c"),
                "items": consultations.list_consultations(session, actor=actor),
                "communes": shared.communes(actor, settings.province),
                "error": exc.message,
                "now": utcnow(),
            },
            status_code=422,
        )
    return redirect(f"/outreach/consultations/{item.id}")


def _consultation_page(
    request: Request,
    session: SessionDep,
    actor: Actor,
    item: Any,
    *,
    message: str | None = None,
    report: residents.ImportReport | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        session,
        actor,
        "outreach/consultation.html",
        {
            **shared.tabs("c"),
            "c": item,
            "results": shared.scoped(actor, consultations.results(session, consultation=item)),
            "opinions": consultation_analysis.opinions_block(
                session, consultation=item, settings=get_settings_dep(request), actor=actor
            ),
            "can_write": actor.can_write,
            "message": message,
            "report": report,
            # How the results will reach the participants, and the cost, before they go.
            "results_plan": None
            if item.results_sent_at
            else consultations.results_estimate(
                session,
                settings=get_settings_dep(request),
                consultation=item,
                communes=visible_communes(actor, item.commune_codes),
            ),
            # The communes whose resident lists and slips this actor may manage.
            "communes": [
                (code, geo.commune_name(code))
                for code in item.commune_codes
                if actor.sees_commune(code)
            ],
        },
        status_code=status_code,
    )


@router.get("/outreach/consultations/{consultation_id}")
def consultation_page(
    request: Request, session: SessionDep, actor: StaffActor, consultation_id: Id
) -> Response:
    item = consultations.access_consultation(session, actor=actor, consultation_id=consultation_id)
    return _consultation_page(request, session, actor, item)


@router.post("/outreach/consultations/{consultation_id}/document", dependencies=[CsrfDep])
async def consultation_document(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    consultation_id: Id,
    file: UploadFile,
) -> Response:
    data = await file.read(settings.outreach_max_document_bytes + 1)

    def work() -> Response:
        item = consultations.access_consultation(
            session, actor=actor, consultation_id=consultation_id
        )
        try:
            consultations.do_attach_document(
                session,
                actor=actor,
                settings=settings,
                consultation=item,
                filename=file.filename or "",
                data=data,
            )
        except Invalid as exc:
            return _consultation_page(
                request, session, actor, item, message=exc.message, status_code=422
            )
        return redirect(f"/outreach/consultations/{item.id}")

    return await run_in_threadpool(work)


@router.post("/outreach/consultations/{consultation_id}/residents", dependencies=[CsrfDep])
async def consultation_residents(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    consultation_id: Id,
    file: UploadFile,
    commune: Annotated[str, Form(max_length=9)],
) -> Response:
    data = await file.read(settings.outreach_max_document_bytes + 1)

    def work() -> Response:
        item = consultations.access_consultation(
            session, actor=actor, consultation_id=consultation_id
        )
        try:
            [code] = shared.ints([commune])
            report = residents.do_import_residents(
                session, actor=actor, settings=settings, commune_code=code, data=data
            )
        except Invalid as exc:
            return _consultation_page(
                request, session, actor, item, message=exc.message, status_code=422
            )
        return _consultation_page(request, session, actor, item, report=report)

    return await run_in_threadpool(work)


@router.post("/outreach/consultations/{consultation_id}/residents/slips", dependencies=[CsrfDep])
def consultation_slips(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    consultation_id: Id,
    commune: Annotated[str, Form(max_length=9)],
    again: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Issue voting-slip codes to a commune's listed residents (those without one, or, with
    `again`, all of them): the XLSX to print is the only place the codes ever appear."""
    item = consultations.access_consultation(session, actor=actor, consultation_id=consultation_id)
    try:
        [code] = shared.ints([commune])
        issued = slips.do_issue(
            session, actor=actor, settings=settings, commune_code=code, again=bool(again)
        )
    except Invalid as exc:
        return _consultation_page(
            request, session, actor, item, message=exc.message, status_code=422
        )
    return Response(
        slips.slips_xlsx(code, issued),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="ma-phieu-{code}.xlsx"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/outreach/consultations/{consultation_id}/announce", dependencies=[CsrfDep])
def consultation_announce(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    consultation_id: Id,
    confirmed: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    item = consultations.access_consultation(session, actor=actor, consultation_id=consultation_id)
    if confirmed != "1":
        return _confirm_announce(
            request,
            session,
            actor,
            settings,
            communes=list(item.commune_codes),
            quote=announcements.announcement_text(item, base_url=settings.base_url),
            action=f"/outreach/consultations/{item.id}/announce",
            back=f"/outreach/consultations/{item.id}",
        )
    try:
        broadcast = announcements.do_announce(
            session, actor=actor, settings=settings, consultation=item
        )
    except Invalid as exc:
        return _consultation_page(
            request, session, actor, item, message=exc.message, status_code=422
        )
    return redirect(f"/outreach/broadcasts/{broadcast.id}")


@router.get("/outreach/consultations/{consultation_id}/bien-ban.docx")
def consultation_minutes(
    session: SessionDep, actor: StaffActor, settings: SettingsDep, consultation_id: Id
) -> Response:
    item = consultations.access_consultation(session, actor=actor, consultation_id=consultation_id)
    return Response(
        minutes.minutes_docx(session, actor=actor, consultation=item, settings=settings),
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": f'attachment; filename="bien-ban-{item.id}.docx"'},
    )


# --- staff: polls -------------------------------------------------------------------------------


@router.get("/outreach/polls")
def polls_page(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    return page(
        request,
        session,
        actor,
        "outreach/polls.html",
        {
            **shared.tabs("p"),
            "items": polls.list_polls(session, actor=actor),
            "communes": shared.communes(actor, settings.province),
            "error": None,
        },
    )


@router.post("/outreach/polls", dependencies=[CsrfDep])
def poll_create(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    question: Annotated[str, Form(max_length=500)] = "",
    options: Annotated[str, Form(max_length=3000)] = "",
    multiple: Annotated[str, Form(max_length=8)] = "",
    communes: Annotated[list[str], Form()] = [],  # noqa: B006
    closes_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    try:
        item = polls.do_create_poll(
            session,
            actor=actor,
            settings=settings,
            question=question,
            options=options.splitlines(),
            multiple=bool(multiple),
            commune_codes=shared.ints(communes),
            closes_at=shared.local(closes_at, settings),
        )
    except CoreError as exc:
        return page(
            request,
            session,
            actor,
            "outreach/polls.html",
            {
                **shared.tabs("p"),
                "items": polls.list_polls(session, actor=actor),
                "communes": shared.communes(actor, settings.province),
                "error": exc.message,
            },
            status_code=422,
        )
    return redirect(f"/outreach/polls/{item.id}")


@router.get("/outreach/polls/{poll_id}")
def poll_page(request: Request, session: SessionDep, actor: StaffActor, poll_id: Id) -> Response:
    item = polls.access_poll(session, actor=actor, poll_id=poll_id)
    return page(
        request,
        session,
        actor,
        "outreach/poll.html",
        {
            **shared.tabs("p"),
            "p": item,
            "results": shared.scoped(actor, polls.results(session, poll=item)),
            "can_write": actor.can_write,
        },
    )


@router.post("/outreach/polls/{poll_id}/announce", dependencies=[CsrfDep])
def poll_announce(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    poll_id: Id,
    confirmed: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    item = polls.access_poll(session, actor=actor, poll_id=poll_id)
    if confirmed != "1":
        return _confirm_announce(
            request,
            session,
            actor,
            settings,
            communes=list(item.commune_codes),
            quote=polls.announcement_text(item, base_url=settings.base_url),
            action=f"/outreach/polls/{item.id}/announce",
            back=f"/outreach/polls/{item.id}",
        )
    broadcast = polls.do_announce(session, actor=actor, settings=settings, poll=item)
    return redirect(f"/outreach/broadcasts/{broadcast.id}")


@router.get("/outreach/polls/{poll_id}/ket-qua.xlsx")
def poll_export(session: SessionDep, actor: StaffActor, poll_id: Id) -> Response:
    item = polls.access_poll(session, actor=actor, poll_id=poll_id)
    return Response(
        polls.export_xlsx(session, actor=actor, poll=item),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="tham-do-{item.id}.xlsx"'},
    )
