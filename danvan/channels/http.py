"""The HTTP base every platform adapter shares: one client, timeouts, and a log line per call.

Each call is logged once (method, path, HTTP status, the platform's error code, duration) with
secrets redacted: bearer-like tokens never appear in paths we log (the Bot API puts its token in
the URL), and headers and bodies are never logged at all. httpx's own request log line carries
the full URL, so a filter on its logger redacts it too.
"""

from __future__ import annotations

import enum
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger("danvan.channels.http")

# The Bot API's token sits in the path: /bot<token>/sendMessage.
_BOT_PATH = re.compile(r"/bot[^/\s\"']+/")
# Tokens some code puts in query strings.
_TOKEN_QUERY = re.compile(r"((?:access_token|refresh_token|secret_key)=)[^&\s\"']+", re.IGNORECASE)
REDACTED = "***"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with known secrets, bot-token paths and token query parameters masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    text = _BOT_PATH.sub(f"/bot{REDACTED}/", text)
    return _TOKEN_QUERY.sub(rf"\g<1>{REDACTED}", text)


class _RedactHttpxLog(logging.Filter):
    """httpx logs every request with its full URL at INFO; mask tokens in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg = masked
            record.args = ()
        return True


def _install_log_filter() -> None:
    # httpcore's own (DEBUG) lines carry no URL; httpx's INFO line does.
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactHttpxLog) for f in logger.filters):
        logger.addFilter(_RedactHttpxLog())


_install_log_filter()


class TransportError(Exception):
    """No HTTP answer: a timeout or a connection failure.

    `maybe_delivered` is True when the request may have reached the platform (the answer was
    lost on the way back), so a resend could duplicate it; False when it surely never left.
    """

    def __init__(self, code: str, detail: str, *, maybe_delivered: bool) -> None:
        super().__init__(detail)
        self.code = code  # timeout | connect_timeout | connection | connection_lost
        self.detail = detail
        self.maybe_delivered = maybe_delivered


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: Any  # parsed JSON, or None when the answer is not JSON
    headers: Mapping[str, str]
    duration_ms: int

    def retry_after(self) -> float | None:
        """Seconds from a Retry-After header, when given as a number."""
        value = self.headers.get("retry-after")
        try:
            return max(0.0, float(value)) if value is not None else None
        except ValueError:
            return None


class HttpTransport:
    """A platform's HTTP client. Thread-safe (httpx.Client is); one per sender."""

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        timeout: float,
        secrets: Iterable[str] = (),
        client: httpx.Client | None = None,
    ) -> None:
        self.name = name
        self.secrets = tuple(s for s in secrets if s)
        self.client = client or httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout),
            headers={"user-agent": "danvan"},
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        params: Mapping[str, str] | None = None,
        error_code: Callable[[Any], str | None] | None = None,
        secrets: Iterable[str] = (),
    ) -> HttpReply:
        """Make one request and log it. Raises `TransportError` when no answer came back.

        `error_code` reads the platform's error code from the parsed body, for the log line;
        `secrets` are extra values (tokens used by this call) to mask in anything logged.
        """
        hidden = (*self.secrets, *secrets)
        shown_path = redact(path, hidden)
        started = time.monotonic()
        try:
            response = self.client.request(
                method, path, headers=headers, json=json, data=data, files=files, params=params
            )
        except httpx.TimeoutException as exc:
            never_sent = isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
            code = "connect_timeout" if never_sent else "timeout"
            raise self._failed(
                method, shown_path, started, code, exc, hidden, not never_sent
            ) from exc
        except (httpx.ConnectError, httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise self._failed(
                method, shown_path, started, "connection", exc, hidden, False
            ) from exc
        except httpx.HTTPError as exc:
            # The connection broke after the request went out: it may have been processed.
            raise self._failed(
                method, shown_path, started, "connection_lost", exc, hidden, True
            ) from exc
        duration_ms = int((time.monotonic() - started) * 1000)
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        platform_code: str | None = None
        if error_code is not None and body is not None:
            try:
                platform_code = error_code(body)
            except (AttributeError, KeyError, TypeError, ValueError):
                platform_code = None
        log.info(
            "%s %s %s -> %s%s %dms",
            self.name,
            method,
            shown_path,
            response.status_code,
            f" error={platform_code}" if platform_code else "",
            duration_ms,
        )
        return HttpReply(
            status=response.status_code,
            body=body,
            headers=response.headers,
            duration_ms=duration_ms,
        )

    def _failed(
        self,
        method: str,
        shown_path: str,
        started: float,
        code: str,
        exc: Exception,
        hidden: tuple[str, ...],
        maybe_delivered: bool,
    ) -> TransportError:
        duration_ms = int((time.monotonic() - started) * 1000)
        detail = redact(f"{type(exc).__name__}: {exc}", hidden)[:300]
        log.warning(
            "%s %s %s -> %s (%s) %dms", self.name, method, shown_path, code, detail, duration_ms
        )
        return TransportError(code, detail, maybe_delivered=maybe_delivered)

    def close(self) -> None:
        self.client.close()


class SentState(enum.StrEnum):
    FOUND = "found"  # the platform has it: do not send again
    NOT_FOUND = "not_found"  # the platform surely does not have it: sending is safe
    UNKNOWN = "unknown"  # cannot tell (no history API, or it failed)


@dataclass(frozen=True)
class SentCheck:
    """The answer to "did this text already reach the citizen?", asked after a crash or a lost
    answer. Senders without a history API always answer UNKNOWN."""

    state: SentState
    message_id: str | None = None
    reason: str = ""

    @classmethod
    def unknown(cls, reason: str) -> SentCheck:
        return cls(SentState.UNKNOWN, reason=reason)
