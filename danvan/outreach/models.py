"""Tables of the outreach area: broadcasts and their recipients, consultations (with resident
lists, documents and answers) and polls."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from danvan.kernel.models import Base, JSONType, NullableJSON, utcnow


class BroadcastStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # waits for send_at
    SENDING = "sending"  # recipients chosen; being queued into the outbox
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"  # every recipient queued or skipped (the outbox finishes the sends)
    FAILED = "failed"  # article mode: Zalo refused the broadcast


class RecipientStatus(enum.StrEnum):
    """Where a recipient stands before the outbox; after it, the message's delivery status."""

    WAITING = "waiting"  # not yet queued
    QUEUED = "queued"  # a message and its outbox row exist (see Message.delivery_status)
    UNREACHABLE = "unreachable"  # not sent: unfollowed, opted out, or no interaction in 7 days
    CANCELLED = "cancelled"  # the broadcast was cancelled before this one was queued


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    link_url: Mapped[str | None] = mapped_column(String(500))
    # "cs": one message per follower through the outbox; "article": one Zalo article broadcast
    # (/v2.0/oa/message with a target) reaching all followers of the OA at once.
    mode: Mapped[str] = mapped_column(String(16), default="cs")
    article_id: Mapped[str | None] = mapped_column(String(64))
    # Audience: communes (empty = the whole scope of the author), tags (any of), language.
    commune_codes: Mapped[list[int]] = mapped_column(JSONType, default=list)
    tags: Mapped[list[str]] = mapped_column(default=list)
    language: Mapped[str | None] = mapped_column(String(8))
    # Interaction window: "7d" (free within 48 h, paid up to 7 days) or "48h" (free only).
    window: Mapped[str] = mapped_column(String(8), default="7d")
    urgent: Mapped[bool] = mapped_column(default=False)
    send_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=BroadcastStatus.SCHEDULED.value)
    # Preview at creation (the audience is chosen again when sending starts).
    preview: Mapped[dict[str, Any]] = mapped_column(default=dict)
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="SET NULL")
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    platform_result: Mapped[str | None] = mapped_column(String(500))  # article mode
    # Buttons under each message ([{"type", "title", "payload"}]): a consultation's or poll's
    # options; copied onto every outbox row of the broadcast.
    buttons: Mapped[list[dict[str, Any]] | None] = mapped_column(default=None)


class BroadcastRecipient(Base):
    """One citizen of a broadcast's audience; unique per broadcast, so never sent twice."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "contact_id"),
        Index("ix_broadcast_recipients_status", "broadcast_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    commune_code: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default=RecipientStatus.WAITING.value)
    reason: Mapped[str | None] = mapped_column(String(200))
    paid: Mapped[bool] = mapped_column(default=False)  # 48 h – 7 days after the last interaction
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Consultation(Base):
    """Lấy ý kiến nhân dân: opinions, or a decision by vote among options."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))  # "vote" | "opinion"
    options: Mapped[list[str]] = mapped_column(default=list)
    commune_codes: Mapped[list[int]] = mapped_column(JSONType, default=list)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    document_name: Mapped[str | None] = mapped_column(String(200))
    document_type: Mapped[str | None] = mapped_column(String(16))  # "pdf" | "docx"
    document: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    results_sent_at: Mapped[datetime | None]


class ConsultationSummary(Base):
    """The opinions of a consultation in aggregate (danvan.outreach.opinions.summarise), as the
    worker computed it for one scope: web processes ask for it (a row with `wanted` set) and
    show it once `of` matches what they asked for; they never load the NLP stack."""

    __tablename__ = "consultation_summaries"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True
    )
    # "" : every commune's answers (admins, the public page); else the communes' codes, sorted,
    # comma-separated (a staff member's own communes among the consultation's).
    scope: Mapped[str] = mapped_column(String(400), primary_key=True)
    # What the answers looked like when asked ("<count>|<latest change>"), and when summarised.
    wanted: Mapped[str] = mapped_column(String(80), default="")
    of: Mapped[str | None] = mapped_column(String(80), default=None)
    model: Mapped[str | None] = mapped_column(String(64), default=None)
    summary: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON, default=None)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    computed_at: Mapped[datetime | None] = mapped_column(default=None)


class Resident(Base):
    """A resident list entry imported by a commune (XLSX): lets a resident vote on the web with
    the code printed on their voting slip. Personal data: exported and erased with the citizen."""

    __tablename__ = "residents"
    __table_args__ = (UniqueConstraint("commune_code", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[int] = mapped_column(index=True)
    # The commune's own reference of the row ("STT"/"Mã" of the list): matches a re-import to
    # the same person. Not a credential: the slip code is generated (see `outreach.slips`).
    code: Mapped[str] = mapped_column(String(32))
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The voting-slip code, as a keyed hash (`slips.code_hash`); None: no slip issued yet (new
    # rows, and every row listed before revision 0005, whose codes were the commune's own).
    code_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    code_issued_at: Mapped[datetime | None] = mapped_column(default=None)


class ConsultationAnswer(Base):
    """One participant's answer; a new one replaces it until the consultation closes."""

    __tablename__ = "consultation_answers"
    __table_args__ = (UniqueConstraint("consultation_id", "participant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    # "phone:84…" (a Zalo contact who shared a phone, a resident listed with one), else
    # "zalo_oa:<user id>", "resident:<id>": one answer per person.
    participant: Mapped[str] = mapped_column(String(160))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    commune_code: Mapped[int | None]
    option_index: Mapped[int | None]
    opinion: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))  # zalo_oa | zalo_bot | web
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the voter was asked in Zalo to share their phone (asked once per answer).
    phone_asked_at: Mapped[datetime | None] = mapped_column(default=None)


class Poll(Base):
    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(String(500))
    options: Mapped[list[str]] = mapped_column(default=list)
    multiple: Mapped[bool] = mapped_column(default=False)
    commune_codes: Mapped[list[int]] = mapped_column(JSONType, default=list)
    opens_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PollAnswer(Base):
    __tablename__ = "poll_answers"
    __table_args__ = (
        UniqueConstraint("poll_id", "participant"),
        Index("ix_poll_answers_device", "poll_id", "device"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    # "zalo_oa:<user id>" or "web:<random browser id>".
    participant: Mapped[str] = mapped_column(String(160))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    commune_code: Mapped[int | None]
    choices: Mapped[list[int]] = mapped_column(JSONType, default=list)
    channel: Mapped[str] = mapped_column(String(16))
    # Web answers: a keyed hash of (poll, client network) — not an identity, a limit beside
    # the cookie (see polls.web_device).
    device: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationFlow(Base):
    """Where a Zalo citizen stands in answering a consultation or poll: asked for their commune
    (with the answer they gave waiting in `pending`), or writing an opinion. One per citizen (a
    new one replaces it); it ends at `expires_at`, on "hủy", or when the item closes."""

    __tablename__ = "outreach_flows"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), unique=True
    )
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    poll_id: Mapped[int | None] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(16))  # "commune" | "opinion"
    # What the citizen already gave: {"option": i} | {"choices": [...], "add": bool} | {"text"}.
    pending: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Whether an opinion was stored during this flow (later texts are added to it).
    stored: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
