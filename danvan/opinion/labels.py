"""The opinion classifiers applied to citizens' messages, and what staff teach them.

- The worker's job (`run_pending`, see analysis_jobs.py) labels inbound text messages that have
  no `MessageAnalysis` yet, in bounded batches, never in the webhook.
- `reanalyse` re-runs the active models over history (`danvan analyze --since`): model labels are
  replaced, staff corrections never.
- Staff see the labels of a conversation's messages and correct them (`do_correct`, scoped and
  audited); corrected messages are the deployment's training data. `uncertain_queue` lists the
  messages the model is least sure about, within the user's communes.
- `retrain` trains on the seed corpus plus staff labels, compares with the active set on the
  staff labels held out of training, and activates the new set only if it is not worse;
  `rollback` returns to the previous set.

Labels describe messages; nothing here scores, ranks or lists citizens.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.accounts.audit import record
from danvan.inbox.models import Conversation, Direction, Message
from danvan.kernel.db import Database
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.taxonomy import KINDS, SENTIMENTS, topics
from danvan.nlp import classifiers
from danvan.nlp.classifiers import Labels, ModelSet, Row
from danvan.opinion.models import ClassifierVersion, MessageAnalysis
from danvan.opinion.rollups import move_commune

Log = Callable[[str], None]
log = logging.getLogger("danvan.core.analysis")

# Re-scanned below the newest analysed message on each run: a message whose id was taken
# before, but committed after, a newer one is still found (PostgreSQL sequences).
LOOKBACK_IDS = 1000
# A fifth of the staff-labelled messages (by message id) is never trained on: it judges retrains.
HELDOUT_MODULO = 5
MIN_HELDOUT = 5
QUEUE_SIZE = 40
# A staff member's own Zalo conversation (danvan.opinion.alerts): not citizens' opinion.
STAFF_CONVERSATION = "staff"


def _quiet(_message: str) -> None:
    return None


# --- The model set in use ---------------------------------------------------------------------


def models_dir(settings: Settings) -> Path:
    return Path(settings.analysis_models_dir)


def topic_codes() -> list[str]:
    return [t.code for t in topics()]


def active_version(session: Session) -> ClassifierVersion | None:
    return session.scalar(select(ClassifierVersion).where(ClassifierVersion.status == "active"))


def current_set(session: Session, settings: Settings, *, log: Log = _quiet) -> ModelSet:
    """The active deployment set, else the default one (trained from the seed corpus the first
    time, then cached on disk). Training may take minutes: callers that hold a write
    transaction use `set_in_use` instead."""
    active = active_version(session)
    return _load(settings, active.version if active else None, log=log)


def set_in_use(database: Database, settings: Settings, *, log: Log = _quiet) -> ModelSet:
    """`current_set` without a transaction open while a set is loaded or trained (on SQLite a
    transaction holds the database's write lock: webhooks would wait for the training)."""
    with database.session() as session:
        active = active_version(session)
        version = active.version if active else None
    return _load(settings, version, log=log)


_TRAINING: dict[str, threading.Thread] = {}


def _default_ready(database: Database, settings: Settings) -> bool:
    """True when the set in use can be loaded at once. Otherwise (a fresh machine, a new corpus
    or engine) the default set is trained in a thread of this process, so that the worker keeps
    delivering replies meanwhile; the job labels nothing until it is there."""
    with database.session() as session:
        if active_version(session) is not None:
            return True
    base, codes = models_dir(settings), topic_codes()
    if classifiers.default_exists(base, topic_codes=codes):
        return True
    key = str(base.resolve())
    thread = _TRAINING.get(key)
    if thread is None or not thread.is_alive():
        log.info("training the default opinion classifiers in the background")
        thread = threading.Thread(
            target=classifiers.default_set,
            kwargs={"models_dir": base, "topic_codes": codes, "log": log.info},
            name="danvan-train-default",
            daemon=True,
        )
        _TRAINING[key] = thread
        thread.start()
    return False


def _load(settings: Settings, version: str | None, *, log: Log) -> ModelSet:
    if version is not None:
        try:
            return classifiers.load_cached(models_dir(settings) / version)
        except classifiers.ClassifierError as exc:
            log(f"active model set {version} unusable ({exc}); using the default")
    return classifiers.default_set(models_dir(settings), topic_codes=topic_codes(), log=log)


# --- Labelling messages -----------------------------------------------------------------------


def _analysable() -> Any:
    return (Message.direction == Direction.IN.value) & (Message.text != "")


def pending(session: Session, *, limit: int) -> list[tuple[Message, Conversation]]:
    """Inbound messages with text and no analysis, oldest first."""
    newest = session.scalar(select(func.max(MessageAnalysis.message_id))) or 0
    has_analysis = select(MessageAnalysis.message_id).where(
        MessageAnalysis.message_id == Message.id
    )
    stmt = (
        select(Message, Conversation)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            _analysable(),
            Message.id > newest - LOOKBACK_IDS,
            ~has_analysis.exists(),
            Conversation.status != STAFF_CONVERSATION,
        )
        .order_by(Message.id)
        .limit(limit)
    )
    return [(m, c) for m, c in session.execute(stmt).all()]


