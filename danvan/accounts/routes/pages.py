"""The staff pages of accounts: sign-in, sign-out, the language switch, and the admin pages
(users and the audit log).

Routes are thin: they parse the form, pick the transaction (`SessionDep`, committed before the
response is sent) and call the core. Every POST carries the session's CSRF token. Errors from
the core become HTML pages (see `web.pages.StaffRoute`) after the transaction has rolled back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from danvan.accounts import admin, staff
from danvan.accounts.actors import Actor
from danvan.accounts.audit import record
from danvan.accounts.models import Role
from danvan.kernel import geo
from danvan.kernel.errors import Invalid
from danvan.web.deps import (
    CsrfDep,
    SessionDep,
    SettingsDep,
    WebActor,
    client_ip,
    login_session,
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

MAX_PASSWORD = 1024  # argon2 on megabytes of input would be a cheap way to burn our CPU


router = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)


# --- Sign-in, sign-out, language ------------------------------------------------------------------


@router.get("/")
def home() -> Response:
    return redirect("/inbox")


@router.get("/login")
def login_form(request: Request, next: str = "") -> Response:
    if request.session.get("uid"):
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
    if staff.login_throttled(session, email=email, ip=ip):
        record(
            session,
            actor=None,
            via="web",
            action="login_throttled",
            detail={"email": email},
            ip=ip,
        )
        return render(
            request,
            "staff/login.html",
            {**context, "error": _("login.throttled")},
            status_code=429,
        )
    user = None
    if email and password and len(password) <= MAX_PASSWORD:
        user = staff.authenticate(session, email=email, password=password, ip=ip)
    if user is None:
        staff.record_login_failure(session, email=email, ip=ip)
        return render(
            request, "staff/login.html", {**context, "error": _("login.failed")}, status_code=400
        )
    login_session(request, user)
    return redirect(safe_next(next))


@router.post("/logout", dependencies=[CsrfDep])
def logout(request: Request, session: SessionDep, actor: WebActor) -> Response:
    record(session, actor=actor, action="logout", object_type="user", object_id=actor.user.id)
    locale = request.session.get(SESSION_KEY)
    request.session.clear()
    if locale:
        request.session[SESSION_KEY] = locale
    return redirect("/login")


@router.post("/lang", dependencies=[CsrfDep])
def switch_language(
    request: Request,
    locale: Annotated[str, Form(max_length=8)] = "vi",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    request.session[SESSION_KEY] = locale if locale in LOCALES else "vi"
    return redirect(safe_next(next, "/login" if not request.session.get("uid") else "/inbox"))


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


@router.get("/admin/users/{user_id}")
def user_page(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    settings: SettingsDep,
    user_id: int,
) -> Response:
    user = admin.access_user(session, actor=actor, user_id=user_id)
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
            "error": None,
        },
    )


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
        return page(
            request,
            session,
            actor,
            "admin/user.html",
            {
                "user": user,
                "roles": [r.value for r in Role],
                "communes": list(geo.province(settings.province).communes),
                "error": translate_error(locale_of(request.session), exc),
            },
            status_code=422,
        )
    flash(request, "flash.user_saved")
    return redirect("/admin/users")


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
