"""The staff pages of accounts: sign-in, sign-out, the language switch, and the admin pages
(users and the audit log).

Routes are thin: they parse the form, pick the transaction (`SessionDep`, committed before the
response is sent) and call the core. Every POST carries the session's CSRF token. Errors from
the core become HTML pages (see `web.pages.StaffRoute`) after the transaction has rolled back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from danvan.accounts import admin, lifecycle, staff, throttle
from danvan.accounts.actors import Actor
from danvan.accounts.audit import record
from danvan.accounts.lifecycle import MAX_PASSWORD
from danvan.accounts.models import Role, User
from danvan.accounts.sessions import live_sessions
from danvan.kernel import geo
from danvan.kernel.errors import Invalid
from danvan.kernel.settings import Settings
from danvan.web.deps import (
    PASSWORD_PAGE,
    SESSION_TOKEN,
    CsrfDep,
    SessionDep,
    SettingsDep,
    WebActor,
    client_ip,
    login_session,
    logout_session,
    signed_in_user,
)
from danvan.web.i18n import LOCALES, SESSION_KEY, locale_of, translate_error, translator
from danvan.web.pages import (
    AdminActor,
    StaffRoute,
    flash,
    optional_int,
    page,
    redirect,
    remember_session,
    safe_next,
)
from danvan.web.templating import render

router = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)


# --- Sign-in, sign-out, language ------------------------------------------------------------------


@router.get("/")
def home() -> Response:
    return redirect("/inbox")


@router.get("/login")
def login_form(request: Request, session: SessionDep, next: str = "") -> Response:
    if signed_in_user(request, session):
        return redirect(safe_next(next))
    return render(request, "staff/login.html", {"next": safe_next(next, ""), "email": ""})


@router.post("/login", dependencies=[CsrfDep])
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD * 4)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    _ = translator(locale_of(request.session))
    ip = client_ip(request)
    email = email.strip()[:254]
    context = {"next": safe_next(next, ""), "email": email}
    try:
        throttle.check_login(session, email=email, ip=ip)
    except throttle.Throttled as exc:
        wait = math.ceil(exc.wait.total_seconds())
        record(
            session,
            actor=None,
            via="web",
            action="login_throttled",
            detail={"email": email, "wait_seconds": wait},
            ip=ip,
        )
        response = render(
            request,
            "staff/login.html",
            {**context, "error": translate_error(locale_of(request.session), exc)},
            status_code=429,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    user = None
    if email and password and len(password) <= MAX_PASSWORD:
        user = staff.authenticate(session, email=email, password=password, ip=ip)
    if user is None:
        throttle.record_login_failure(session, email=email, ip=ip)
        return render(
            request, "staff/login.html", {**context, "error": _("login.failed")}, status_code=400
        )
    throttle.record_login_success(session, email=email, ip=ip)
    login_session(request, session, user)
    if user.must_change_password:
        return redirect(PASSWORD_PAGE)
    return redirect(safe_next(next))


@router.post("/logout", dependencies=[CsrfDep])
def logout(request: Request, session: SessionDep, actor: WebActor) -> Response:
    record(session, actor=actor, action="logout", object_type="user", object_id=actor.user.id)
    logout_session(request, session)
    return redirect("/login")


@router.post("/lang", dependencies=[CsrfDep])
def switch_language(
    request: Request,
    locale: Annotated[str, Form(max_length=8)] = "vi",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    request.session[SESSION_KEY] = locale if locale in LOCALES else "vi"
    signed_in = bool(request.session.get(SESSION_TOKEN))
    return redirect(safe_next(next, "/inbox" if signed_in else "/login"))


# --- Admin: users and the audit log -----------------------------------------------------------


def _users_page(
    request: Request,
    session: Session,
    actor: Actor,
    settings: Any,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: Mapping[str, Any] | None = None,
) -> Response:
    return page(
        request,
        session,
        actor,
        "admin/users.html",
        {
            "nav": "users",
            "users": admin.list_users(session, actor=actor),
            "roles": [r.value for r in Role],
            "communes": list(geo.province(settings.province).communes),
            "form": form or {"role": Role.OFFICER.value, "communes": []},
            "error": error,
        },
        status_code=status_code,
    )


def _codes(values: Iterable[str]) -> list[int]:
    return [c for c in (optional_int(v, "Xã/phường") for v in values) if c is not None]


@router.get("/admin/users")
def users_page(
    request: Request, session: SessionDep, actor: AdminActor, settings: SettingsDep
) -> Response:
    return _users_page(request, session, actor, settings)


@router.post("/admin/users", dependencies=[CsrfDep])
def create_user(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=1000)] = "",
    full_name: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    communes: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    form = {"email": email, "full_name": full_name, "role": role, "communes": communes}
    try:
        with session.begin_nested():
            staff.do_create_user(
                session,
                actor=actor,
                email=email,
                password=password,
                role=role,
                communes=_codes(communes[:500]),
                full_name=full_name,
            )
    except Invalid as exc:
        return _users_page(
            request,
            session,
            actor,
            settings,
            status_code=422,
            error=translate_error(locale_of(request.session), exc),
            form=form,
        )
    flash(request, "flash.user_created")
    return redirect("/admin/users")


def _user_page(
    request: Request,
    session: Session,
    actor: Actor,
    settings: Settings,
    user: User,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        session,
        actor,
        "admin/user.html",
        {
            "nav": "users",
            "user": user,
            "roles": [r.value for r in Role],
            "communes": list(geo.province(settings.province).communes),
            "tokens": lifecycle.live_token_count(session, user_id=user.id),
            "sessions": len(live_sessions(session, user_id=user.id, settings=settings)),
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/admin/users/{user_id}")
def user_page(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    settings: SettingsDep,
    user_id: int,
) -> Response:
    user = admin.access_user(session, actor=actor, user_id=user_id)
    return _user_page(request, session, actor, settings, user)


@router.post("/admin/users/{user_id}", dependencies=[CsrfDep])
def change_user(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    settings: SettingsDep,
    user_id: int,
    role: Annotated[str, Form(max_length=20)] = "",
    communes: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    user = admin.access_user(session, actor=actor, user_id=user_id)
    try:
        with session.begin_nested():
            staff.do_set_role(
                session, actor=actor, user=user, role=role, communes=_codes(communes[:500])
            )
    except Invalid as exc:
        session.refresh(user)
        error = translate_error(locale_of(request.session), exc)
        return _user_page(request, session, actor, settings, user, error=error, status_code=422)
    flash(request, "flash.user_saved")
    return redirect("/admin/users")


# Account lifecycle: each action is a form of its own on the user's page, with a checkbox the
# admin ticks to confirm (checked here, not only in the browser).


def _lifecycle(
    request: Request,
    session: Session,
    actor: Actor,
    settings: Settings,
    user_id: int,
    action: str,
    *,
    confirm: str,
    password: str = "",
) -> Response:
    user = admin.access_user(session, actor=actor, user_id=user_id)
    try:
        with session.begin_nested():
            if confirm != "yes":
                raise Invalid("Hãy đánh dấu ô xác nhận trước khi thực hiện", code="unconfirmed")
            if action in ("deactivate", "activate"):
                lifecycle.do_set_active(
                    session, actor=actor, user=user, active=action == "activate"
                )
            elif action == "password-reset":
                lifecycle.do_reset_password(session, actor=actor, user=user, password=password)
            else:
                lifecycle.do_revoke_tokens(session, actor=actor, user=user)
    except Invalid as exc:
        session.refresh(user)
        error = translate_error(locale_of(request.session), exc)
        return _user_page(request, session, actor, settings, user, error=error, status_code=422)
    flash(request, f"accounts.flash.{action.replace('/', '_').replace('-', '_')}")
    return redirect(f"/admin/users/{user.id}")


@router.post("/admin/users/{user_id}/deactivate", dependencies=[CsrfDep])
def deactivate_user(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    settings: SettingsDep,
    user_id: int,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    return _lifecycle(request, session, actor, settings, user_id, "deactivate", confirm=confirm)


@router.post("/admin/users/{user_id}/activate", dependencies=[CsrfDep])
def activate_user(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    settings: SettingsDep,
    user_id: int,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    return _lifecycle(request, session, actor, settings, user_id, "activate", confirm=confirm)


@router.post("/admin/users/{user_id}/password-reset", dependencies=[CsrfDep])
def reset_password(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    settings: SettingsDep,
    user_id: int,
    password: Annotated[str, Form(max_length=MAX_PASSWORD * 4)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    return _lifecycle(
        request,
        session,
        actor,
        settings,
        user_id,
        "password-reset",
        confirm=confirm,
        password=password,
    )


@router.post("/admin/users/{user_id}/tokens/revoke", dependencies=[CsrfDep])
def revoke_tokens(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    settings: SettingsDep,
    user_id: int,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    return _lifecycle(request, session, actor, settings, user_id, "tokens/revoke", confirm=confirm)


@router.get("/admin/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    action: str = "",
    user: str = "",
    before: str = "",
) -> Response:
    actor_id = optional_int(user, "Người dùng")
    before_id = optional_int(before, "Phân trang")
    entries = admin.list_audit(
        session,
        actor=actor,
        action=action[:64] or None,
        actor_id=actor_id,
        before_id=before_id,
        limit=100,
    )
    users = admin.list_users(session, actor=actor)
    older = None
    if len(entries) >= 100:
        older = "/admin/audit?" + urlencode(
            {k: v for k, v in {"action": action, "user": user}.items() if v}
            | {"before": str(entries[-1].id)}
        )
    return page(
        request,
        session,
        actor,
        "admin/audit.html",
        {
            "nav": "audit",
            "entries": [(entry, json.dumps(entry.detail, ensure_ascii=False)) for entry in entries],
            "users": users,
            "names": {u.id: u.full_name or u.email for u in users},
            "actions": admin.audit_actions(session, actor=actor),
            "filters": {"action": action[:64], "user": user},
            "older": older,
        },
    )
