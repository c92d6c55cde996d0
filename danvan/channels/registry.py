"""Which sender serves which channel: an explicit dict, no import-scanning.

The worker builds its senders with `build_senders(settings, database)`; tests may hand the
worker their own mapping instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from danvan.channels.base import OutboundMessage, SendResult
from danvan.channels.http import SentCheck
from danvan.channels.web.outbound import WebSender
from danvan.channels.zalo_bot.outbound import ZaloBotSender
from danvan.channels.zalo_oa.oauth import OATokenProvider, ZaloOAuthClient
from danvan.channels.zalo_oa.outbound import ZaloOASender
from danvan.channels.zalo_zns.outbound import ZaloZNSSender
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings


class Sender(Protocol):
    """The outbound half of a channel adapter, as the worker uses it."""

    kind: str
    # Longest text the platform accepts in one message; longer replies are split.
    max_text: int

    def send(self, message: OutboundMessage) -> SendResult:
        """Send one message of at most `max_text` characters. Never raises for platform errors."""
        ...

    def was_sent(
        self, *, recipient: str, text: str, since: datetime, exclude: frozenset[str]
    ) -> SentCheck:
        """Whether `text` already reached `recipient` after `since` (reconciliation)."""
        ...

    def close(self) -> None: ...


SenderFactory = Callable[[Settings, Database], Sender]


def _zalo_oa(settings: Settings, database: Database) -> Sender:
    tokens = OATokenProvider(database=database, oauth=ZaloOAuthClient(settings=settings))
    return ZaloOASender(settings=settings, tokens=tokens, database=database)


def _zalo_bot(settings: Settings, database: Database) -> Sender:
    return ZaloBotSender(settings=settings)


def _zalo_zns(settings: Settings, database: Database) -> Sender:
    tokens = OATokenProvider(database=database, oauth=ZaloOAuthClient(settings=settings))
    return ZaloZNSSender(settings=settings, database=database, tokens=tokens)


def _web(settings: Settings, database: Database) -> Sender:
    return WebSender()


SENDERS: dict[str, SenderFactory] = {
    "zalo_oa": _zalo_oa,
    "zalo_bot": _zalo_bot,
    # Template messages by phone: carries notices once the OA's window has closed.
    "zalo_zns": _zalo_zns,
    "web": _web,
}


def build_senders(settings: Settings, database: Database) -> dict[str, Sender]:
    return {kind: factory(settings, database) for kind, factory in SENDERS.items()}
