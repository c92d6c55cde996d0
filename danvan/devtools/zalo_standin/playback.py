"""How every route answers: the request is recorded, then answered from the script queued
for its path or by the route's own handler; and the helpers the routes share."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from danvan.devtools.zalo_standin.state import Scripted, StandinState


def new_id() -> str:
    """A new Zalo-like id."""
    # Zalo ids are long opaque strings.
    return uuid.uuid4().hex


def _scripted_response(scripted: Scripted) -> Response:
    if scripted.body is None:
        return Response(
            content=f"stand-in: HTTP {scripted.status}", status_code=scripted.status or 200
        )
    return JSONResponse(scripted.body, status_code=scripted.status or 200)


async def play(state: StandinState, request: Request, body: Any, handle: Any) -> Response:
    """Record, then answer from the script or with `handle()`."""
    state.record(request, body)
    scripted = state.next_script(request.url.path)
    if scripted is not None and (scripted.body is not None or scripted.status is not None):
        if scripted.delay:
            await asyncio.sleep(scripted.delay)
        return _scripted_response(scripted)
    response: Response = handle()
    if scripted is not None and scripted.delay:
        await asyncio.sleep(scripted.delay)  # processed, but the answer comes late
    return response


async def json_body(request: Request) -> Any:
    """The request's JSON body, or None when it is not JSON."""
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        return None
