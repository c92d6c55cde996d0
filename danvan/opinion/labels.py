"""The opinion classifiers applied to citizens' messages, and what staff teach them.

- The worker's job (`run_pending`, see analysis_jobs.py) labels inbound text messages that have
  no `MessageAnalysis` yet, in bounded batches, never in the webhook.
- `reanalyse` re-runs the active models over history (`danvan analyze --since`): model labels are
  replaced, staff corrections never.
- Staff see the labels of a conversation's messages and correct them (`do_correct`, scoped and
  audited); corrected messages are the deployment's training data. `uncertain_queue` lists the
  messages the model is least sure about, within the user's communes.
- Retraining on what staff taught lives in retrain.py.

Labels describe messages; nothing here scores, ranks or lists citizens.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.accounts.audit import record
from danvan.inbox.models import ANSWER_SOURCE, Conversation, Direction, Message
from danvan.kernel.db import Database
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.taxonomy import KINDS, SENTIMENTS, topics
from danvan.opinion import progress
from danvan.opinion.models import MessageAnalysis
from danvan.opinion.quotes import quote_of
from danvan.opinion.rollups import move_commune
from danvan.opinion.urgency import mark_urgent

if TYPE_CHECKING:  # the classifiers are loaded by the worker only, never by a web process
    from danvan.nlp.classifiers import Labels, ModelSet

Log = Callable[[str], None]
log = logging.getLogger("danvan.core.analysis")

# Re-scanned below the newest analysed message on each run: a message whose id was taken
# before, but committed after, a newer one is still found (PostgreSQL sequences).
LOOKBACK_IDS = 1000
QUEUE_SIZE = 40
RELABEL_BATCH = 500  # history relabelled per run of the job
BACKLOG_BATCHES = 5  # batches of new messages per run while a backlog waits
COUNT_CAP = 1_000_000  # progress counts stop here (a bounded count on any table)
# A staff member's own Zalo conversation (danvan.opinion.alerts): not citizens' opinion.
STAFF_CONVERSATION = "staff"


def _quiet(_message: str) -> None:
    return None


# --- Labelling messages -----------------------------------------------------------------------


def _analysable() -> Any:
    """A citizen's own words: inbound text, not one an area took as an answer or a command (a
    vote "#YK1 2", a poll answer, an opinion given on a consultation, "LIENKET …": ingest marks
    those `ANSWER_SOURCE`), which would count as opinions on the dashboard."""
    return (
        (Message.direction == Direction.IN.value)
        & (Message.text != "")
        & (Message.source != ANSWER_SOURCE)
    )


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
    mark_urgent(
        session,
        labelled=[(m, c, lab) for (m, c), lab in zip(todo, labels, strict=True)],
        now=now,
    )
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
        if analysis.quote is None:
            analysis.quote = quote_of(message.text)
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


def count_pending(session: Session, *, cap: int = COUNT_CAP) -> int:
    """Inbound text messages waiting for a label (bounded like `pending`, counted up to `cap`)."""
    newest = session.scalar(select(func.max(MessageAnalysis.message_id))) or 0
    has_analysis = select(MessageAnalysis.message_id).where(
        MessageAnalysis.message_id == Message.id
    )
    waiting = (
        select(Message.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            _analysable(),
            Message.id > newest - LOOKBACK_IDS,
            ~has_analysis.exists(),
            Conversation.status != STAFF_CONVERSATION,
        )
        .limit(cap)
        .subquery()
    )
    return session.scalar(select(func.count()).select_from(waiting)) or 0


def run_pending(database: Database, settings: Settings, now: datetime) -> int:
    """The worker's job: one batch of unlabelled messages. Returns how many were labelled.
    While the set in use is trained, or a backlog is worked through, `progress` says so."""
    batch = max(1, settings.analysis_batch_size)
    with database.session() as session:
        # Commune moves are kept in step even with the classifiers off (labels may come from
        # elsewhere: staff corrections).
        synced = sync_communes(session, limit=batch, now=now)
        waiting = settings.analysis_enabled and bool(pending(session, limit=1))
        state = progress.read(session)
        ours = state is not None and state.state in (progress.TRAINING, progress.LABELLING)
        if not waiting and ours:
            progress.note(session, state=progress.IDLE, now=now)
    if not waiting:
        return synced
    from danvan.opinion.model_use import default_ready, set_in_use

    if not default_ready(database, settings):
        with database.session() as session:
            total = count_pending(session)
            progress.note(session, state=progress.TRAINING, now=now, total=total)
        return synced  # the default set is being trained in the background; messages wait
    model_set = set_in_use(database, settings)
    done = left = 0
    for _ in range(BACKLOG_BATCHES):  # a transaction each: webhooks never wait long
        with database.session() as session:
            rows = pending(session, limit=batch)
            done += do_analyse(session, model_set=model_set, rows=rows, now=now)
            left = count_pending(session)
        if not left:
            break
    with database.session() as session:
        # A backlog (a fresh demo, a worker that was down) shows its progress; ordinary traffic
        # writes nothing. A relabel in progress keeps its own figures.
        relabelling = state is not None and state.state == progress.RELABELLING
        if (ours or left >= progress.BACKLOG) and not relabelling:
            so_far = done + (state.done if state and state.state == progress.LABELLING else 0)
            progress.note(
                session,
                state=progress.LABELLING if left else progress.IDLE,
                version=model_set.version,
                now=now,
                done=so_far,
                total=so_far + left,
            )
        return done + synced


def run_relabel(database: Database, settings: Settings, now: datetime) -> int:
    """The worker's job after the set in use changed (`progress.request_relabel`): relabel one
    batch of history with it (new messages first; staff labels kept). Returns rows relabelled."""
    with database.session() as session:
        state = progress.read(session)
        if state is None or state.state != progress.RELABELLING or not settings.analysis_enabled:
            return 0
        if pending(session, limit=1):
            return 0  # new messages are labelled first (run_pending)
    from danvan.opinion.model_use import set_in_use

    model_set = set_in_use(database, settings)
    with database.session() as session:
        rows = [
            (m, c)
            for m, c in session.execute(
                select(Message, Conversation)
                .join(MessageAnalysis, MessageAnalysis.message_id == Message.id)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(
                    MessageAnalysis.model_version != model_set.version,
                    MessageAnalysis.corrected_at.is_(None),
                    _analysable(),
                )
                .order_by(Message.id)
                .limit(RELABEL_BATCH)
            ).all()
        ]
        done = do_analyse(session, model_set=model_set, rows=rows, now=now)
        left = (
            session.scalar(
                select(func.count()).select_from(
                    select(MessageAnalysis.message_id)
                    .join(Message, Message.id == MessageAnalysis.message_id)
                    .where(
                        MessageAnalysis.model_version != model_set.version,
                        MessageAnalysis.corrected_at.is_(None),
                        _analysable(),
                    )
                    .limit(COUNT_CAP)
                    .subquery()
                )
            )
            or 0
        )
        so_far = state.done + done
        progress.note(
            session,
            state=progress.RELABELLING if left else progress.IDLE,
            version=model_set.version,
            now=now,
            done=so_far,
            total=so_far + left,
        )
    return done


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
    from danvan.opinion.model_use import set_in_use

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
            if done:  # progress between batches; the caller reports the total once
                log(f"{done} messages labelled so far")
            after = rows[-1][0].id
            done += do_analyse(session, model_set=model_set, rows=rows)
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
    if topic not in [t.code for t in topics()]:
        raise Invalid("Chủ đề không hợp lệ")
    if sentiment not in SENTIMENTS:
        raise Invalid("Sắc thái không hợp lệ")
    if kind not in KINDS:
        raise Invalid("Loại tin nhắn không hợp lệ")
    return Correction(topic, sentiment, kind, bool(urgent), bool(abusive))


def labels_of(analysis: MessageAnalysis) -> dict[str, Any]:
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
    before = labels_of(analysis)
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
        detail={"before": before, "after": labels_of(analysis)},
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
