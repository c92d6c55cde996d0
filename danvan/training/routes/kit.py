"""What the training area's page modules share: the phone pages' route class (errors become a
simple page), the language switch of those pages, the trainee's key in the session cookie and
small form helpers.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from danvan.kernel.errors import CoreError, Invalid
from danvan.kernel.settings import Settings
from danvan.web.i18n import LOCALES, SESSION_KEY, locale_of, translator
from danvan.web.templating import render, zone

MAX_FORM = 40_000
SESSION_TRAINEE = "trainee"


class LearnerRoute(APIRoute):
    """Phone pages: core errors, CSRF refusals and bad input become a simple page, after the
    request's transaction is rolled back."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def html_errors(request: Request) -> Response:
            try:
                response = await handler(request)
                # A trainee's pages hold their name and results: never in a shared cache.
                response.headers.setdefault("Cache-Control", "no-store")
                return response
            except (CoreError, HTTPException, RequestValidationError) as exc:
                session = getattr(request.state, "db_session", None)
                if isinstance(session, Session):
                    await run_in_threadpool(session.rollback)
                _ = translator(locale_of(request.session))
                if isinstance(exc, CoreError):
                    status, message = exc.status, exc.message
                elif isinstance(exc, HTTPException):
                    status = exc.status_code
                    message = _("error.csrf") if status == 403 else str(exc.detail)
                else:
                    status, message = 422, _("error.bad_input")
                return render(
                    request,
                    "training/m_error.html",
                    {"status": status, "message": message},
                    status_code=status,
                )

        return html_errors


def choose_locale(request: Request) -> None:
    """`?lang=en` switches a trainee's pages (kept in the session cookie)."""
    lang = request.query_params.get("lang")
    if lang in LOCALES:
        request.session[SESSION_KEY] = lang


def tz(settings: Settings) -> ZoneInfo:
    """The configured local time zone (of dates typed in forms and printed on certificates)."""
    return zone(settings.timezone)


def lines(value: str, limit: int = 200) -> list[str]:
    """The non-blank lines of a text area, stripped, at most `limit` of them."""
    return [line.strip() for line in value.splitlines() if line.strip()][:limit]


def form_int(value: str, what: str, default: int | None = None) -> int:
    """A whole number typed in a form field (`default` when left blank); `Invalid` otherwise."""
    text = value.strip()
    if not text and default is not None:
        return default
    try:
        return int(text)
    except ValueError:
        raise Invalid("{what}: cần một số nguyên", code="invalid_input", what=what) from None
