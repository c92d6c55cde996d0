"""The opinions of a consultation in aggregate, computed by the worker and stored.

Summarising opinions (`opinions.summarise`: the classifiers' sentiment, key words segmented by
pyvi, TF-IDF, quotes masked with underthesea's NER) loads the NLP stack, ~100 MB and more per
process. Web processes never do it: a page asks for the summary of its scope (a
`ConsultationSummary` row whose `wanted` says what the answers look like now), shows it once the
worker's `run_summaries` has computed it for those answers, and says "being summarised"
meanwhile (a block with `pending`). A new answer changes what is wanted, so the next view asks
again; the last summary is not shown for answers it did not see.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.outreach.items import PUBLIC_MIN, visible_communes
from danvan.outreach.models import Consultation, ConsultationAnswer, ConsultationSummary

log = logging.getLogger("danvan.outreach.summaries")

BATCH = 10  # summaries computed per run of the job


def scope_of(communes: list[int] | None) -> str:
    return "" if communes is None else ",".join(str(c) for c in sorted(set(communes)))


def communes_of(scope: str) -> list[int] | None:
    return None if scope == "" else [int(c) for c in scope.split(",") if c]


def _in(communes: list[int] | None) -> ColumnElement[bool]:
    return true() if communes is None else ConsultationAnswer.commune_code.in_(communes)


def fingerprint(session: Session, consultation_id: int, communes: list[int] | None) -> str:
    """What the scope's answers look like now: their count and latest change."""
    count, latest = session.execute(
        select(func.count(), func.max(ConsultationAnswer.updated_at)).where(
            ConsultationAnswer.consultation_id == consultation_id,
            ConsultationAnswer.opinion.is_not(None),
            _in(communes),
        )
    ).one()
    return f"{count}|{latest.isoformat() if latest else ''}"


def stored(
    session: Session, *, consultation: Consultation, communes: list[int] | None
) -> dict[str, Any] | None:
    """The scope's summary as the worker computed it for the answers as they are now; None while
    it waits for the worker (asked for here)."""
    wanted = fingerprint(session, consultation.id, communes)
    key = {"consultation_id": consultation.id, "scope": scope_of(communes)}
    row = session.get(ConsultationSummary, key)
    if row is not None and row.of == wanted and row.summary is not None:
        return row.summary
    if row is None:
        row = ConsultationSummary(**key, wanted=wanted, requested_at=utcnow())
        session.add(row)
    elif row.wanted != wanted:
        row.wanted = wanted
        row.requested_at = utcnow()
    return None


def _pending(count: int, *, public: bool) -> dict[str, Any]:
    shown = count if not public or count >= PUBLIC_MIN else None
    return {"pending": True, "opinions": shown}


def opinions_block(
    session: Session,
    *,
    consultation: Consultation,
    settings: Settings,
    actor: Actor | None = None,
    public: bool = False,
) -> dict[str, Any] | None:
    """The "opinions" block of a consultation's results (None for a vote): for staff (`actor`),
    of the answers from their communes only; `public`: of every answer, small counts hidden.
    While the worker has not summarised the answers as they are now: {"pending": True,
    "opinions": count}."""
    from danvan.outreach.opinions import public_view

    if consultation.kind != "opinion":
        return None
    if actor is None and not public:
        raise ValueError("a staff summary needs the actor whose scope it is")
    communes = None if actor is None else visible_communes(actor, consultation.commune_codes)
    summary = stored(session, consultation=consultation, communes=communes)
    if summary is None:
        count = int(fingerprint(session, consultation.id, communes).split("|")[0])
        return _pending(count, public=public)
    return public_view(summary) if public else summary


def run_summaries(database: Database, settings: Settings, now: datetime) -> int:
    """The worker's job: summarise the scopes pages asked for whose answers changed since (or
    whose classifiers did), a few per run. Returns how many were summarised."""
    from danvan.outreach.opinions import model_set_if_ready, summarise

    with database.session() as session:
        if session.scalar(select(func.count()).select_from(ConsultationSummary)) == 0:
            return 0
        model_set = model_set_if_ready(session, settings)
        version = model_set.version if model_set is not None else None
        cs = ConsultationSummary
        rows = session.scalars(
            select(cs)
            .where(
                or_(
                    cs.of.is_(None),
                    cs.of != cs.wanted,
                    cs.model.is_distinct_from(version),
                )
            )
            .order_by(cs.requested_at)
            .limit(BATCH)
        ).all()
        for row in rows:
            consultation = session.get(Consultation, row.consultation_id)
            if consultation is None:
                continue
            communes = communes_of(row.scope)
            row.of = row.wanted = fingerprint(session, row.consultation_id, communes)
            row.summary = summarise(
                session, consultation=consultation, model_set=model_set, communes=communes
            )
            row.model = version
            row.computed_at = now
        if rows:
            log.info("summarised the opinions of %d consultation scopes", len(rows))
        return len(rows)
