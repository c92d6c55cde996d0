"""What every channel adapter speaks: inbound events in, send results out.

An adapter (one package per platform under `danvan.channels`) does two things:
- `parse(headers, body)` checks the request's authenticity and turns it into `InboundEvent`s;
- `send(OutboundMessage)` delivers one message and answers with a `SendResult`.
HTTP, timeouts and redacted logging of platform calls live in `danvan.channels.http`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class WebhookRejected(Exception):
    """The request is not a valid webhook call: answered with `status` and nothing is stored."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class EventKind(enum.StrEnum):
    MESSAGE = "message"  # the citizen wrote (text or media)
    ECHO = "echo"  # the OA sent something from the platform's own inbox
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    USER_INFO = "user_info"  # the citizen shared name/phone/address with consent
    DELIVERED = "delivered"  # our messages reached the phone
    SEEN = "seen"  # the citizen opened our messages
    UNKNOWN = "unknown"  # stored raw and acknowledged


@dataclass(frozen=True)
class Attachment:
    type: str  # image, file, location, sticker, link, audio, video, gif, business_card
    url: str | None = None
    thumbnail: str | None = None
    name: str | None = None
    size: int | None = None
    title: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class SharedInfo:
    name: str | None = None
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class InboundEvent:
    channel: str
    kind: EventKind
    event_name: str
    # Unique per channel: the same event delivered twice has the same key.
    dedupe_key: str
    occurred_at: datetime
    # The citizen's id on this channel (OA user id, Bot chat id, web reference).
    user_id: str | None = None
    app_user_id: str | None = None
    display_name: str | None = None
    message_id: str | None = None
    message_kind: str = "text"
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    shared_info: SharedInfo | None = None
    # For DELIVERED / SEEN: the platform ids of our messages.
    message_ids: tuple[str, ...] = ()
    # For DELIVERED template messages (ZNS): our own ids of them (the outbox idempotency key,
    # sent as `tracking_id`), which find the message even when the send's answer was lost.
    tracking_ids: tuple[str, ...] = ()
    raw: str = ""


class SendStatus(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"  # transient: back off and try again
    UNREACHABLE = "unreachable"  # permanent: this citizen cannot be reached now
    FAILED = "failed"  # permanent: our request or configuration is wrong


@dataclass(frozen=True)
class Button:
    """A button under a message. `oa.query.show`: tapping it sends `payload` back as the
    citizen's own text message; `oa.open.url`: opens `payload` (a URL). Platforms without
    buttons render them as text lines."""

    title: str
    payload: str
    type: str = "oa.query.show"


@dataclass(frozen=True)
class OutboundMessage:
    recipient: str
    text: str
    idempotency_key: str
    attachments: tuple[Attachment, ...] = ()
    buttons: tuple[Button, ...] = ()
    # A platform template sent in place of the text (OutboxItem.template), e.g. Zalo OA's
    # {"template_type": "request_user_info", "title", "subtitle", "image_url"}.
    template: dict[str, Any] | None = None


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    platform_message_id: str | None = None
    error_code: str | None = None
    reason: str | None = None  # the platform's words, shown to staff
    retry_after: float | None = None  # seconds, when the platform says
    # A RETRY that is a hold (the account's balance or daily quota ran out): waits
    # `retry_after` without using up the row's attempts.
    hold: bool = False

    @classmethod
    def sent(cls, message_id: str | None) -> SendResult:
        return cls(SendStatus.SENT, platform_message_id=message_id)


@dataclass
class ParsedWebhook:
    events: list[InboundEvent] = field(default_factory=list)
    # Which secret or variant matched, for the log (platform docs conflict; see zalo.md).
    matched: str = ""


class ChannelAdapter(Protocol):
    """One platform. Adapters are stateless apart from their settings and HTTP client."""

    kind: str
    # Longest text the platform accepts in one message; longer replies are split.
    max_text: int

    def parse(self, headers: Mapping[str, str], body: bytes) -> ParsedWebhook:
        """Verify and parse one webhook request. Raises `WebhookRejected`."""
        ...

    def send(self, message: OutboundMessage) -> SendResult:
        """Send one message (at most `max_text` characters). Never raises for platform errors."""
        ...