def _apply(analysis: MessageAnalysis, labels: Labels, version: str, now: datetime) -> None:
    analysis.topic = labels.topic
    analysis.sentiment = labels.sentiment
    analysis.kind = labels.kind
    analysis.urgent = labels.urgent
    analysis.abusive = labels.abusive
    analysis.confidence = labels.confidence
    analysis.model_version = version
    analysis.analysed_at = now


def do_analyse(
    session: Session,
    *,
    model_set: ModelSet,
    rows: Sequence[tuple[Message, Conversation]],
    now: datetime | None = None,
) -> int:
    """Label the messages; existing model labels are replaced, staff-corrected rows are left as
    they are. Returns how many rows were written."""
    now = now or utcnow()
    if not rows:
        return 0
    existing = {
        a.message_id: a
        for a in session.scalars(
            select(MessageAnalysis).where(MessageAnalysis.message_id.in_([m.id for m, _ in rows]))
        )
    }
    # Staff-corrected rows are marked by corrected_at (corrected_by_id empties if the account
    # is deleted; the correction stays).
    todo = [(m, c) for m, c in rows if not (m.id in existing and existing[m.id].corrected_at)]
    labels = model_set.classify([m.text for m, _ in todo])
    for (message, conversation), label in zip(todo, labels, strict=True):
        analysis = existing.get(message.id)
        if analysis is None:
            analysis = MessageAnalysis(
                message_id=message.id,
                channel=message.channel,
                received_at=message.created_at,
            )
            session.add(analysis)
        analysis.commune_code = conversation.commune_code
        _apply(analysis, label, model_set.version, now)
    return len(todo)


def sync_communes(session: Session, *, limit: int, now: datetime) -> int:
    """Analyses made while their conversation waited in triage get its commune once known
    (the aggregates read the commune from this table). Ingest sets a triage conversation's
    commune in its hot path (the citizen names it, or answers the question): that move is
    caught here, a batch of conversations at a time; staff moves call `move_commune` at once.
    Analyses moved."""
    conversations = session.execute(
        select(Conversation.id, Conversation.commune_code)
        .join(Message, Message.conversation_id == Conversation.id)
        .join(MessageAnalysis, MessageAnalysis.message_id == Message.id)
        .where(MessageAnalysis.commune_code.is_(None), Conversation.commune_code.is_not(None))
        .distinct()
        .limit(limit)
    ).all()
    return sum(
        move_commune(session, conversation_id=cid, commune_code=code, now=now)
        for cid, code in conversations
    )


