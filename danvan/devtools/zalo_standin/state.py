"""Everything the stand-in remembers (`StandinState`: requests, messages received by
citizens' phones, tokens, scripted answers) and the records it keeps, and `state_of`, which
finds the state of a running stand-in."""

from __future__ import annotations

import copy
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from danvan.devtools.zalo_standin.protocol import (
    BOT_SEND,
    FREE_WINDOW_MS,
    OA_ID,
    PAID_WINDOW_MS,
    ZNS_TEMPLATES,
)
from danvan.kernel import clock


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    query: dict[str, str]
    body: Any  # parsed JSON, form fields, or {"file": {...}} for uploads
    time: float

    @property
    def route(self) -> str:
        return BOT_SEND if _is_bot(self.path) else self.path


@dataclass
class Scripted:
    """An answer to play instead of the normal behaviour. With neither `body` nor `status`, the
    request is processed normally and its answer delayed by `delay` (a lost answer: the message
    was accepted, the client timed out)."""

    body: Any = None
    status: int | None = None
    delay: float = 0.0


@dataclass
class Received:
    message_id: str
    api: str  # "oa" | "bot"
    recipient: str
    text: str
    time_ms: int
    idempotency_key: str | None = None
    attachment_id: str | None = None
    # Buttons under the text, as sent: [{"title", "type", "payload"}].
    buttons: list[dict[str, Any]] = field(default_factory=list)
    # The template of a template message other than media/buttons, as sent (its payload),
    # e.g. {"template_type": "request_user_info", "elements": [{title, subtitle, image_url}]}.
    template: dict[str, Any] | None = None
    # OA: sent between 48 h and 7 days after the citizen's last interaction (charged).
    charged: bool = False
    # ZNS: our tracking id and the mode ("development" or None).
    tracking_id: str | None = None
    mode: str | None = None


def _is_bot(path: str) -> bool:
    return path.startswith("/bot") and path.endswith("/sendMessage")


