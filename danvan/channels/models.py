"""Platform OAuth tokens (they rotate; see danvan.channels.tokens) and the OA's template-message
(ZNS) templates and quota (see danvan.channels.zalo_zns)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from danvan.kernel.models import Base, utcnow


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


class ZnsTemplate(Base):
    """A template message template approved (or not) for the OA on Zalo, as last read by
    `danvan zalo templates sync` (`/template/all` + `/template/info/v2`). Admins map notice
    kinds to these; danvan never invents one."""

    __tablename__ = "zns_templates"

    template_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Zalo's status: ENABLE (approved, usable), PENDING_REVIEW, REJECT, DISABLE.
    status: Mapped[str] = mapped_column(String(32), default="")
    quality: Mapped[str] = mapped_column(String(16), default="")
    # [{"name", "require": bool, "type", "max_length": int | None}]
    params: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    price_vnd: Mapped[int | None]
    # Still listed by Zalo at the last sync (a template deleted on Zalo's side stays for history).
    listed: Mapped[bool] = mapped_column(default=True)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)


class ZnsAccount(Base):
    """The OA's template-message standing, one row (id 1): the daily quota as Zalo last said
    (`/message/quota`, or the `quota` of a send's answer), and a hold set when Zalo refused
    for balance or quota, which keeps template messages waiting until it ends (admins see it)."""

    __tablename__ = "zns_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    daily_quota: Mapped[int | None]
    remaining_quota: Mapped[int | None]
    quota_read_at: Mapped[datetime | None]
    hold_until: Mapped[datetime | None]
    hold_code: Mapped[str | None] = mapped_column(String(32))
    hold_reason: Mapped[str | None] = mapped_column(String(300))
