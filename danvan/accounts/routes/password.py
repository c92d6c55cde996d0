"""The signed-in staff member's password page (/account/password): change the password (the
only page an account may use after an admin reset it), and sign out everywhere.

Changing the password or signing out everywhere ends every session of the account on the
server; after a change this browser gets a fresh session, after "everywhere" it signs in again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from danvan.accounts import lifecycle
from danvan.accounts.actors import Actor
from danvan.accounts.sessions import live_sessions
from danvan.accounts.staff import MIN_PASSWORD
from danvan.kernel.errors import CoreError, Invalid
from danvan.kernel.settings import Settings
from danvan.web.deps import (
    PASSWORD_PAGE,
    CsrfDep,
    SessionDep,
    SettingsDep,
    login_session,
    logout_session,
)
from danvan.web.i18n import locale_of, translate_error
from danvan.web.pages import StaffActor, StaffRoute, flash, page, redirect, remember_session

router = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)
FIELD = Annotated[str, Form(max_length=lifecycle.MAX_PASSWORD * 4)]


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        session,
        actor,
        "staff/password.html",
        {
            "nav": "account",
            "me": actor.user,
            "sessions": live_sessions(session, user_id=actor.user.id, settings=settings),
            "min_password": MIN_PASSWORD,
            "error": error,
        },
        status_code=status_code,
    )


@router.get(PASSWORD_PAGE)
def password_page(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    return _page(request, session, actor, settings)


@router.post(PASSWORD_PAGE, dependencies=[CsrfDep])
def change_password(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    current: FIELD = "",
    new: FIELD = "",
    again: FIELD = "",
) -> Response:
    forced = actor.user.must_change_password
    try:
        if new != again:
            raise Invalid("Hai lần nhập mật khẩu mới không khớp", code="mismatch")
        lifecycle.do_change_password(session, actor=actor, current=current, new=new)
    except CoreError as exc:
        # Not rolled back: a wrong current password is counted and audited.
        error = translate_error(locale_of(request.session), exc)
        return _page(request, session, actor, settings, error=error, status_code=exc.status)
    login_session(request, session, actor.user)
    flash(request, "accounts.flash.password_changed")
    return redirect("/inbox" if forced else PASSWORD_PAGE)


@router.post("/account/sessions/revoke", dependencies=[CsrfDep])
def sign_out_everywhere(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    lifecycle.do_sign_out_everywhere(session, actor=actor)
    logout_session(request, session)
    return redirect("/login")
