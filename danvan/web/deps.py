"""Request dependencies: the database session, the acting user, CSRF. Typed aliases for routes."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Iterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.accounts.sessions import do_end_session, do_start_session, user_for_session
from danvan.accounts.staff import user_for_token
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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
    """The client's address, for rate limits, the audit log and login throttling: the peer, or,
    when the peer is a trusted reverse proxy (DANVAN_TRUSTED_PROXIES), the right-most address
    of X-Forwarded-For that is not a trusted proxy. Addresses left of it are whatever the
    client chose to send, so they are never believed."""
    peer = request.client.host if request.client else ""
    settings: Settings = request.app.state.settings
    networks = _networks(tuple(settings.trusted_proxies))
    if not _trusted(peer, networks):
        return peer
    chain = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
    ]
    for hop in reversed(chain):
        if not _trusted(hop, networks):
            return hop if _is_ip(hop) else peer
    return chain[0] if chain and _is_ip(chain[0]) else peer


@lru_cache(maxsize=16)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _trusted(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


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
    if user.must_change_password:
        raise HTTPException(
            status_code=403,
            detail="Mật khẩu đã được đặt lại: hãy đăng nhập và đổi mật khẩu trước",
        )
    return Actor(user, via="api", ip=client_ip(request))


ApiActor = Annotated[Actor, Depends(api_actor)]


# --- Staff web UI: a signed cookie holding a server-side session's token -------------------------
# The cookie (signed by Starlette's SessionMiddleware) carries the session token, the CSRF token
# and the language; who is signed in, since when and until when is the `staff_sessions` row
# (accounts.sessions), so that signing out or a revocation ends a copied cookie too.

SESSION_TOKEN = "sid"  # noqa: S105 (a cookie key, not a secret)
SESSION_CSRF = "csrf"
# The only pages of an account whose password an admin reset, until it is changed.
PASSWORD_PAGE = "/account/password"  # noqa: S105 (a path)
PASSWORD_CHANGE_PATHS = frozenset({PASSWORD_PAGE, "/account/sessions/revoke", "/logout"})


class LoginRequired(Exception):
    """Raised by `web_actor`; the app turns it into a redirect to the login page."""


class PasswordChangeRequired(Exception):
    """Raised by `web_actor` for an account whose password was reset: the app redirects to
    the password page, the one thing such an account may do."""


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


def _session_user(request: Request, session: Session) -> User | None:
    token = request.session.get(SESSION_TOKEN)
    if not isinstance(token, str) or not token:
        return None
    user = user_for_session(session, token=token, settings=get_settings_dep(request))
    if user is None:
        request.session.pop(SESSION_TOKEN, None)
    return user


def signed_in_user(request: Request, session: Session) -> User | None:
    """The staff member signed in on this browser, if any (and free to act: not waiting to
    change a reset password). For pages that staff and others share."""
    user = _session_user(request, session)
    return None if user is None or user.must_change_password else user


def web_actor(request: Request, session: SessionDep) -> Actor:
    user = _session_user(request, session)
    if user is None:
        raise LoginRequired
    if user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise PasswordChangeRequired
    return Actor(user, via="web", ip=client_ip(request))


WebActor = Annotated[Actor, Depends(web_actor)]


def login_session(request: Request, session: Session, user: User) -> None:
    """Start a fresh session (a new token and a new CSRF token: no fixation)."""
    locale = request.session.get("locale")
    logout_session(request, session)
    request.session[SESSION_TOKEN] = do_start_session(
        session, user=user, settings=get_settings_dep(request), ip=client_ip(request)
    )
    request.session["locale"] = locale or user.locale
    csrf_token(request)


def logout_session(request: Request, session: Session) -> None:
    """End this browser's session on the server and empty the cookie (the language stays)."""
    token = request.session.get(SESSION_TOKEN)
    if isinstance(token, str):
        do_end_session(session, token=token)
    locale = request.session.get("locale")
    request.session.clear()
    if locale:
        request.session["locale"] = locale
