"""What the classifiers concluded about each inbound message (opinion in aggregate).

One row per analysed citizen message. The commune, channel and time are copied from the message
and its conversation when analysed, so that aggregates (dashboard rollups, reports, spikes) read
this table alone. Labels describe the *message*, never the citizen: there is no per-person score.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from danvan.models.base import Base, utcnow


class MessageAnalysis(Base):
    __tablename__ = "message_analyses"
    __table_args__ = (
        Index("ix_message_analyses_commune_received", "commune_code", "received_at"),
        Index("ix_message_analyses_topic_received", "topic", "received_at"),
    )

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    commune_code: Mapped[int | None]
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(index=True)  # the message's created_at
    topic: Mapped[str] = mapped_column(String(40))  # danvan.taxonomy topic code
    sentiment: Mapped[str] = mapped_column(String(10))  # negative | neutral | positive
    kind: Mapped[str] = mapped_column(String(20))  # danvan.taxonomy.KINDS
    urgent: Mapped[bool] = mapped_column(default=False)
    abusive: Mapped[bool] = mapped_column(default=False)
    # The model's confidence in its topic (0..1): the "help the model" queue shows the lowest.
    confidence: Mapped[float] = mapped_column(default=0.0)
    model_version: Mapped[str] = mapped_column(String(64), default="")
    # Set when staff corrected any label: then the labels are staff's, not the model's.
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    analysed_at: Mapped[datetime] = mapped_column(default=utcnow)
