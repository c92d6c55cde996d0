"""The staff member's own page (/account): who they are, and their Zalo link for alerts.

Only the signed-in person's own data is read or written here. The linking code is shown in
the response to the POST that made it, never put in the (signed, not encrypted) session cookie.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from danvan.accounts.actors import Actor
from danvan.kernel.models import utcnow
from danvan.opinion import alerts as staff_zalo
from danvan.web.deps import CsrfDep, SessionDep
from danvan.web.pages import StaffActor, StaffRoute, flash, page, redirect, remember_session

router = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)


def _page(
    request: Request, session: SessionDep, actor: Actor, *, code: str | None = None
) -> Response:
    now = utcnow()
    return page(
        request,
        session,
        actor,
        "account/index.html",
        {
            "nav": "account",
            "me": actor.user,
            "communes": sorted(actor.user.commune_codes),
            "zalo": staff_zalo.access_zalo_account(session, actor=actor, now=now),
            "code": code,
            "code_minutes": int(staff_zalo.CODE_TTL.total_seconds() // 60),
        },
    )


@router.get("/account")
def account_page(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    return _page(request, session, actor)


@router.post("/account/zalo/code", dependencies=[CsrfDep])
def account_new_code(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    """A new one-time linking code, shown once on the page this answers with."""
    code = staff_zalo.do_new_code(session, actor=actor)
    return _page(request, session, actor, code=code)


@router.post("/account/zalo/alerts", dependencies=[CsrfDep])
def account_alerts(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    enabled: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    on = enabled == "1"
    staff_zalo.do_set_alerts(session, actor=actor, enabled=on)
    flash(request, "account.flash.alerts_on" if on else "account.flash.alerts_off")
    return redirect("/account")


@router.post("/account/zalo/unlink", dependencies=[CsrfDep])
def account_unlink(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    staff_zalo.do_unlink(session, actor=actor)
    flash(request, "account.flash.unlinked")
    return redirect("/account")
