"""A local stand-in for Zalo: the OA Open API, OA OAuth v4 and the Bot API, as documented
(zalo.md §3–5, §7). Used by tests, the demo and the benchmark; never in production.

It records every request, keeps the OA's messaging windows (48 h free, 7 days charged, then
-230) for the citizens it saw interact, speaks the template-message (ZNS) API with its errors
and delivery receipts, keeps the messages "received by citizens' phones", issues rotating
single-use refresh tokens, and plays scripted answers per path (FIFO) so a test can make Zalo
answer -216, HTTP 500 or nothing in time. State lives in `app.state.standin`
(`StandinState`); out-of-process users (demo, benchmark) drive it through `/_standin/*` or
`StandinControl`. `GET /` shows the received messages, newest first.

The package: protocol (ids, limits, paths, templates), state (`StandinState`, `state_of`),
playback (how a route answers: recorded, then scripted or handled), the routes of oa, zns, oauth
and bot, control
(`/_standin/*` and `StandinControl`) and phone (the page); `create_standin_app` puts them
together.
"""

from __future__ import annotations

from fastapi import FastAPI

from danvan.devtools.zalo_standin.bot import add_bot_routes
from danvan.devtools.zalo_standin.control import add_control_routes
from danvan.devtools.zalo_standin.oa import add_oa_routes
from danvan.devtools.zalo_standin.oauth import add_oauth_routes
from danvan.devtools.zalo_standin.phone import add_phone_page
from danvan.devtools.zalo_standin.state import StandinState
from danvan.devtools.zalo_standin.zns import add_zns_routes


def create_standin_app() -> FastAPI:
    app = FastAPI(title="Zalo stand-in", docs_url=None, redoc_url=None, openapi_url=None)
    state = StandinState()
    app.state.standin = state
    add_oa_routes(app=app, state=state)
    add_oauth_routes(app=app, state=state)
    add_bot_routes(app=app, state=state)
    add_zns_routes(app=app, state=state)
    add_control_routes(app=app, state=state)
    add_phone_page(app=app, state=state)
    return app


__all__ = ["StandinState", "create_standin_app"]
