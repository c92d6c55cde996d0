"""Errors nobody's route turned into a page (an unknown address, a malformed path, a refusal
the core raised, a crash): a friendly page for people, JSON for programs.

Browsers get the public error page (Vietnamese, English on `?lang=en` or the visitor's choice)
with the way back to the form and the lookup; API clients keep the JSON they have always had:
any path under /api/, the webhooks and Open311, and any request whose Accept header asks for
JSON and not HTML. Staff pages turn their own errors into staff pages first (`StaffRoute`).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from danvan.kernel.errors import CoreError
from danvan.web.i18n import LOCALES, SESSION_KEY
from danvan.web.templating import render

log = logging.getLogger(__name__)

PROGRAM_PATHS = ("/api/", "/webhooks/", "/open311/")
# The statuses with a page of their own; any other 4xx reads as 400, any 5xx as 500.
PAGES = (400, 403, 404, 405, 413, 422, 429, 500, 503)
HEADERS = {"Cache-Control": "no-store"}


def wants_json(request: Request) -> bool:
    """True for programs: API paths, and clients that ask for JSON (or for nothing: */*)."""
    if request.url.path.startswith(PROGRAM_PATHS) or request.url.path == "/healthz":
        return True
    accept = request.headers.get("accept", "").lower()
    return "text/html" not in accept


def page_status(status: int) -> int:
    if status in PAGES:
        return status
    return 500 if status >= 500 else 400


def error_page(request: Request, status: int, *, headers: dict[str, str] | None = None) -> Response:
    """The public error page for `status`: what happened and what to do, in the visitor's
    language (`?lang=en` switches it, as on every public page)."""
    lang = request.query_params.get("lang")
    if lang in LOCALES and "session" in request.scope:
        request.session[SESSION_KEY] = lang
    shown = page_status(status)
    return render(
        request,
        "public/error.html",
        {"status": shown},
        status_code=status,
        headers={**HEADERS, **(headers or {})},
    )


def install(app: FastAPI) -> None:
    """Register the handlers on the app (the app factory calls it once)."""

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if wants_json(request):
            return await http_exception_handler(request, exc)
        return error_page(request, exc.status_code, headers=dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if wants_json(request):
            return await request_validation_exception_handler(request, exc)
        return error_page(request, 422)

    @app.exception_handler(CoreError)
    async def _core(request: Request, exc: CoreError) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=exc.status)
        return error_page(request, exc.status)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        # Starlette logs the exception and re-raises it after this answer is sent.
        if wants_json(request):
            return JSONResponse({"detail": "Internal Server Error"}, status_code=500)
        try:
            return error_page(request, 500)
        except Exception:  # the page itself failed: say it plainly
            log.exception("the error page failed")
            return Response("500 Internal Server Error", status_code=500, media_type="text/plain")
