"""Citizens, one row per channel identity.

Deliberately minimal (Decree 13/2023): a name, a phone only when the citizen shared it, a commune,
follow status, consent and interaction times. There is no field for views, loyalty or reliability,
and none may be added.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from danvan.models.base import Base, utcnow


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
