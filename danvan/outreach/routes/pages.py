"""Routes of the outreach area: the JSON API (`outreach_api`), the staff pages under /outreach
(broadcasts, consultations, polls) and the public consultation and poll pages (/y-kien, /tham-do).
Thin over `danvan.outreach.broadcasts|consultations|polls`."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from danvan.accounts.actors import Actor
from danvan.kernel import geo
from danvan.kernel.errors import CoreError, Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import clean
from danvan.outreach import announcements, broadcasts, consultations, minutes, polls, residents
from danvan.outreach import opinions as consultation_analysis
from danvan.outreach.audience import MAX_TEXT, Preview
from danvan.outreach.routes import api as outreach_api
from danvan.web.api import MAX_DB_INT
from danvan.web.deps import (
    CsrfDep,
    SessionDep,
    SettingsDep,
    check_csrf,
    client_ip,
    get_settings_dep,
)
from danvan.web.pages import StaffActor, StaffRoute, page, redirect, remember_session
from danvan.web.templating import render

router = APIRouter()
router.include_router(outreach_api.router)

staff = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)
public = APIRouter(include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
POLL_COOKIE = "dv_poll"
TEXT_LIMIT = 4000


def _communes(actor: Actor, province: int) -> list[geo.Commune]:
    return [c for c in geo.province(province).communes if actor.sees_commune(c.code)]


def _ints(values: list[str]) -> list[int]:
    out = []
    for value in values:
        if not value.strip().isdigit() or len(value) > 9:
            raise Invalid("Mã xã không hợp lệ", code="bad_commune")
        out.append(int(value))
    return out


def _local(value: str, settings: Settings) -> datetime | None:
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


def _scoped(actor: Actor, results: dict[str, Any]) -> dict[str, Any]:
    """Per-commune rows of results only for the actor's communes (totals stay aggregate)."""
    return outreach_api.scoped_results(actor, results)


def _tabs(tab: str) -> dict[str, Any]:
    return {"nav": "outreach", "tab": tab}


# --- staff: broadcasts --------------------------------------------------------------------------


