"""What the classifiers concluded about each inbound message, the daily rollups, the job
cursors, emerging issues and alerts, and the staff's Zalo links for those alerts.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from danvan.inbox.models import Message
from danvan.kernel.models import Base, utcnow


class MessageAnalysis(Base):
    __tablename__ = "message_analyses"
    __table_args__ = (
        Index("ix_message_analyses_commune_received", "commune_code", "received_at"),
        Index("ix_message_analyses_topic_received", "topic", "received_at"),
        # The rollups' second cursor follows staff corrections.
        Index("ix_message_analyses_corrected_at", "corrected_at"),
    )

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    commune_code: Mapped[int | None]
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(index=True)  # the message's created_at
    topic: Mapped[str] = mapped_column(String(40))  # danvan.kernel.taxonomy topic code
    sentiment: Mapped[str] = mapped_column(String(10))  # negative | neutral | positive
    kind: Mapped[str] = mapped_column(String(20))  # danvan.kernel.taxonomy.KINDS
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
    # The message's text fit to show outside its conversation (names, phones, ID numbers and
    # e-mails masked by danvan.nlp.pii, at most QUOTE_CHARS), written by the worker with the
    # labels (danvan.opinion.quotes): web processes show it and never load the NLP stack.
    # None: not masked yet (a row labelled before revision 0012, until the backfill reaches it).
    quote: Mapped[str | None] = mapped_column(Text, default=None)


@event.listens_for(Session, "before_flush")
def _erased_messages_lose_their_quotes(session: Session, _context: Any, _instances: Any) -> None:
    """A message's text emptied (Decree 13 erasure, danvan.inbox.privacy): its masked quote
    goes with it, in the same transaction."""
    erased = [
        m.id
        for m in session.dirty
        if isinstance(m, Message)
        and m.id is not None
        and m.text == ""
        and inspect(m).attrs.text.history.has_changes()
    ]
    if erased:
        session.execute(
            update(MessageAnalysis).where(MessageAnalysis.message_id.in_(erased)).values(quote="")
        )


class ClassifierVersion(Base):
    """A model set trained by `danvan model retrain`, kept for rollback.

    Its files are in the database (`ModelSetArtifact` of the same version); this row says which
    set is active, read by every worker on every machine each job cycle (one indexed query). No
    row active: the default set (seed and real corpora).
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


class ModelSetArtifact(Base):
    """A trained model set's files, packed into one bounded, compressed archive
    (danvan.nlp.set_archive: JSON and .npy, nothing pickled), so that a set trained by one
    process is loaded by every worker and web process on every machine (model_store.py).

    `sha256` is the archive's digest and `signature` its HMAC under DANVAN_SECRET_KEY, both
    written by the process that trained (or imported) it; a process loads only bytes whose
    digest and signature match. Which set is in use is `ClassifierVersion`'s to say."""

    __tablename__ = "model_set_artifacts"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # default | retrain | import
    # What it was trained on (rows of each corpus, their digest) and its scores.
    trained_on: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    size: Mapped[int]  # of `data`, bytes
    sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    trained_by: Mapped[str] = mapped_column(String(100), default="")  # host and process
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnalysisProgress(Base):
    """What the worker's labelling is doing now, for the dashboard and the model page: training
    a model set, labelling new messages, or relabelling history after the set in use changed.
    One row per name ("labels"); written by the worker, read by the web processes (which never
    load a model)."""

    __tablename__ = "analysis_progress"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    # idle | training | labelling | relabelling
    state: Mapped[str] = mapped_column(String(12), default="idle")
    version: Mapped[str] = mapped_column(String(64), default="")  # the set in use
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# Rollup rows of messages with no commune yet (triage) use this code; the province-wide total
# of a day (every commune and triage together) uses ALL_COMMUNES, so an admin's dashboard reads
# one row per label and day instead of one per commune.
NO_COMMUNE = 0
ALL_COMMUNES = -1


class OpinionRollup(Base):
    """Messages per local day, commune and one dimension's value.

    `dim` is total (value ""), topic, sentiment, kind, channel, urgent (value "1") or
    topic_sentiment (value "land:negative"). Marginals rather than the full cube: the dashboard
    and reports read at most a few dozen rows per day and commune.
    """

    __tablename__ = "opinion_rollups"
    # The primary key serves one day (the job's recompute); these serve a commune's days
    # (totals, trends) and one dimension across communes (the table by commune). Both cover
    # every column, so the dashboard's reads never touch the table itself.
    __table_args__ = (
        Index("ix_opinion_rollups_commune_day", "commune_code", "day", "dim", "value", "count"),
        Index("ix_opinion_rollups_dim_day", "dim", "value", "day", "commune_code", "count"),
    )

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    commune_code: Mapped[int] = mapped_column(primary_key=True)
    dim: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class AnalyticsCursor(Base):
    """How far a job has read `MessageAnalysis` (by analysed_at, then message id)."""

    __tablename__ = "analytics_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    analysed_at: Mapped[datetime]
    message_id: Mapped[int] = mapped_column(default=0)