class StandinState:
    """Everything the stand-in remembers. Thread-safe: tests read it while the server runs."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests: list[Recorded] = []
            self.received: list[Received] = []
            self.scripts: dict[str, deque[Scripted]] = {}
            # With accept_any_token, any access token (and any never-used refresh token) works,
            # so a demo can start from whatever tokens were stored; tests may turn it off.
            self.accept_any_token = True
            self.access_tokens: set[str] = set()
            self.refresh_tokens: set[str] = set()  # issued or allowed, not yet used
            self.used_refresh_tokens: set[str] = set()
            self.bot_tokens: set[str] = set()  # checked only when accept_any_token is off
            # When set, the token endpoint requires this `secret_key` header.
            self.app_secret_key: str | None = None
            self.blocked: set[str] = set()  # recipients who blocked the OA / the bot
            self.citizen_history: list[dict[str, Any]] = []
            self.uploads: dict[str, int] = {}  # attachment_id -> bytes
            # Article broadcasts received: {"article_id", "target", "shape"}. `article_shape`
            # is the target shape accepted ("any", "arrays" or "scalars"; the sources differ).
            self.articles: list[dict[str, Any]] = []
            self.article_shape = "any"
            # OA messaging windows (zalo.md §3, §6): user id -> epoch ms of their last
            # interaction. Citizens never seen interacting are not checked.
            self.interactions: dict[str, int] = {}
            # Template messages (ZNS): the OA's templates, quota, balance; a receipt for each
            # message sent, handed to `receipt_sink` when one is set (the demo posts it).
            self.zns_templates: dict[str, dict[str, Any]] = copy.deepcopy(ZNS_TEMPLATES)
            self.zns_daily_quota = 500
            self.zns_remaining_quota = 500
            self.zns_balance_vnd = 1_000_000
            self.zns_receipts: list[dict[str, Any]] = []
            self.receipt_sink: Callable[[dict[str, Any]], None] | None = None
            self._last_ms = 0

    def now_ms(self) -> int:
        """Epoch milliseconds, strictly increasing, so that the history has a total order."""
        with self.lock:
            self._last_ms = max(self._last_ms + 1, int(clock.timestamp() * 1000))
            return self._last_ms

    # --- set-up from tests ----------------------------------------------------------------

    def script(
        self, path: str, body: Any = None, *, status: int | None = None, delay: float = 0.0
    ) -> None:
        """Queue one answer for `path` (e.g. "/v3.0/oa/message/cs" or "/bot{token}/sendMessage")."""
        with self.lock:
            self.scripts.setdefault(path, deque()).append(Scripted(body, status, delay))

    def strict(
        self, *, access_tokens: tuple[str, ...] = (), refresh_tokens: tuple[str, ...] = ()
    ) -> None:
        """Accept only tokens issued here or named now."""
        with self.lock:
            self.accept_any_token = False
            self.access_tokens.update(access_tokens)
            self.refresh_tokens.update(refresh_tokens)

    def add_citizen_message(self, user_id: str, text: str, time_ms: int | None = None) -> None:
        """A message from the citizen, shown in the conversation history (src 1)."""
        at = time_ms or self.now_ms()
        with self.lock:
            self.citizen_history.append(
                {
                    "src": 1,
                    "time": at,
                    "type": "text",
                    "message": text,
                    "message_id": uuid.uuid4().hex,
                    "from_id": user_id,
                    "to_id": OA_ID,
                }
            )

    def interact(self, user_id: str, at_ms: int | None = None) -> None:
        """The citizen interacted with the OA (wrote, followed, tapped) at `at_ms`."""
        at = at_ms if at_ms is not None else int(clock.timestamp() * 1000)
        with self.lock:
            self.interactions[user_id] = max(at, self.interactions.get(user_id, 0))

    def window(self, user_id: str) -> str:
        """ "free" (48 h), "charged" (7 days), "closed" (-230), or "free" for a citizen never
        seen interacting."""
        with self.lock:
            last = self.interactions.get(user_id)
        if last is None:
            return "free"
        age = clock.timestamp() * 1000 - last
        if age <= FREE_WINDOW_MS:
            return "free"
        return "charged" if age <= PAID_WINDOW_MS else "closed"

    # --- reading from tests ---------------------------------------------------------------

    def requests_to(self, path: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if path in (r.path, r.route)]

    def messages(self, recipient: str | None = None) -> list[Received]:
        with self.lock:
            return [m for m in self.received if recipient is None or m.recipient == recipient]

    def per_second(self, api: str = "oa") -> dict[int, int]:
        """Messages received per wall-clock second (epoch seconds), to measure send rates."""
        counts: dict[int, int] = {}
        with self.lock:
            for item in self.received:
                if item.api == api:
                    second = item.time_ms // 1000
                    counts[second] = counts.get(second, 0) + 1
        return counts

    # --- used by the routes ---------------------------------------------------------------

    def record(self, request: Request, body: Any) -> None:
        """Keep a request as it came."""
        with self.lock:
            self.requests.append(
                Recorded(
                    method=request.method,
                    path=request.url.path,
                    headers={k.lower(): v for k, v in request.headers.items()},
                    query=dict(request.query_params),
                    body=body,
                    time=clock.timestamp(),
                )
            )

    def next_script(self, path: str) -> Scripted | None:
        """The next answer scripted for `path` (or for the Bot API's path), if any."""
        with self.lock:
            for key in (path, BOT_SEND if _is_bot(path) else None):
                queue = self.scripts.get(key) if key else None
                if queue:
                    return queue.popleft()
        return None

    def token_ok(self, token: str | None) -> bool:
        """Is this OA access token accepted?"""
        with self.lock:
            return bool(token) and (self.accept_any_token or token in self.access_tokens)

    def receive(self, item: Received) -> None:
        """Keep a message as received by a citizen's phone."""
        with self.lock:
            self.received.append(item)


def state_of(server: Any) -> StandinState:
    """The state of a stand-in app, or of a `ThreadedServer` running one."""
    app = getattr(getattr(getattr(server, "server", None), "config", None), "app", server)
    state: StandinState = app.state.standin
    return state
