"""The ASGI application: staff UI, public pages, webhooks and the JSON API."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from danvan import __version__
from danvan.inbox.routes.webhooks import WebhookEndpoint, lane_endpoint
from danvan.kernel import areas, clock
from danvan.kernel.db import Database, get_database
from danvan.kernel.settings import Settings, get_settings
from danvan.web import errors, openapi
from danvan.web.deps import PASSWORD_PAGE, LoginRequired, PasswordChangeRequired
from danvan.web.security_headers import SecurityHeadersMiddleware

STATIC = Path(__file__).parent / "static"
API_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dân Vận API</title>
<link rel="stylesheet" href="/static/swagger/swagger-ui.css">
<link rel="icon" href="/favicon.ico" sizes="any"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/swagger/init.js"></script></body></html>
"""


class DanvanApp(FastAPI):
    """FastAPI with the webhook lane at its front door: the two webhook POSTs go straight to their
    `WebhookEndpoint` (inbox/routes/webhooks.py), before FastAPI's own outer layers (a telemetry
    check, exception telemetry, the body limit; the endpoint bounds the body itself) and before
    the middlewares added below (sessions, security headers: the endpoint sets those headers
    itself). An exception still gets the app's own 500 answer, through Starlette's
    ServerErrorMiddleware and the handler `errors.install` registers, as any request does.
    Everything else goes through FastAPI unchanged. Why: those layers cost a web process more
    CPU per webhook than parsing it (bench/README.md, "ingest")."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lane: dict[WebhookEndpoint, ASGIApp] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = lane_endpoint(scope)
        if endpoint is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        guarded = self._lane.get(endpoint)
        if guarded is None:
            # Built on first use, once the handlers are registered (as Starlette builds its stack).
            handler = self.exception_handlers.get(500) or self.exception_handlers.get(Exception)
            guarded = self._lane[endpoint] = ServerErrorMiddleware(
                endpoint, handler=handler, debug=self.debug
            )
        await guarded(scope, receive, send)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    clock.start_at(settings.clock_start)
    # Resolve once: sessions and the web form's signed tokens must use the same real key.
    settings.secret_key = settings.resolve_secret_key()
    app = DanvanApp(
        title="Dân Vận API",
        version=__version__,
        docs_url=None,  # served below from vendored files: no CDN, no inline script
        redoc_url=None,
        # Served below, built by a child process (web/openapi.py): not kept in this one.
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.database = database or get_database()
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="danvan_session",
        max_age=settings.session_minutes * 60,
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )
    app.add_middleware(SecurityHeadersMiddleware)
    # The webhook POSTs skip every layer above: DanvanApp answers them first.
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # Every area's routers, in the order of kernel/areas.py (their `routers` hook).
    for router in areas.routers():
        app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def _password_change(request: Request, _exc: PasswordChangeRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": PASSWORD_PAGE})
        return RedirectResponse(PASSWORD_PAGE, status_code=303)

    # Other errors: a friendly page for browsers, JSON for API clients (web/errors.py).
    errors.install(app)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(API_DOCS_PAGE)

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi_document() -> Response:
        return Response(openapi.document_bytes(), media_type="application/json")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        # Browsers ask for it on every first visit; a week in caches spares them the asking.
        return FileResponse(
            STATIC / "favicon.ico",
            media_type="image/x-icon",
            headers={"Cache-Control": "public, max-age=604800"},
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
