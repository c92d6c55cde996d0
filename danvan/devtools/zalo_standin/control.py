"""Control of a stand-in by out-of-process users (demo, benchmark): the `/_standin/*` routes
and `StandinControl`, their HTTP client."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from danvan.devtools.zalo_standin.playback import json_body
from danvan.devtools.zalo_standin.state import StandinState


def add_control_routes(*, app: FastAPI, state: StandinState) -> None:
    """The `/_standin/*` routes on `app`, acting on `state`."""

    @app.post("/_standin/reset")
    def control_reset() -> dict[str, bool]:
        state.reset()
        return {"ok": True}

    @app.post("/_standin/script")
    async def control_script(request: Request) -> Response:
        spec = await json_body(request)
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            return JSONResponse({"detail": "expected {path, body?, status?, delay?}"}, 422)
        state.script(
            spec["path"],
            spec.get("body"),
            status=spec.get("status"),
            delay=float(spec.get("delay") or 0),
        )
        return JSONResponse({"ok": True})

    @app.post("/_standin/config")
    async def control_config(request: Request) -> Response:
        spec = await json_body(request)
        if not isinstance(spec, dict):
            return JSONResponse({"detail": "expected an object"}, 422)
        with state.lock:
            if "accept_any_token" in spec:
                state.accept_any_token = bool(spec["accept_any_token"])
            state.access_tokens.update(spec.get("access_tokens") or [])
            state.refresh_tokens.update(spec.get("refresh_tokens") or [])
            state.bot_tokens.update(spec.get("bot_tokens") or [])
            state.blocked.update(str(r) for r in spec.get("blocked") or [])
            for key in ("zns_remaining_quota", "zns_daily_quota", "zns_balance_vnd"):
                if key in spec:
                    setattr(state, key, int(spec[key]))
        return JSONResponse({"ok": True})

    @app.post("/_standin/interactions")
    async def control_interactions(request: Request) -> Response:
        spec = await json_body(request)
        if not isinstance(spec, dict):
            return JSONResponse({"detail": "expected {user id: epoch ms}"}, 422)
        for user_id, at_ms in spec.items():
            state.interact(str(user_id), int(at_ms))
        return JSONResponse({"ok": True})

    @app.get("/_standin/requests")
    def control_requests(path: str | None = None) -> list[dict[str, Any]]:
        with state.lock:
            found = [r for r in state.requests if path is None or path in (r.path, r.route)]
            return [asdict(r) for r in found]

    @app.get("/_standin/messages")
    def control_messages() -> list[dict[str, Any]]:
        with state.lock:
            return [asdict(m) for m in state.received]


class StandinControl:
    """Drives a stand-in in another process (demo, benchmark) through `/_standin/*`."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def reset(self) -> None:
        self.client.post("/_standin/reset").raise_for_status()

    def script(
        self, path: str, body: Any = None, *, status: int | None = None, delay: float = 0.0
    ) -> None:
        spec = {"path": path, "body": body, "status": status, "delay": delay}
        self.client.post("/_standin/script", json=spec).raise_for_status()

    def configure(self, **options: Any) -> None:
        self.client.post("/_standin/config", json=options).raise_for_status()

    def interactions(self, last: dict[str, int]) -> None:
        """Tell the stand-in when citizens last interacted (user id -> epoch ms)."""
        self.client.post("/_standin/interactions", json=last).raise_for_status()

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        params = {"path": path} if path else None
        response = self.client.get("/_standin/requests", params=params)
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result

    def messages(self) -> list[dict[str, Any]]:
        response = self.client.get("/_standin/messages")
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result

    def close(self) -> None:
        self.client.close()
