"""Cases: a citizen's concern tracked to an answer (code, deadlines, status, timeline), the units
that handle them, routing rules, canned replies and the Open311 keys of partner systems.

A case refers to its citizen only through its conversation (and so its contact): it stores no
name or phone of its own. Free text written by citizens (description) and by staff (notes, the
public answer) is exported and erased with the citizen (danvan.cases.privacy).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from danvan.accounts.models import User
from danvan.inbox.models import Conversation
from danvan.kernel.models import Base, NullableJSON, utcnow


class Unit(Base):
    """A responsible unit: a commune's office (commune_code set) or a provincial department."""

    __tablename__ = "case_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    commune_code: Mapped[int | None] = mapped_column(index=True)  # None: provincial level
    # Overdue cases of the unit are escalated to its head.
    head_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    head: Mapped[User | None] = relationship(lazy="joined")


class UnitMember(Base):
    """An officer of a unit sees (and, if an officer, handles) the cases that passed through it."""

    __tablename__ = "case_unit_members"
    __table_args__ = (UniqueConstraint("unit_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("case_units.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class RoutingRule(Base):
    """(category, commune) → unit and assignee; None matches any. The most specific rule wins."""

    __tablename__ = "case_routing_rules"
    __table_args__ = (UniqueConstraint("category", "commune_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str | None] = mapped_column(String(40))
    commune_code: Mapped[int | None]
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("case_units.id", ondelete="CASCADE"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseCounter(Base):
    """The last sequence number given per code period (`TQ-2611`), bumped in the creating
    transaction with an atomic upsert, so concurrent creations never share a code."""

    __tablename__ = "case_counters"

    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_commune_status", "commune_code", "status"),
        Index("ix_cases_due", "status_kind", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    # The title public surfaces show (/tra-cuu, keyless Open311), written or approved by staff.
    # None: nobody did yet (a partner's or the web form's case), so they show a neutral title
    # (category and commune) instead of citizen-written text (danvan.cases.tracking).
    public_title: Mapped[str | None] = mapped_column(String(200))
    # public_title, public_answer and public_reason masked by the worker (danvan.cases.masking:
    # {"of": digest of the three, "title": …, "answer": …, "reason": …}); None: not yet, and
    # public surfaces show the neutral title and no staff text meanwhile (web processes never
    # load the NLP stack). Reset by whatever changes one of the three.
    public_masked: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON, default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(
        String(40), default="other"
    )  # danvan.kernel.taxonomy code
    commune_code: Mapped[int | None] = mapped_column(index=True)
    location: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    # [{"type": "image", "url": ...}] copied from the messages the case was made from.
    photos: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_units.id", ondelete="SET NULL"), index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    priority: Mapped[str] = mapped_column(String(16), default="normal")  # low|normal|high|urgent
    status: Mapped[str] = mapped_column(String(32))
    # The status's kind (open | answered | closed), kept beside it for indexed queries.
    status_kind: Mapped[str] = mapped_column(String(16), default="open")
    # Shown to the citizen: the answer, and the reason of a decline / transfer.
    public_answer: Mapped[str] = mapped_column(Text, default="")
    public_reason: Mapped[str] = mapped_column(String(1000), default="")
    # web | message | staff | open311
    source: Mapped[str] = mapped_column(String(16), default="message")
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ack_due_at: Mapped[datetime]
    due_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(default=0)
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    rating: Mapped[int | None]
    rating_comment: Mapped[str] = mapped_column(String(1000), default="")
    rating_requested_at: Mapped[datetime | None]
    rated_at: Mapped[datetime | None]
    # Set when the citizen's first reply after the rating request was not a score: their later
    # messages are ordinary messages, no longer read as a rating.
    rating_reply_done_at: Mapped[datetime | None]
    # Diacritic-free title + description + code, for search on every backend.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[assignee_id])
    conversation: Mapped[Conversation | None] = relationship(lazy="select")


def _public_text_changed(target: Case, value: object, old: object, _initiator: object) -> None:
    """A text public surfaces show changed: its masked form (danvan.cases.masking) is stale
    until the worker masks it again."""
    if value != old:
        target.public_masked = None


for _attribute in (Case.public_title, Case.public_answer, Case.public_reason, Case.description):
    event.listen(_attribute, "set", _public_text_changed)


class CaseUnit(Base):
    """Every unit a case was routed or transferred to: each keeps seeing it along its path."""

    __tablename__ = "case_unit_path"
    __table_args__ = (UniqueConstraint("case_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("case_units.id", ondelete="CASCADE"), index=True
    )


class CaseMessage(Base):
    """A message a case was made from (merges bring the duplicates' messages along)."""

    __tablename__ = "case_messages"
    __table_args__ = (UniqueConstraint("case_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )


class CaseEvent(Base):
    """One line of a case's timeline: who did what, when. `public` lines are the citizen's."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # created assigned transferred noted replied status_changed reopened merged reminded
    # escalated rating_requested rated
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    public: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    actor: Mapped[User | None] = relationship(lazy="joined")


class CannedReply(Base):
    """A reusable answer with variables: {ten}, {ma}, {xa}, {han}."""

    __tablename__ = "case_canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Open311Key(Base):
    """A partner system's Open311 API key. Only its SHA-256 is stored; shown once when made."""

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