@staff.get("/outreach")
def outreach_home(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    items = broadcasts.list_broadcasts(session, actor=actor)
    rows = [(b, broadcasts.totals(session, broadcast=b)) for b in items]
    return page(request, session, actor, "outreach/broadcasts.html", {**_tabs("b"), "rows": rows})


def _compose(
    request: Request,
    session: SessionDep,
    actor: Actor,
    settings: Settings,
    *,
    form: dict[str, Any],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        session,
        actor,
        "outreach/compose.html",
        {
            **_tabs("b"),
            "communes": _communes(actor, settings.province),
            "form": form,
            "error": error,
            "max_text": MAX_TEXT,
        },
        status_code=status_code,
    )


@staff.get("/outreach/broadcasts/new")
def compose_page(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    actor.require_write()
    return _compose(request, session, actor, settings, form={"window": "7d", "communes": []})


@staff.post("/outreach/broadcasts/preview", dependencies=[CsrfDep])
def compose_preview(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    communes: Annotated[list[str], Form()] = [],  # noqa: B006
    tags: Annotated[str, Form(max_length=1000)] = "",
    language: Annotated[str, Form(max_length=8)] = "",
    window: Annotated[str, Form(max_length=8)] = "7d",
) -> Response:
    """The audience preview (htmx partial)."""
    try:
        audience = broadcasts.check_audience(
            actor=actor,
            commune_codes=_ints(communes),
            tags=tags.split(","),
            language=language or None,
            window=window,
            province_code=settings.province,
        )
        preview: Preview | None = broadcasts.preview_audience(
            session, audience=audience, settings=settings
        )
        error = None
    except CoreError as exc:
        preview, error = None, exc.message
    return render(request, "outreach/_preview.html", {"preview": preview, "error": error})


@staff.post("/outreach/broadcasts", dependencies=[CsrfDep])
def compose_submit(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    text: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
    communes: Annotated[list[str], Form()] = [],  # noqa: B006
    tags: Annotated[str, Form(max_length=1000)] = "",
    language: Annotated[str, Form(max_length=8)] = "",
    window: Annotated[str, Form(max_length=8)] = "7d",
    link_url: Annotated[str, Form(max_length=500)] = "",
    send_at: Annotated[str, Form(max_length=40)] = "",
    urgent: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    form = {
        "text": text,
        "communes": communes,
        "tags": tags,
        "language": language,
        "window": window,
        "link_url": link_url,
        "send_at": send_at,
        "urgent": bool(urgent),
    }
    try:
        audience = broadcasts.check_audience(
            actor=actor,
            commune_codes=_ints(communes),
            tags=tags.split(","),
            language=language or None,
            window=window,
            province_code=settings.province,
        )
        item, _ = broadcasts.do_create_broadcast(
            session,
            actor=actor,
            settings=settings,
            text=text,
            audience=audience,
            link_url=link_url or None,
            send_at=_local(send_at, settings),
            urgent=bool(urgent),
        )
    except CoreError as exc:
        return _compose(
            request, session, actor, settings, form=form, error=exc.message, status_code=422
        )
    return redirect(f"/outreach/broadcasts/{item.id}")


def _broadcast_context(session: SessionDep, item: Any) -> dict[str, Any]:
    totals = broadcasts.totals(session, broadcast=item)
    return {
        "b": item,
        "totals": totals,
        "recipients": broadcasts.list_recipients(session, broadcast=item, limit=100),
        "communes_named": [(geo.commune_name(int(c)) if c else "—", t) for c, t in sorted(
            totals["by_commune"].items()
        )],
    }  # fmt: skip


@staff.get("/outreach/broadcasts/{broadcast_id}")
def broadcast_page(
    request: Request, session: SessionDep, actor: StaffActor, broadcast_id: Id
) -> Response:
    item = broadcasts.access_broadcast(session, actor=actor, broadcast_id=broadcast_id)
    return page(
        request,
        session,
        actor,
        "outreach/broadcast.html",
        {**_tabs("b"), **_broadcast_context(session, item), "can_write": actor.can_write},
    )


@staff.get("/outreach/broadcasts/{broadcast_id}/totals")
def broadcast_totals(
    request: Request, session: SessionDep, actor: StaffActor, broadcast_id: Id
) -> Response:
    """The live totals (htmx polling)."""
    item = broadcasts.access_broadcast(session, actor=actor, broadcast_id=broadcast_id)
    return render(request, "outreach/_totals.html", _broadcast_context(session, item))


@staff.post("/outreach/broadcasts/{broadcast_id}/{action}", dependencies=[CsrfDep])
def broadcast_action(
    request: Request, session: SessionDep, actor: StaffActor, broadcast_id: Id, action: str
) -> Response:
    item = broadcasts.access_broadcast(session, actor=actor, broadcast_id=broadcast_id)
    actions = {
        "pause": broadcasts.do_pause,
        "resume": broadcasts.do_resume,
        "cancel": broadcasts.do_cancel,
    }
    if action not in actions:
        raise Invalid("Thao tác không hợp lệ", code="bad_action")
    actions[action](session, actor=actor, broadcast=item)
    return redirect(f"/outreach/broadcasts/{item.id}")


# --- staff: consultations -----------------------------------------------------------------------


@staff.get("/outreach/consultations")
def consultations_page(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    return page(
        request,
        session,
        actor,
        "outreach/consultations.html",
        {
            **_tabs("c"),
            "items": consultations.list_consultations(session, actor=actor),
            "communes": _communes(actor, settings.province),
            "error": None,
            "now": utcnow(),
        },
    )


@staff.post("/outreach/consultations", dependencies=[CsrfDep])
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
        opens = _local(opens_at, settings) or utcnow()
        closes = _local(closes_at, settings)
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
            commune_codes=_ints(communes),
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
                **_tabs("c"),
                "items": consultations.list_consultations(session, actor=actor),
                "communes": _communes(actor, settings.province),
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
            **_tabs("c"),
            "c": item,
            "results": _scoped(actor, consultations.results(session, consultation=item)),
            "opinions": consultation_analysis.opinions_block(
                session, consultation=item, settings=get_settings_dep(request)
            ),
            "can_write": actor.can_write,
            "message": message,
            "report": report,
            "communes": [(code, geo.commune_name(code)) for code in item.commune_codes],
        },
        status_code=status_code,
    )


@staff.get("/outreach/consultations/{consultation_id}")
def consultation_page(
    request: Request, session: SessionDep, actor: StaffActor, consultation_id: Id
) -> Response:
    item = consultations.access_consultation(session, actor=actor, consultation_id=consultation_id)
    return _consultation_page(request, session, actor, item)


@staff.post("/outreach/consultations/{consultation_id}/document", dependencies=[CsrfDep])
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


@staff.post("/outreach/consultations/{consultation_id}/residents", dependencies=[CsrfDep])
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
            [code] = _ints([commune])
            report = residents.do_import_residents(
                session, actor=actor, settings=settings, commune_code=code, data=data
            )
        except Invalid as exc:
            return _consultation_page(
                request, session, actor, item, message=exc.message, status_code=422
            )
        return _consultation_page(request, session, actor, item, report=report)

    return await run_in_threadpool(work)


@staff.post("/outreach/consultations/{consultation_id}/announce", dependencies=[CsrfDep])
def consultation_announce(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    consultation_id: Id,
) -> Response:
    item = consultations.access_consultation(session, actor=actor, consultation_id=consultation_id)
    try:
        broadcast = announcements.do_announce(
            session, actor=actor, settings=settings, consultation=item
        )
    except Invalid as exc:
        return _consultation_page(
            request, session, actor, item, message=exc.message, status_code=422
        )
    return redirect(f"/outreach/broadcasts/{broadcast.id}")


@staff.get("/outreach/consultations/{consultation_id}/bien-ban.docx")
def consultation_minutes(
    session: SessionDep, actor: StaffActor, settings: SettingsDep, consultation_id: Id
) -> Response:
    item = consultations.access_consultation(session, actor=actor, consultation_id=consultation_id)
    return Response(
        minutes.minutes_docx(session, consultation=item, settings=settings),
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": f'attachment; filename="bien-ban-{item.id}.docx"'},
    )


# --- staff: polls -------------------------------------------------------------------------------


@staff.get("/outreach/polls")
def polls_page(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    return page(
        request,
        session,
        actor,
        "outreach/polls.html",
        {
            **_tabs("p"),
            "items": polls.list_polls(session, actor=actor),
            "communes": _communes(actor, settings.province),
            "error": None,
        },
    )


@staff.post("/outreach/polls", dependencies=[CsrfDep])
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
            commune_codes=_ints(communes),
            closes_at=_local(closes_at, settings),
        )
    except CoreError as exc:
        return page(
            request,
            session,
            actor,
            "outreach/polls.html",
            {
                **_tabs("p"),
                "items": polls.list_polls(session, actor=actor),
                "communes": _communes(actor, settings.province),
                "error": exc.message,
            },
            status_code=422,
        )
    return redirect(f"/outreach/polls/{item.id}")


@staff.get("/outreach/polls/{poll_id}")
def poll_page(request: Request, session: SessionDep, actor: StaffActor, poll_id: Id) -> Response:
    item = polls.access_poll(session, actor=actor, poll_id=poll_id)
    return page(
        request,
        session,
        actor,
        "outreach/poll.html",
        {
            **_tabs("p"),
            "p": item,
            "results": _scoped(actor, polls.results(session, poll=item)),
            "can_write": actor.can_write,
        },
    )


@staff.post("/outreach/polls/{poll_id}/announce", dependencies=[CsrfDep])
def poll_announce(
    session: SessionDep, actor: StaffActor, settings: SettingsDep, poll_id: Id
) -> Response:
    item = polls.access_poll(session, actor=actor, poll_id=poll_id)
    broadcast = polls.do_announce(session, actor=actor, settings=settings, poll=item)
    return redirect(f"/outreach/broadcasts/{broadcast.id}")


@staff.get("/outreach/polls/{poll_id}/ket-qua.xlsx")
def poll_export(session: SessionDep, actor: StaffActor, poll_id: Id) -> Response:
    item = polls.access_poll(session, actor=actor, poll_id=poll_id)
    return Response(
        polls.export_xlsx(session, poll=item),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="tham-do-{item.id}.xlsx"'},
    )


# --- public pages -------------------------------------------------------------------------------


def _public_consultation(
    request: Request,
    session: SessionDep,
    item: Any,
    *,
    error: str | None = None,
    done: bool = False,
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
        },
        status_code=status_code,
    )


@public.get("/y-kien/{consultation_id}")
def public_consultation(request: Request, session: SessionDep, consultation_id: Id) -> Response:
    item = consultations.get_public(session, consultation_id)
    return _public_consultation(request, session, item)


@public.post("/y-kien/{consultation_id}")
async def public_consultation_answer(
    request: Request,
    session: SessionDep,
    consultation_id: Id,
    commune: Annotated[str, Form(max_length=9)] = "",
    code: Annotated[str, Form(max_length=32)] = "",
    option: Annotated[str, Form(max_length=3)] = "",
    opinion: Annotated[str, Form(max_length=consultations.MAX_OPINION * 2)] = "",
) -> Response:
    await check_csrf(request)

    def work() -> Response:
        item = consultations.get_public(session, consultation_id)
        try:
            [commune_code] = _ints([commune]) if commune else [0]
            consultations.answer_as_resident(
                session,
                consultation=item,
                commune_code=commune_code,
                resident_code=code,
                option_index=int(option) if option.isdigit() else None,
                opinion=opinion,
            )
        except CoreError as exc:
            return _public_consultation(request, session, item, error=exc.message, status_code=422)
        return _public_consultation(request, session, item, done=True)

    return await run_in_threadpool(work)


@public.get("/y-kien/{consultation_id}/tai-lieu")
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


@public.get("/tham-do/{poll_id}")
def public_poll(request: Request, session: SessionDep, poll_id: Id) -> Response:
    return _public_poll(request, session, polls.get_public(session, poll_id))


@public.post("/tham-do/{poll_id}")
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
    # A second guard beside the cookie, storing no identity (see polls.web_device).
    device = polls.web_device(
        secret=get_settings_dep(request).secret_key,
        poll_id=poll_id,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )

    def work() -> Response:
        item = polls.get_public(session, poll_id)
        try:
            [commune_code] = _ints([commune]) if commune else [0]
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


router.include_router(staff)
router.include_router(public)
