"""The ASGI application: staff UI, public pages, webhooks and the JSON API."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from danvan import __version__
from danvan.inbox.routes.webhooks import WebhookLane
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


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    clock.start_at(settings.clock_start)
    # Resolve once: sessions and the web form's signed tokens must use the same real key.
    settings.secret_key = settings.resolve_secret_key()
    app = FastAPI(
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
    # Outermost: the webhooks skip the layers above (inbox/routes/webhooks.py says why).
    app.add_middleware(WebhookLane)
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
