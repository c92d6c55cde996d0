"""The OA OAuth v4 route (zalo.md §4): access tokens from an authorization code or from a
single-use refresh token, which rotates."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from danvan.devtools.zalo_standin.playback import new_id, play
from danvan.devtools.zalo_standin.protocol import ACCESS_TOKEN, ACCESS_TOKEN_SECONDS
from danvan.devtools.zalo_standin.state import StandinState


def add_oauth_routes(*, app: FastAPI, state: StandinState) -> None:
    """The OAuth v4 token route on `app`, answering from `state`."""

    @app.post(ACCESS_TOKEN)
    async def access_token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}

        def handle() -> Response:
            with state.lock:
                expected = state.app_secret_key
            if not request.headers.get("secret_key") or (
                expected is not None and request.headers.get("secret_key") != expected
            ):
                return JSONResponse(
                    {"error": -14019, "error_name": "Invalid secret key", "error_reason": ""}
                )
            grant = form.get("grant_type")
            if grant == "refresh_token":
                token = form.get("refresh_token", "")
                with state.lock:
                    usable = token not in state.used_refresh_tokens and (
                        token in state.refresh_tokens or state.accept_any_token
                    )
                    if token:
                        state.used_refresh_tokens.add(token)
                        state.refresh_tokens.discard(token)
                if not token or not usable:
                    return JSONResponse(
                        {
                            "error": -14014,
                            "error_name": "Invalid refresh token",
                            "error_reason": "refresh token is invalid or already used",
                        }
                    )
            elif grant == "authorization_code":
                if not form.get("code"):
                    return JSONResponse({"error": -14005, "error_name": "Invalid code"})
            else:
                return JSONResponse({"error": -14001, "error_name": "Invalid grant_type"})
            access, refresh = f"oa-at-{new_id()}", f"oa-rt-{new_id()}"
            with state.lock:
                state.access_tokens.add(access)
                state.refresh_tokens.add(refresh)
            return JSONResponse(
                {
                    "access_token": access,
                    "refresh_token": refresh,
                    "expires_in": str(ACCESS_TOKEN_SECONDS),
                }
            )

        return await play(state, request, form, handle)
