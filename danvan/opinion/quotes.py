"""Messages fit to quote outside their conversation, masked by the worker and stored.

The dashboard, the review sample, the messages behind a figure and the situation report quote
citizens' messages with names, phone and ID numbers and e-mails masked (`danvan.nlp.pii`, whose
names come from underthesea's NER and pyvi: ~100 MB per process). The worker masks a message
when it labels it (`labels.do_analyse` calls `quote_of`) and stores the result on its analysis
(`MessageAnalysis.quote`); web processes read that column and never load the NLP stack
(tests/web/test_web_memory.py holds them to it).

Rows labelled before revision 0012 are masked by the `analysis-quotes` job, a batch per run in
message order behind a cursor, its progress in `analysis_progress` (name "quotes") and the log.
A message not masked yet is not quoted (`shown` gives ""), never shown unmasked.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from danvan.inbox.models import Message
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.kernel.text import preview
from danvan.opinion.models import AnalysisProgress, AnalyticsCursor, MessageAnalysis

log = logging.getLogger("danvan.opinion.quotes")

QUOTE_CHARS = 400  # the longest quote any page shows (the review sample)
BATCH = 500  # rows masked per run of the backfill
CURSOR = "quotes"
PROGRESS = "quotes"


def quote_of(text: str) -> str:
    """The message's text masked and cut to QUOTE_CHARS: what the worker stores. (The NLP stack
    is imported here, in the worker, on first use.)"""
    from danvan.nlp.pii import mask_pii

    if not text.strip():
        return ""
    return preview(mask_pii(text).strip(), QUOTE_CHARS)


def shown(quote: str | None, text: str | None, limit: int = QUOTE_CHARS) -> str:
    """What a page quotes of a message: its stored masked text, cut to `limit`; nothing while it
    is not masked yet, or once the message was erased (Decree 13: its text is emptied)."""
    if not quote or not text:
        return ""
    return preview(quote, limit)


def run_quotes(database: Database, settings: Settings, now: datetime) -> int:
    """The worker's job: mask one batch of analyses that have no quote yet (rows labelled before
    revision 0012; new ones are masked as they are labelled), in message order behind a cursor.
    Returns how many were masked."""
    with database.session() as session:
        cursor = session.get(AnalyticsCursor, CURSOR)
        after = cursor.message_id if cursor is not None else 0
        newest = session.scalar(select(func.max(MessageAnalysis.message_id))) or 0
        if after >= newest:
            return 0
        rows = session.execute(
            select(MessageAnalysis, Message.text)
            .join(Message, Message.id == MessageAnalysis.message_id)
            .where(MessageAnalysis.message_id > after)
            .order_by(MessageAnalysis.message_id)
            .limit(BATCH)
        ).all()
        done = 0
        for analysis, text in rows:
            if analysis.quote is None:
                analysis.quote = quote_of(str(text or ""))
                done += 1
        last = rows[-1][0].message_id if rows else newest
        if cursor is None:
            cursor = AnalyticsCursor(name=CURSOR, analysed_at=now, message_id=last)
            session.add(cursor)
        cursor.message_id = last
        cursor.analysed_at = now
        _note(session, done=last, total=newest, now=now)
        if done:
            log.info("masked %d quotes (up to message %d of %d)", done, last, newest)
        return done


def _note(session: Session, *, done: int, total: int, now: datetime) -> None:
    """Progress of the backfill, by message id: `done` of `total` (idle once through)."""
    row = session.get(AnalysisProgress, PROGRESS)
    if row is None:
        row = AnalysisProgress(name=PROGRESS, state="idle", version="", done=0, total=0)
        session.add(row)
        row.started_at = now
    row.state = "masking" if done < total else "idle"
    row.done = done
    row.total = total
    row.updated_at = now
