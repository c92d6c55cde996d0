"""Conversations, their messages, notes and labels, and the raw inbound events."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from danvan.models.base import Base, utcnow
from danvan.models.contacts import Contact
from danvan.models.staff import User


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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contact: Mapped[Contact] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(lazy="joined")
    labels: Mapped[list[Label]] = relationship(
        secondary="conversation_labels", lazy="selectin", order_by="Label.name"
    )


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
    source: Mapped[str] = mapped_column(String(16), default="citizen")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    delivery_status: Mapped[str | None] = mapped_column(String(16))  # Delivery
    delivery_error: Mapped[str | None] = mapped_column(String(500))
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
