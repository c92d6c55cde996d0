"""Replies to web-form citizens are read on their tracking page: "sending" is storing, done."""

from __future__ import annotations

from datetime import datetime

from danvan.channels.base import OutboundMessage, SendResult
from danvan.channels.http import SentCheck, SentState

# The tracking page shows the whole reply; nothing is ever split.
MAX_TEXT = 1_000_000


class WebSender:
    kind = "web"
    max_text = MAX_TEXT

    def send(self, message: OutboundMessage) -> SendResult:
        """Always SENT, with no platform message id and no network call."""
        return SendResult.sent(None)

    def was_sent(
        self,
        *,
        recipient: str,
        text: str,
        since: datetime,
        exclude: frozenset[str] = frozenset(),
    ) -> SentCheck:
        # "Sending" again changes nothing the citizen sees, so it is always safe.
        return SentCheck(SentState.NOT_FOUND)

    def close(self) -> None:
        pass
