"""Citizens (one row per channel identity), their conversations, messages, notes and
labels, the raw inbound events, and the outbox (retry queue and delivery audit trail).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from danvan.accounts.models import User
from danvan.kernel.models import Base, utcnow


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # "zalo_oa", "zalo_bot", "web"
    # Zalo OA user id, Zalo Bot chat id or web-form reference; always a string.
    external_id: Mapped[str] = mapped_column(String(128))
    # Zalo's app-scoped id of the same person (links OAs of one app); OA only.
    app_user_id: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32))  # only if the citizen shared it
    address: Mapped[str | None] = mapped_column(String(500))  # only if the citizen shared it
    commune_code: Mapped[int | None] = mapped_column(index=True)
    # "citizen" (declared or matched from their words) or "staff" (set by an officer)
    commune_source: Mapped[str | None] = mapped_column(String(16))
    is_follower: Mapped[bool] = mapped_column(default=False)
    # When the citizen consented to us keeping what they shared (user_submit_info, web form box).
    consent_at: Mapped[datetime | None]
    first_interaction_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_interaction_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The OA asks once for the commune of a conversation that has none.
    commune_asked_at: Mapped[datetime | None]
    # Outreach: the citizen's language for broadcasts ("vi", "en", ...; unknown = Vietnamese)
    # and when they asked to receive no more broadcasts (never included again).
    language: Mapped[str | None] = mapped_column(String(8))
    broadcast_opt_out_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactTag(Base):
    """A staff-set label on a citizen for choosing broadcast audiences ("hộ kinh doanh",
    "thôn 3"). Tags describe circumstances staff need to reach, never views or reliability."""

    __tablename__ = "contact_tags"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class Delivery(enum.StrEnum):
    """Where an outbound message stands. Inbound messages have none."""

    QUEUED = "queued"  # in the outbox, not yet tried
    SENDING = "sending"  # a worker holds it
    RETRYING = "retrying"  # a transient failure; will be tried again
    SENT = "sent"  # the platform accepted it
    DELIVERED = "delivered"  # the platform says it reached the phone
    SEEN = "seen"  # the citizen opened it
    UNREACHABLE = "unreachable"  # the platform says the citizen cannot be reached
    FAILED = "failed"  # gave up; the reason is on the message
    # A worker died mid-send and the platform could not tell us whether it went out: we do not
    # send it again on our own (no duplicates); staff decide.
    UNCERTAIN = "uncertain"
    # A notice no channel could carry: a staff call task stands in for it (nothing sent).
    TO_CALL = "to_call"


class Conversation(Base):
    """The thread with one contact. A commune may be unknown: then it waits in triage."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_commune_last", "commune_code", "last_message_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), unique=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    commune_code: Mapped[int | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    unread_count: Mapped[int] = mapped_column(default=0)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_message_preview: Mapped[str] = mapped_column(String(200), default="")
    # When the citizen's oldest message not yet answered by staff arrived (None: nothing waits).
    # Set by ingest, cleared by a staff reply; the inbox lists the longest waiting first.
    awaiting_since: Mapped[datetime | None] = mapped_column(index=True)
    # Set when a message waiting for an answer was labelled urgent (danvan.opinion.labels);
    # cleared with `awaiting_since`: urgent conversations head the inbox until answered.
    urgent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contact: Mapped[Contact] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(lazy="joined")
    labels: Mapped[list[Label]] = relationship(
        secondary="conversation_labels", lazy="selectin", order_by="Label.name"
    )


# An inbound text an area took as an answer or a command (a vote "#YK1 2", a poll answer, an
# opinion given on a consultation, stop/resume, a staff member's "LIENKET" code): kept in the
# conversation, left out of the opinion figures (`danvan.opinion.labels` analyses the rest).
ANSWER_SOURCE = "answer"


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_created", "conversation_id", "created_at"),
        UniqueConstraint("channel", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(3))  # Direction
    # text, image, file, location, sticker, link, audio, video, gif, business_card, unsupported
    kind: Mapped[str] = mapped_column(String(20), default="text")
    text: Mapped[str] = mapped_column(Text, default="")
    # [{"type": "image", "url": ..., "thumbnail": ..., "name": ..., "size": ...,
    #   "latitude": ..., "longitude": ..., "title": ...}]
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    # The platform's message id (inbound: theirs; outbound: returned when sent).
    external_id: Mapped[str | None] = mapped_column(String(128))
    # Outbound: who wrote it. "staff" (danvan UI/API), "oa_inbox" (an echo of a reply typed in
    # Zalo's own OA inbox) or "system" (automatic prompts such as asking for the commune).
    # Inbound: "citizen", or ANSWER_SOURCE when an area took the text as an answer or command.
    source: Mapped[str] = mapped_column(String(16), default="citizen")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    delivery_status: Mapped[str | None] = mapped_column(String(16))  # Delivery
    delivery_error: Mapped[str | None] = mapped_column(String(500))
    # A notice (danvan.inbox.notices): its kind ("case_answered"...), when it has one, and the
    # channel the plan chose to carry it: the conversation's own ("zalo_oa", "zalo_bot", "web"),
    # "zalo_zns" (a template message by phone) or "call" (staff call the citizen; nothing sent).
    notice_kind: Mapped[str | None] = mapped_column(String(32))
    carried_by: Mapped[str | None] = mapped_column(String(16))
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship(lazy="joined")


class Note(Base):
    """An internal note on a conversation, never sent to the citizen."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship(lazy="joined")


class Label(Base):
    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    color: Mapped[str] = mapped_column(String(16), default="#64748b")


class ConversationLabel(Base):
    __tablename__ = "conversation_labels"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[int] = mapped_column(
        ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True
    )


class InboundEvent(Base):
    """Every webhook event as received, deduplicated by a per-channel key.

    Kept raw so that events we do not understand yet are never lost, and so that history can be
    re-processed when a parser improves.
    """

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("channel", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    event_name: Mapped[str] = mapped_column(String(64))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    raw: Mapped[str] = mapped_column(Text)
    # "processed", "stored" (unknown event kept raw), "ignored"
    outcome: Mapped[str] = mapped_column(String(16), default="processed")
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


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


class NoticeTemplate(Base):
    """Which approved template message carries a notice kind once Zalo's messaging window has
    closed, and which notice field fills each of the template's parameters. Set by an admin
    (`/admin/zns`, the API); a kind without a row has no template, and is reported."""

    __tablename__ = "notice_templates"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    template_id: Mapped[str] = mapped_column(String(32))
    # {"<template parameter>": "<notice field>"} (fields: danvan.inbox.notices.FIELDS)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CallTask(Base):
    """ "Gọi điện cho người dân": a notice that no channel could carry (Zalo's window closed and
    no phone to send a template to, or no template for it). Staff call; the phone, when known,
    is read from the contact (never copied here)."""

    __tablename__ = "call_tasks"
    __table_args__ = (Index("ix_call_tasks_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str | None] = mapped_column(String(32))
    # What the notice is about, for the area that sent it ("case:TQ-2612-0001").
    ref: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(500), default="")

    conversation: Mapped[Conversation] = relationship(lazy="joined")
    message: Mapped[Message] = relationship(lazy="joined")