def run_pending(database: Database, settings: Settings, now: datetime) -> int:
    """The worker's job: one batch of unlabelled messages. Returns how many were labelled."""
    batch = max(1, settings.analysis_batch_size)
    with database.session() as session:
        # Commune moves are kept in step even with the classifiers off (labels may come from
        # elsewhere: staff corrections, the demo's own labels).
        synced = sync_communes(session, limit=batch, now=now)
        waiting = settings.analysis_enabled and bool(pending(session, limit=1))
    if not waiting:
        return synced
    if not _default_ready(database, settings):
        return synced  # the default set is being trained in the background; messages wait
    model_set = set_in_use(database, settings)
    with database.session() as session:
        rows = pending(session, limit=batch)
        return do_analyse(session, model_set=model_set, rows=rows, now=now) + synced


def reanalyse(
    database: Database,
    settings: Settings,
    *,
    since: datetime,
    batch: int = 500,
    log: Log = _quiet,
) -> int:
    """Re-label every inbound text message since `since` with the model set in use (model labels
    replaced, staff corrections kept). Returns how many messages were labelled."""
    done = 0
    after = 0
    model_set = set_in_use(database, settings, log=log)
    while True:
        with database.session() as session:
            rows = [
                (m, c)
                for m, c in session.execute(
                    select(Message, Conversation)
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .where(
                        _analysable(),
                        Message.created_at >= since,
                        Message.id > after,
                        Conversation.status != STAFF_CONVERSATION,
                    )
                    .order_by(Message.id)
                    .limit(batch)
                ).all()
            ]
            if not rows:
                break
            after = rows[-1][0].id
            done += do_analyse(session, model_set=model_set, rows=rows)
        log(f"{done} messages labelled")
    return done


# --- Staff see and correct labels -------------------------------------------------------------


@dataclass(frozen=True)
class MessageLabels:
    message: Message
    analysis: MessageAnalysis | None


