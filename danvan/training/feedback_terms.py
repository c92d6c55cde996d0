"""The words of a trainee's free-text feedback, as the course report counts them: cleaned,
personal data masked, segmented (`danvan.nlp`), stop words out, once each. The worker computes
them (`run_feedback_terms`) and stores them on the feedback row (`Feedback.terms`); the report
(`reports.feedback_summary`) only counts, so a web process never loads the NLP stack."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.training.models import Feedback
from danvan.training.reports import STOPWORDS

log = logging.getLogger("danvan.training.feedback_terms")

BATCH = 200


def terms_of(text: str) -> list[str]:
    """The text's distinct words (lower case, multi-syllable words joined by "_"), sorted."""
    from danvan.nlp.normalization import normalize
    from danvan.nlp.pii import mask_pii
    from danvan.nlp.segmentation import segment

    if not text.strip():
        return []
    return sorted(
        {
            w.lower()
            for w in segment(mask_pii(normalize(text)))
            if any(ch.isalpha() for ch in w)
            and w.lower() not in STOPWORDS
            and len(w) > 1
            and not w.startswith("[")
        }
    )


def run_feedback_terms(database: Database, settings: Settings, now: datetime) -> int:
    """The worker's job: the terms of feedback that has none yet, a batch per run. Returns how
    many rows were done."""
    with database.session() as session:
        rows = session.scalars(
            select(Feedback).where(Feedback.terms.is_(None)).order_by(Feedback.id).limit(BATCH)
        ).all()
        for row in rows:
            row.terms = terms_of(row.text)
        if rows:
            log.info("segmented the feedback of %d trainees", len(rows))
        return len(rows)
