"""The web kit of the staff pages: routes whose errors become HTML pages (`StaffRoute`), who
is acting (`StaffActor`, `AdminActor`), and the helpers every area's pages share (`page`,
`redirect`, `flash`, `safe_next`, form parsing). Imports no capability: the nav's figures come
from the areas through `kernel.areas`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from danvan.accounts.actors import Actor
from danvan.kernel.areas import load, nav_links
from danvan.kernel.errors import CoreError, Invalid, NotFound
from danvan.web.deps import SessionDep, WebActor
from danvan.web.i18n import locale_of, translate_error, translator
from danvan.web.templating import CurrentUser, render

CHANNEL_KEYS = {"zalo_oa": "channel.zalo_oa", "zalo_bot": "channel.zalo_bot", "web": "channel.web"}
FLASH = "flash"


# --- Errors as pages ------------------------------------------------------------------------------


def error_page(request: Request, status: int, message: str) -> Response:
    _ = translator(locale_of(request.session))
    titles = {403: "error.403", 404: "error.404", 422: "error.422", 429: "error.429"}
    return render(
        request,
        "staff/error.html",
        {"status": status, "title": _(titles.get(status, "error.generic")), "message": message},
        status_code=status,
    )


def error_response(request: Request, exc: Exception) -> Response:
    _ = translator(locale_of(request.session))
    if isinstance(exc, CoreError):
        return error_page(request, exc.status, translate_error(locale_of(request.session), exc))
    if isinstance(exc, HTTPException):
        message = _("error.csrf") if exc.status_code == 403 else str(exc.detail)
        response = error_page(request, exc.status_code, message)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response
    return error_page(request, 422, _("error.bad_input"))


class StaffRoute(APIRoute):
    """A route whose core errors, CSRF refusals and bad input become HTML pages.

    The request's transaction is rolled back first: whatever the route wrote before the error
    is undone, as if the error had reached the session dependency.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def html_errors(request: Request) -> Response:
            try:
                return await handler(request)
            except (CoreError, HTTPException, RequestValidationError) as exc:
                session = getattr(request.state, "db_session", None)
                if isinstance(session, Session):
                    await run_in_threadpool(session.rollback)
                return error_response(request, exc)

        return html_errors


def remember_session(request: Request, session: SessionDep) -> None:
    """Keep the request's database session where `StaffRoute` can roll it back."""
    # The same (cached) session the route gets; `StaffRoute` rolls it back on an error.
    request.state.db_session = session


# --- Who is acting --------------------------------------------------------------------------------


def staff_actor(request: Request, actor: WebActor) -> Actor:
    request.state.current_user = CurrentUser.of(actor.user)
    return actor


StaffActor = Annotated[Actor, Depends(staff_actor)]


def admin_actor(actor: StaffActor) -> Actor:
    if not actor.is_admin:
        raise NotFound()  # admin pages do not exist for others
    return actor


AdminActor = Annotated[Actor, Depends(admin_actor)]


# --- Small helpers --------------------------------------------------------------------------------


def safe_next(value: object, default: str = "/inbox") -> str:
    """A local path to go back to; anything else (other hosts, schemes, `//x`) gives `default`."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 2000:
        return default
    if value.startswith(("//", "/\\")) or any(ord(ch) < 32 or ch == "\\" for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith("/login"):
        return default
    return value


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def flash(request: Request, key: str) -> None:
    request.session[FLASH] = key


def page(
    request: Request,
    session: Session,
    actor: Actor,
    name: str,
    context: Mapping[str, Any],
    status_code: int = 200,
) -> Response:
    """A full staff page: the nav's unread count and the flash message come with it."""
    full = {
        "nav_links": [
            (link, load(link.badge)(session, actor=actor) if link.badge else 0)
            for link in nav_links(admin=actor.is_admin)
        ],
        "flash": request.session.pop(FLASH, None),
        "channel_keys": CHANNEL_KEYS,
        **context,
    }
    return render(request, name, full, status_code=status_code)


def confirm_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    nav: str,
    title: str,
    lines: Iterable[str],
    quote: str,
    action: str,
    fields: Iterable[tuple[str, str]],
    send: str,
    back: str,
) -> Response:
    """The step before an action that messages citizens: what goes to how many, and a button
    that posts the same form again with `confirmed=1` (the CSRF token is the page's own)."""
    kept = [(k, v) for k, v in fields if k not in ("csrf_token", "confirmed")]
    context: dict[str, Any] = {"nav": nav, "title": title, "lines": list(lines), "quote": quote}
    context |= {"action": action, "fields": kept, "send": send, "back": back}
    return page(request, session, actor, "staff/confirm.html", context)


def form_str(form: Mapping[str, Any], name: str, limit: int = 10_000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def optional_int(value: str | None, what: str) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise Invalid("{what}: giá trị không hợp lệ", what=what) from None


def fingerprint(parts: Iterable[object]) -> str:
    return hashlib.sha256(repr(list(parts)).encode()).hexdigest()[:16]