def access_conversation_labels(
    session: Session, *, actor: Actor, conversation_id: int, limit: int = 100
) -> tuple[Conversation, list[MessageLabels]]:
    """The conversation's latest citizen messages with their labels, if the actor sees it."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or not actor.sees_commune(conversation.commune_code):
        raise NotFound("Không tìm thấy cuộc hội thoại")
    stmt = (
        select(Message, MessageAnalysis)
        .outerjoin(MessageAnalysis, MessageAnalysis.message_id == Message.id)
        .where(Message.conversation_id == conversation.id, _analysable())
        .order_by(Message.id.desc())
        .limit(limit)
    )
    rows = [MessageLabels(m, a) for m, a in session.execute(stmt).all()]
    rows.reverse()
    return conversation, rows


def access_analysis(
    session: Session, *, actor: Actor, message_id: int, write: bool = False
) -> tuple[MessageAnalysis, Message]:
    """A message's analysis if the actor sees its conversation (and, with `write`, may act)."""
    found = session.execute(
        select(MessageAnalysis, Message, Conversation)
        .join(Message, Message.id == MessageAnalysis.message_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(MessageAnalysis.message_id == message_id)
    ).first()
    if found is None or not actor.sees_commune(found[2].commune_code):
        raise NotFound("Không tìm thấy tin nhắn")
    if write:
        actor.require_write()
    return found[0], found[1]


@dataclass(frozen=True)
class Correction:
    topic: str
    sentiment: str
    kind: str
    urgent: bool
    abusive: bool


def check_correction(
    *, topic: str, sentiment: str, kind: str, urgent: bool, abusive: bool
) -> Correction:
    if topic not in topic_codes():
        raise Invalid("Chủ đề không hợp lệ")
    if sentiment not in SENTIMENTS:
        raise Invalid("Sắc thái không hợp lệ")
    if kind not in KINDS:
        raise Invalid("Loại tin nhắn không hợp lệ")
    return Correction(topic, sentiment, kind, bool(urgent), bool(abusive))


def _labels_of(analysis: MessageAnalysis) -> dict[str, Any]:
    return {
        "topic": analysis.topic,
        "sentiment": analysis.sentiment,
        "kind": analysis.kind,
        "urgent": analysis.urgent,
        "abusive": analysis.abusive,
    }


def do_correct(
    session: Session, *, actor: Actor, analysis: MessageAnalysis, correction: Correction
) -> MessageAnalysis:
    """Staff's labels replace the model's (and stay through re-analysis); audited with the labels
    before and after, never the text."""
    actor.require_write()
    before = _labels_of(analysis)
    analysis.topic = correction.topic
    analysis.sentiment = correction.sentiment
    analysis.kind = correction.kind
    analysis.urgent = correction.urgent
    analysis.abusive = correction.abusive
    analysis.corrected_by_id = actor.user.id
    analysis.corrected_at = utcnow()
    record(
        session,
        actor=actor,
        action="analysis_correct",
        object_type="message",
        object_id=analysis.message_id,
        detail={"before": before, "after": _labels_of(analysis)},
    )
    return analysis


def uncertain_queue(
    session: Session, *, actor: Actor, limit: int = QUEUE_SIZE
) -> list[tuple[MessageAnalysis, Message, Conversation]]:
    """Messages in the actor's communes that the model labelled with the least confidence and no
    one has checked yet. A list of messages to label, not of people."""
    stmt = (
        select(MessageAnalysis, Message, Conversation)
        .join(Message, Message.id == MessageAnalysis.message_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            MessageAnalysis.corrected_at.is_(None),
            Message.text != "",
            actor.commune_filter(Conversation.commune_code),
        )
        .order_by(MessageAnalysis.confidence, MessageAnalysis.message_id.desc())
        .limit(limit)
    )
    return [(a, m, c) for a, m, c in session.execute(stmt).all()]


def urgent_conversations(session: Session, *, actor: Actor, ids: Sequence[int]) -> set[int]:
    """Of these conversations, those the actor sees with an urgent message that no staff reply
    has followed yet."""
    ids = list(ids)[:200]
    if not ids:
        return set()
    urgent = dict(
        session.execute(
            select(Message.conversation_id, func.max(Message.created_at))
            .join(MessageAnalysis, MessageAnalysis.message_id == Message.id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Message.conversation_id.in_(ids),
                MessageAnalysis.urgent.is_(True),
                actor.commune_filter(Conversation.commune_code),
            )
            .group_by(Message.conversation_id)
        ).all()
    )
    if not urgent:
        return set()
    answered = dict(
        session.execute(
            select(Message.conversation_id, func.max(Message.created_at))
            .where(
                Message.conversation_id.in_(list(urgent)),
                Message.direction == Direction.OUT.value,
                Message.source == "staff",
            )
            .group_by(Message.conversation_id)
        ).all()
    )
    return {cid for cid, at in urgent.items() if cid not in answered or answered[cid] < at}


# --- Learning from staff ----------------------------------------------------------------------


def staff_rows(session: Session) -> tuple[list[Row], list[Row]]:
    """Staff-labelled messages: (for training, held out to judge a retrain)."""
    train: list[Row] = []
    heldout: list[Row] = []
    stmt = (
        select(MessageAnalysis, Message.text)
        .join(Message, Message.id == MessageAnalysis.message_id)
        .where(MessageAnalysis.corrected_at.is_not(None), Message.text != "")
        .order_by(MessageAnalysis.message_id)
    )
    for analysis, text in session.execute(stmt).all():
        row = Row(
            text=text,
            topic=analysis.topic,
            sentiment=analysis.sentiment,
            kind=analysis.kind,
            urgent=analysis.urgent,
            abusive=analysis.abusive,
        )
        (heldout if analysis.message_id % HELDOUT_MODULO == 0 else train).append(row)
    return train, heldout


@dataclass
class RetrainResult:
    version: str
    activated: bool
    reason: str
    seed_rows: int
    staff_rows: int
    heldout_rows: int
    score_new: float | None = None
    score_current: float | None = None
    current_version: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)


