"""Zalo OA OAuth v4: refreshing the rotating token pair, and the provider the sender asks.

Facts (zalo.md §4): `POST {oauth_base}/v4/oa/access_token`, form `app_id`, `refresh_token`,
`grant_type=refresh_token`, header `secret_key: <App Secret Key>`; the answer is
`{"access_token", "refresh_token", "expires_in": "90000"}` (a string), or
`{"error": -14014, "error_name", "error_reason"}`. Refresh tokens are single-use: the new pair
is saved under a row lock before anyone uses it (see `danvan.channels.tokens.rotate_tokens`).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

from danvan.channels.http import HttpTransport, TransportError
from danvan.channels.tokens import TokenPair, TokenSnapshot, load_tokens, rotate_tokens
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings

log = logging.getLogger("danvan.channels.zalo_oa")

PLATFORM = "zalo_oa"
# Refresh ahead of expiry when less than this is left (tokens live 25 h).
REFRESH_AHEAD = timedelta(hours=1)
EXPIRED_REASON = "Token Zalo OA hết hạn, quản trị viên cần cấp lại: danvan zalo set-tokens"
MISSING_REASON = "Chưa có token Zalo OA, quản trị viên cần cấp: danvan zalo set-tokens"


class OAuthError(Exception):
    """The token endpoint refused or could not be reached. `transient`: worth trying later."""

    def __init__(self, code: str, reason: str, *, transient: bool) -> None:
        super().__init__(f"{reason} ({code})")
        self.code = code
        self.reason = reason
        self.transient = transient


class TokenUnavailable(Exception):
    """No usable access token: `reason` is shown to staff on the message."""

    def __init__(self, code: str, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.transient = transient


def _error_code(body: Any) -> str | None:
    if isinstance(body, dict) and body.get("error") not in (None, 0, "0"):
        return str(body["error"])
    return None


def _seconds(value: Any) -> int | None:
    """`expires_in` arrives as a string ("90000"); accept a number too."""
    try:
        seconds = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


class ZaloOAuthClient:
    def __init__(self, *, settings: Settings, transport: HttpTransport | None = None) -> None:
        self.app_id = settings.zalo_oa_app_id
        self.secret_key = settings.zalo_app_secret_key
        self.transport = transport or HttpTransport(
            name="zalo_oauth",
            base_url=settings.zalo_oauth_base,
            timeout=settings.http_timeout,
            secrets=(settings.zalo_app_secret_key,),
        )

    def refresh(self, refresh_token: str) -> TokenPair:
        """Trade a refresh token for a new pair. Raises `OAuthError`."""
        return self._token_call(
            {"app_id": self.app_id, "refresh_token": refresh_token, "grant_type": "refresh_token"},
            secret=refresh_token,
        )

    def exchange_code(self, code: str, *, code_verifier: str | None = None) -> TokenPair:
        """Trade the consent redirect's `code` for the first pair. Raises `OAuthError`."""
        form = {"app_id": self.app_id, "code": code, "grant_type": "authorization_code"}
        if code_verifier:
            form["code_verifier"] = code_verifier
        return self._token_call(form, secret=code)

    def _token_call(self, form: dict[str, str], *, secret: str) -> TokenPair:
        try:
            reply = self.transport.call(
                "POST",
                "/v4/oa/access_token",
                headers={"secret_key": self.secret_key},
                data=form,
                error_code=_error_code,
                secrets=(secret,),
            )
        except TransportError as exc:
            raise OAuthError(
                exc.code, "Không kết nối được máy chủ OAuth Zalo", transient=True
            ) from exc
        body = reply.body
        if reply.status == 429 or reply.status >= 500:
            raise OAuthError(f"http_{reply.status}", "Máy chủ OAuth Zalo đang lỗi", transient=True)
        if not isinstance(body, dict):
            raise OAuthError(
                "bad_response", "Máy chủ OAuth Zalo trả lời không hợp lệ", transient=True
            )
        access = body.get("access_token")
        refresh = body.get("refresh_token")
        if _error_code(body) is not None or not access or not refresh:
            code = _error_code(body) or "no_token"
            words = body.get("error_reason") or body.get("error_name") or body.get("message") or ""
            raise OAuthError(
                code, str(words)[:200] or "Zalo từ chối làm mới token", transient=False
            )
        return TokenPair(str(access), str(refresh), _seconds(body.get("expires_in")))


class OATokenProvider:
    """The OA access token for senders: cached briefly, refreshed ahead of expiry or on demand.

    Safe to share between threads; several processes coordinate through the database row lock.
    """

    def __init__(
        self, *, database: Database, oauth: ZaloOAuthClient, cache_seconds: float = 30.0
    ) -> None:
        self.database = database
        self.oauth = oauth
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cached: TokenSnapshot | None = None
        self._cached_at = 0.0

    def current(self) -> TokenSnapshot:
        """A token to use now. Raises `TokenUnavailable`."""
        with self._lock:
            fresh = time.monotonic() - self._cached_at < self.cache_seconds
            snapshot = self._cached if fresh else None
        if snapshot is None:
            with self.database.session() as session:
                snapshot = load_tokens(session, platform=PLATFORM)
            if snapshot is None:
                raise TokenUnavailable("token_missing", MISSING_REASON, transient=False)
            self._remember(snapshot)
        if snapshot.expires_within(REFRESH_AHEAD):
            try:
                return self.refresh(stale=snapshot)
            except TokenUnavailable as exc:
                if snapshot.expires_at is not None and snapshot.expires_at > utcnow():
                    # Still valid for a while: keep sending; the next call tries again.
                    log.warning("zalo_oa token refresh ahead of expiry failed: %s", exc.code)
                    return snapshot
                raise
        return snapshot

    def refresh(self, *, stale: TokenSnapshot) -> TokenSnapshot:
        """The pair after `stale`: refreshed now, or the one another worker just saved."""
        asked = False

        def ask_platform(refresh_token: str) -> TokenPair:
            nonlocal asked
            asked = True
            return self.oauth.refresh(refresh_token)

        try:
            with self.database.session() as session:
                snapshot = rotate_tokens(
                    session, platform=PLATFORM, seen_version=stale.version, refresh=ask_platform
                )
        except OAuthError as exc:
            log.warning("zalo_oa token refresh failed: %s %s", exc.code, exc.reason)
            if exc.transient:
                raise TokenUnavailable(
                    exc.code,
                    f"Không làm mới được token Zalo OA ({exc.code}), sẽ thử lại",
                    transient=True,
                ) from exc
            raise TokenUnavailable(exc.code, EXPIRED_REASON, transient=False) from exc
        if snapshot is None:
            raise TokenUnavailable("token_missing", MISSING_REASON, transient=False)
        if asked:
            log.info("zalo_oa token refreshed (v%d)", snapshot.version)
        else:
            log.info("zalo_oa token already rotated by another worker (v%d)", snapshot.version)
        self._remember(snapshot)
        return snapshot

    def _remember(self, snapshot: TokenSnapshot) -> None:
        with self._lock:
            if self._cached is None or snapshot.version >= self._cached.version:
                self._cached = snapshot
                self._cached_at = time.monotonic()

    def close(self) -> None:
        self.oauth.transport.close()
