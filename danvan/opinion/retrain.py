"""Learning from staff: retraining the opinion classifiers on the seed corpus plus the labels
staff gave (corrected or confirmed messages, see labels.py and review.py), and rolling back.

`retrain` trains on the seed corpus plus staff labels (each staff row counted `STAFF_WEIGHT`
times: the engine takes no sample weights, so a staff row is repeated), compares with the active
set on the staff labels held out of training, and activates the new set only if it is not worse;
`rollback` returns to the previous set. Activating a set starts the history relabel (progress.py).
A new set is stored in the database (model_store.py) in the transaction that activates it: every
worker and web process, on every machine, uses it from its next job cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.inbox.models import Message
from danvan.kernel.db import Database
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.nlp import classifiers
from danvan.nlp.classifiers import Row
from danvan.opinion import model_store, progress
from danvan.opinion.model_use import Log, active_version, set_in_use, topic_codes
from danvan.opinion.models import ClassifierVersion, MessageAnalysis

# A fifth of the staff-labelled messages (by message id) is never trained on: it judges retrains.
HELDOUT_MODULO = 5
MIN_HELDOUT = 5
# A message a person labelled (corrected or confirmed) counts this many times in training: the
# deployment's own words, checked by a person, weigh more than one synthetic seed row.
STAFF_WEIGHT = 3


def _quiet(_message: str) -> None:
    return None


def staff_rows(session: Session) -> tuple[list[Row], list[Row]]:
    """Messages a person labelled (corrected, or confirmed in the weekly review): (for training,
    held out to judge a retrain)."""
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


def weighted(rows: Sequence[Row], weight: int = STAFF_WEIGHT) -> list[Row]:
    """Staff rows repeated `weight` times (the engine has no sample weights)."""
    return [row for row in rows for _ in range(max(1, weight))]


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
            "nothing trained; label more messages (/analysis/review) or use --force",
            seed_rows=len(seed),
            staff_rows=len(train),
            heldout_rows=len(heldout),
            current_version=current.version,
        )
    rows = [*seed, *weighted(train)]
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
    metrics = {
        **result.metrics,
        "score_new": result.score_new,
        "score_current": result.score_current,
        "replaced": current.version,
    }
    packed = None
    if result.activated:  # packed before the transaction: seconds, never under the write lock
        packed = model_store.pack(
            new,
            trained_on={"source": "retrain", "seed_rows": len(seed), "staff_rows": len(train)},
        )
    with database.session() as session:
        if packed is not None:
            # The set and its activation in one transaction: no process ever sees one without
            # the other; every worker picks it up at its next cycle.
            model_store.add(session, settings, packed, source="retrain", metrics=metrics)
            for old in session.scalars(
                select(ClassifierVersion).where(
                    ClassifierVersion.status.in_(("active", "previous"))
                )
            ):
                old.status = "previous" if old.status == "active" else "retired"
        if result.activated:
            progress.request_relabel(session, version=version, now=utcnow())
        session.add(
            ClassifierVersion(
                version=version,
                status="active" if result.activated else "rejected",
                seed_rows=len(seed),
                staff_rows=len(train),
                heldout_rows=len(heldout),
                metrics=metrics,
                note=result.reason[:500],
                activated_at=utcnow() if result.activated else None,
            )
        )
    if result.activated:
        model_store.remember(new)
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
        back = (
            previous.version if previous is not None else classifiers.default_version(topic_codes())
        )
        if previous is not None:
            previous.status = "active"
            previous.activated_at = utcnow()
        progress.request_relabel(session, version=back, now=utcnow())
        return active.version, back