def retrain(
    database: Database,
    settings: Settings,
    *,
    seed: Sequence[Row] | None = None,
    params: Any = None,
    force: bool = False,
    log: Log = _quiet,
) -> RetrainResult:
    """Train on the seed corpus plus staff labels; activate the new set only if it does at least
    as well as the set in use on the held-out staff labels (mean macro-F1 over the tasks). The
    set it replaces is kept for `rollback`."""
    seed = list(seed) if seed is not None else classifiers.seed_rows()
    with database.session() as session:
        train, heldout = staff_rows(session)
    current = set_in_use(database, settings, log=log)
    if len(heldout) < MIN_HELDOUT and not force:
        # Nothing could show the new set is not worse: do not spend minutes training it.
        return RetrainResult(
            version="",
            activated=False,
            reason=f"only {len(heldout)} held-out staff labels (need {MIN_HELDOUT}): "
            "nothing trained; label more messages (/analysis/queue) or use --force",
            seed_rows=len(seed),
            staff_rows=len(train),
            heldout_rows=len(heldout),
            current_version=current.version,
        )
    rows = [*seed, *train]
    digest = classifiers.rows_sha256(rows)[:8]
    version = f"dep-{utcnow():%Y%m%d%H%M%S}-{digest}"
    log(f"training {version}: {len(seed)} seed + {len(train)} staff-labelled messages")
    new = classifiers.train_set(
        rows,
        version=version,
        params=params or classifiers.PARAMS,
        topic_codes=topic_codes(),
        log=log,
    )
    result = RetrainResult(
        version=version,
        activated=False,
        reason="",
        seed_rows=len(seed),
        staff_rows=len(train),
        heldout_rows=len(heldout),
        current_version=current.version,
    )
    if len(heldout) >= MIN_HELDOUT:
        new_metrics = new.evaluate(heldout)
        current_metrics = current.evaluate(heldout)
        result.score_new = classifiers.score(new_metrics)
        result.score_current = classifiers.score(current_metrics)
        result.metrics = {
            "new": {t: m["macro_f1"] for t, m in new_metrics.items()},
            "current": {t: m["macro_f1"] for t, m in current_metrics.items()},
        }
        better = result.score_new >= result.score_current
        result.activated = better or force
        result.reason = (
            "not worse on the held-out staff labels"
            if better
            else ("worse, activated anyway (--force)" if force else "worse: kept the current set")
        )
    else:
        result.activated = True
        result.reason = (
            f"only {len(heldout)} held-out staff labels (need {MIN_HELDOUT}), "
            "activated anyway (--force)"
        )
    directory = models_dir(settings) / version
    if result.activated:
        classifiers.save_set(
            new,
            directory,
            info={"source": "retrain", "seed_rows": len(seed), "staff_rows": len(train)},
        )
    with database.session() as session:
        if result.activated:
            for old in session.scalars(
                select(ClassifierVersion).where(
                    ClassifierVersion.status.in_(("active", "previous"))
                )
            ):
                old.status = "previous" if old.status == "active" else "retired"
        session.add(
            ClassifierVersion(
                version=version,
                status="active" if result.activated else "rejected",
                seed_rows=len(seed),
                staff_rows=len(train),
                heldout_rows=len(heldout),
                metrics={
                    **result.metrics,
                    "score_new": result.score_new,
                    "score_current": result.score_current,
                    "replaced": current.version,
                },
                note=result.reason[:500],
                activated_at=utcnow() if result.activated else None,
            )
        )
    return result


def rollback(database: Database, settings: Settings) -> tuple[str, str]:
    """Deactivate the active set and return to the previous one (or to the default set when
    there is none). Returns (from version, to version)."""
    with database.session() as session:
        active = active_version(session)
        if active is None:
            raise Invalid("Không có mô hình nào để quay lại: đang dùng mô hình mặc định")
        previous = session.scalar(
            select(ClassifierVersion)
            .where(ClassifierVersion.status == "previous")
            .order_by(ClassifierVersion.id.desc())
        )
        active.status = "retired"
        if previous is not None:
            previous.status = "active"
            previous.activated_at = utcnow()
            return active.version, previous.version
    return active.version, classifiers.default_version(topic_codes())
