"""What the classifiers concluded about each inbound message (opinion in aggregate).

One row per analysed citizen message. The commune, channel and time are copied from the message
and its conversation when analysed, so that aggregates (dashboard rollups, reports, spikes) read
this table alone. Labels describe the *message*, never the citizen: there is no per-person score.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
    # When staff last corrected it; staff-labelled messages are the deployment's training data.
    corrected_at: Mapped[datetime | None]
    analysed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # rollup cursor


class ClassifierVersion(Base):
    """A model set trained by `danvan model retrain`, kept for rollback.

    The files live under the models directory (DANVAN_ANALYSIS_MODELS_DIR) in a folder named by
    `version`; this row says which set is active. No row active: the default set (seed corpus).
    """

    __tablename__ = "classifier_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    # active | previous (the one a rollback returns to) | retired | rejected (worse; never used)
    status: Mapped[str] = mapped_column(String(10), index=True)
    seed_rows: Mapped[int] = mapped_column(default=0)
    staff_rows: Mapped[int] = mapped_column(default=0)
    heldout_rows: Mapped[int] = mapped_column(default=0)
    # Macro-F1 per task of the new and the replaced set on the held-out staff labels.
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]
