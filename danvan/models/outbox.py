"""The outbox (retry queue and delivery audit trail), platform tokens and worker locks."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from danvan.models.base import Base, utcnow
from danvan.models.inbox import Message


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    SENDING = "sending"  # claimed; lease until lease_until
    SENT = "sent"
    UNREACHABLE = "unreachable"  # permanent: the citizen cannot be reached
    FAILED = "failed"  # permanent error, or attempts exhausted
    UNCERTAIN = "uncertain"  # a worker died mid-send and reconciliation could not tell


class OutboxItem(Base):
    """One outbound message to deliver. Written in the same transaction as the message.

    The row is updated *before* each send (status sending, attempt recorded) and *after* it, so a
    crash in between is visible as a stale lease and is reconciled, never blindly resent.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(128))  # platform user / chat id
    # Unique key of this delivery; sent to platforms that honour one and used to reconcile.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    # Text chunks already accepted by the platform (long texts are split), so a retry resumes
    # after the last accepted chunk instead of sending the first ones again.
    parts_sent: Mapped[int] = mapped_column(default=0)
    platform_message_ids: Mapped[list[str]] = mapped_column(default=list)
    # Buttons sent with the message ([{"type", "title", "payload"}], see channels.base.Button):
    # Zalo OA shows them under the text; other channels get them as text lines.
    buttons: Mapped[list[dict[str, Any]] | None] = mapped_column(default=None)
    # A platform template sent instead of the text, e.g. Zalo OA's request for the citizen's
    # phone: {"template_type": "request_user_info", "title", "subtitle", "image_url"}.
    # Channels that cannot send it skip the row's template (writers do not queue it for them).
    template: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    last_error_code: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None]

    message: Mapped[Message] = relationship(lazy="joined")


class OutboxAttempt(Base):
    __tablename__ = "outbox_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    worker: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # sent | retry | unreachable | failed | crashed | reconciled
    outcome: Mapped[str | None] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int | None]


class PlatformToken(Base):
    """Rotating OAuth tokens (Zalo OA). In the database, not the environment, because they
    rotate: each refresh returns a new single-use refresh token that must be saved atomically."""

    __tablename__ = "platform_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), unique=True)  # "zalo_oa"
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Lease(Base):
    """A named lock with an expiry, taken with a conditional UPDATE (SQLite and PostgreSQL)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime]


class RateLimitBucket(Base):
    """Fixed-window counters shared by every web process (web form, login)."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(default=0)
