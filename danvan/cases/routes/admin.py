"""Staff pages of the cases area's administration (/cases/admin, admins; others get 403):
units and their members, routing rules and Open311 keys. Thin over `danvan.cases.units` and
`danvan.cases.open311`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from danvan.cases import units
from danvan.cases.routes.forms import int_or_none, read_form
from danvan.kernel import geo, taxonomy
from danvan.kernel.errors import Invalid
from danvan.kernel.settings import Settings
from danvan.web.deps import CsrfDep, SessionDep, SettingsDep
from danvan.web.i18n import locale_of
from danvan.web.pages import StaffActor, StaffRoute, page, redirect, remember_session

router = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)


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
            "topic_name": lambda code: taxonomy.topic_name(code, locale_of(request.session)),
            "communes": geo.province(settings.province).communes,
            "new_key": new_key,
        },
    )


@router.get("/cases/admin")
def admin_page(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    """Units, routing rules and Open311 keys (admins; others get 403)."""
    return _admin_page(request, session, actor, settings)


@router.post("/cases/admin/units", dependencies=[CsrfDep])
async def admin_unit(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    form = await read_form(request)
    units.do_create_unit(
        session,
        actor=actor,
        name=form.get("name", ""),
        commune_code=int_or_none(form.get("commune_code")),
        head_id=int_or_none(form.get("head_id")),
    )
    return redirect("/cases/admin")


@router.post("/cases/admin/members", dependencies=[CsrfDep])
async def admin_member(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    form = await read_form(request)
    unit_id, user_id = int_or_none(form.get("unit_id")), int_or_none(form.get("user_id"))
    if unit_id is None or user_id is None:
        raise Invalid("Cần chọn đơn vị và cán bộ", code="member")
    units.do_add_member(session, actor=actor, unit_id=unit_id, user_id=user_id)
    return redirect("/cases/admin")


@router.post("/cases/admin/rules", dependencies=[CsrfDep])
async def admin_rule(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    form = await read_form(request)
    units.do_set_rule(
        session,
        actor=actor,
        category=form.get("category") or None,
        commune_code=int_or_none(form.get("commune_code")),
        unit_id=int_or_none(form.get("unit_id")),
        assignee_id=int_or_none(form.get("assignee_id")),
    )
    return redirect("/cases/admin")


@router.post("/cases/admin/keys", dependencies=[CsrfDep])
async def admin_key(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    """Make an Open311 key: shown on this answer only (never stored in clear)."""
    from danvan.cases import open311 as case_open311

    form = await read_form(request)
    _key, raw = case_open311.do_create_key(session, actor=actor, name=form.get("name", ""))
    return _admin_page(request, session, actor, settings, new_key=raw)


@router.post("/cases/admin/keys/{key_id}/revoke", dependencies=[CsrfDep])
async def admin_key_revoke(
    request: Request, session: SessionDep, actor: StaffActor, key_id: int
) -> Response:
    from danvan.cases import open311 as case_open311

    case_open311.do_revoke_key(session, actor=actor, key_id=key_id)
    return redirect("/cases/admin")