class OpinionRollupEntry(Base):
    """What one analysed message counts for in `opinion_rollups` (its day, commune and labels
    when the rollups job last saw it): the job adds a changed message's new labels and takes
    away these, so a cycle costs what changed, not the day's volume."""

    __tablename__ = "opinion_rollup_entries"

    # No foreign key: the entry must outlive its analysis to be taken away.
    message_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, index=True)
    commune_code: Mapped[int]  # NO_COMMUNE for triage
    topic: Mapped[str] = mapped_column(String(40))
    sentiment: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(default=False)


class OpinionRollupDay(Base):
    """A local day whose rollups were last recomputed whole, and whose entries are therefore
    complete: from then on the job adds changes to it. Days recomputed before entries existed
    are not listed, and are recomputed whole once when next touched."""

    __tablename__ = "opinion_rollup_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    recomputed_at: Mapped[datetime] = mapped_column(default=utcnow)


class IssueStatus:
    ACTIVE = "active"
    FADED = "faded"  # no new message for a while; kept for history


class EmergingIssue(Base):
    """A group of recent messages about the same matter in one commune and topic.

    Its identity is kept across days: a new grouping that shares enough key words with an
    active issue of the same commune and topic updates it rather than creating another.
    """

    __tablename__ = "emerging_issues"
    __table_args__ = (Index("ix_emerging_issues_commune_status", "commune_code", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[int | None]
    topic: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))  # key phrases, Vietnamese
    keywords: Mapped[list[str]] = mapped_column(default=list)  # folded key words
    message_count: Mapped[int] = mapped_column(default=0)
    # Messages that are near-copies of another one in the issue (campaigns, repeated sends).
    duplicate_count: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(12), default=IssueStatus.ACTIVE)
    # The commune × topic pair's recent count against its own baseline when last checked.
    spiking: Mapped[bool] = mapped_column(default=False)
    observed: Mapped[int] = mapped_column(default=0)
    expected: Mapped[float] = mapped_column(default=0.0)
    first_seen_at: Mapped[datetime]  # first message
    last_seen_at: Mapped[datetime]  # latest message
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EmergingIssueMessage(Base):
    """The messages an issue groups (for representative quotes and the drill-down)."""

    __tablename__ = "emerging_issue_messages"

    issue_id: Mapped[int] = mapped_column(
        ForeignKey("emerging_issues.id", ondelete="CASCADE"), primary_key=True
    )
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    duplicate_of: Mapped[int | None]  # another message of the issue it nearly copies


class AlertKind:
    SPIKE = "spike"  # a commune × topic pair well above its baseline (dashboard list, badge)
    URGENT = "urgent"  # one message labelled urgent: its commune's staff are told, once


class OpinionAlert(Base):
    """A spike: a commune × topic pair well above its own baseline. Shown to the staff of that
    commune and to admins (dashboard list + count badge). Or (kind "urgent") one message the
    classifiers labelled urgent: sent by Zalo to the staff who see its commune, like a spike,
    and never shown among the dashboard's spikes."""

    __tablename__ = "opinion_alerts"
    __table_args__ = (Index("ix_opinion_alerts_commune_created", "commune_code", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default=AlertKind.SPIKE)
    # An urgent alert's message (unique: one alert per message, whatever relabels it).
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    commune_code: Mapped[int | None]
    topic: Mapped[str] = mapped_column(String(40))
    issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("emerging_issues.id", ondelete="SET NULL")
    )
    window_hours: Mapped[int]
    observed: Mapped[int]
    expected: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertDeliveryStatus:
    QUEUED = "queued"  # a message is in the outbox, not yet sent
    SENT = "sent"  # the outbox sent it (Zalo accepted it; delivered or seen, maybe)
    FAILED = "failed"  # the outbox gave up on it: `reason`
    UNREACHABLE = "unreachable"  # Zalo would refuse it (window passed, unfollowed): `reason`


class OpinionAlertDelivery(Base):
    """One alert sent (or found unreachable) for one staff member by Zalo: the unique pair is
    what makes it once per alert and person, whichever worker runs the job."""

    __tablename__ = "opinion_alert_deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("opinion_alerts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200), default="")
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffZaloLink(Base):
    """A staff member's own Zalo account, linked by a one-time code they sent to the OA
    (`danvan.opinion.alerts`). One Zalo id ↔ one staff user. Alerts go to it only when
    the staff member opted in (off by default)."""

    __tablename__ = "staff_zalo_links"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(16), default="zalo_oa")
    zalo_user_id: Mapped[str] = mapped_column(String(128), unique=True)
    # The OA's contact row for that Zalo id: its last interaction decides whether Zalo lets
    # the OA write (48 h / 7 days); its conversation is marked "staff", out of the inbox.
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    alerts_enabled: Mapped[bool] = mapped_column(default=False)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffLinkCode(Base):
    """The one live linking code of a staff member: an HMAC of the code under a random key of
    its own (the code itself is shown once), valid for 15 minutes."""

    __tablename__ = "staff_link_codes"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
