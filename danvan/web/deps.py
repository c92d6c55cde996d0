"""Request dependencies: the database session, the acting user, CSRF. Typed aliases for routes."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.accounts.staff import user_for_token
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database_dep(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    with get_database_dep(request).session() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": the transaction commits when the route returns, *before* the response is
# sent, so a client that got its 201 can count on the write (and its outbox row) being there.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


# --- API: personal tokens ---------------------------------------------------------------------


def api_actor(
    request: Request, session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> Actor:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(
            status_code=401,
            detail="Missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    user = user_for_token(session, authorization[7:].strip())
    if user is None:
        raise HTTPException(
            status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"}
        )
    return Actor(user, via="api", ip=client_ip(request))


ApiActor = Annotated[Actor, Depends(api_actor)]


# --- Staff web UI: signed session cookie --------------------------------------------------------

SESSION_USER = "uid"
SESSION_SEEN = "seen"
SESSION_CSRF = "csrf"


class LoginRequired(Exception):
    """Raised by `web_actor`; the app turns it into a redirect to the login page."""


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    """Every state-changing form or HTMX call carries the session's CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    expected = request.session.get(SESSION_CSRF)
    if not sent or not expected or not hmac.compare_digest(str(sent), str(expected)):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")


CsrfDep = Depends(check_csrf)


def web_actor(request: Request, session: SessionDep, settings: SettingsDep) -> Actor:
    user_id = request.session.get(SESSION_USER)
    seen = request.session.get(SESSION_SEEN, 0)
    now = int(clock.timestamp())
    if not user_id or now - int(seen) > settings.session_minutes * 60:
        request.session.pop(SESSION_USER, None)
        raise LoginRequired
    user = session.get(User, int(user_id))
    if user is None or not user.is_active:
        request.session.clear()
        raise LoginRequired
    request.session[SESSION_SEEN] = now
    return Actor(user, via="web", ip=client_ip(request))


WebActor = Annotated[Actor, Depends(web_actor)]


def login_session(request: Request, user: User) -> None:
    """Start a fresh session (a new CSRF token too: no fixation)."""
    locale = request.session.get("locale")
    request.session.clear()
    request.session[SESSION_USER] = user.id
    request.session[SESSION_SEEN] = int(clock.timestamp())
    request.session["locale"] = locale or user.locale
    csrf_token(request)
