"""Routes of the outreach area: the JSON API (`outreach_api`), the staff pages under /outreach
(broadcasts here; consultations and polls in `consultation_pages`) and the public consultation
and poll pages (/y-kien, /tham-do, in `public`), all gathered in `router`.
Thin over `danvan.outreach.broadcasts`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from danvan.accounts.actors import Actor
from danvan.kernel import geo
from danvan.kernel.errors import CoreError, Invalid
from danvan.kernel.settings import Settings
from danvan.outreach import broadcasts
from danvan.outreach.audience import MAX_TEXT, Preview, check_text
from danvan.outreach.routes import api as outreach_api
from danvan.outreach.routes import consultation_pages, public, shared
from danvan.outreach.routes.shared import Id
from danvan.web.deps import CsrfDep, SessionDep, SettingsDep
from danvan.web.pages import StaffActor, StaffRoute, page, redirect, remember_session
from danvan.web.templating import render

router = APIRouter()
router.include_router(outreach_api.router)

staff = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)

TEXT_LIMIT = 4000


# --- staff: broadcasts --------------------------------------------------------------------------


@staff.get("/outreach")
def outreach_home(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    items = broadcasts.list_broadcasts(session, actor=actor)
    rows = [(b, broadcasts.totals(session, broadcast=b)) for b in items]
    return page(
        request, session, actor, "outreach/broadcasts.html", {**shared.tabs("b"), "rows": rows}
    )


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
            **shared.tabs("b"),
            "communes": shared.communes(actor, settings.province),
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
            commune_codes=shared.ints(communes),
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
    confirmed: Annotated[str, Form(max_length=8)] = "",
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
            commune_codes=shared.ints(communes),
            tags=tags.split(","),
            language=language or None,
            window=window,
            province_code=settings.province,
        )
        if confirmed != "1":
            # A broadcast messages many people: the sender sees how many, and confirms.
            check_text(text)
            preview = broadcasts.preview_audience(session, audience=audience, settings=settings)
            return page(
                request,
                session,
                actor,
                "outreach/confirm.html",
                {"nav": "outreach", "form": form, "preview": preview},
            )
        item, _ = broadcasts.do_create_broadcast(
            session,
            actor=actor,
            settings=settings,
            text=text,
            audience=audience,
            link_url=link_url or None,
            send_at=shared.local(send_at, settings),
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
        {**shared.tabs("b"), **_broadcast_context(session, item), "can_write": actor.can_write},
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


router.include_router(staff)
router.include_router(consultation_pages.router)
router.include_router(public.router)
