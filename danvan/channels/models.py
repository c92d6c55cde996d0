"""Platform OAuth tokens (they rotate; see danvan.channels.tokens)."""

from __future__ import annotations

from datetime import datetime

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
