"""Background jobs of this area, run by the worker (see `danvan.kernel.jobs`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from danvan.kernel.db import Database
from danvan.kernel.jobs import Job
from danvan.kernel.settings import Settings
from danvan.outreach.summaries import run_summaries


def broadcasts(database: Database, settings: Settings, now: datetime) -> int:
    """Start due broadcasts and keep their next deliveries queued (bounded per call)."""
    from danvan.outreach.broadcasts import run_broadcasts

    with database.session() as session:
        return run_broadcasts(session, settings=settings, now=now)


def articles(database: Database, settings: Settings, now: datetime) -> int:
    """Article broadcasts: one call to Zalo reaches every follower of the OA."""
    from danvan.channels.base import SendStatus
    from danvan.channels.registry import SENDERS
    from danvan.outreach import articles as broadcasts

    with database.session() as session:
        claimed = broadcasts.claim_articles(session, settings=settings, now=now)
    if not claimed:
        return 0
    sender = SENDERS["zalo_oa"](settings, database)
    try:
        for broadcast_id, article_id in claimed:
            send = getattr(sender, "broadcast_article", None)
            if send is None:
                sent, detail = False, "Kênh Zalo OA không hỗ trợ gửi bài viết"
            else:
                result = send(article_id=article_id, target=broadcasts.ARTICLE_TARGET)
                sent = result.status == SendStatus.SENT
                detail = result.platform_message_id or "" if sent else (result.reason or "")
            with database.session() as session:
                broadcasts.record_article(
                    session, broadcast_id=broadcast_id, sent=sent, detail=detail, now=now
                )
    finally:
        sender.close()
    return len(claimed)


def consultation_results(database: Database, settings: Settings, now: datetime) -> int:
    """Send each participant of a closed consultation the result in their commune."""
    from danvan.outreach.consultations import send_closed_results

    with database.session() as session:
        return send_closed_results(session, settings=settings, now=now)


JOBS: list[Job] = [
    Job("outreach_broadcasts", timedelta(seconds=1), broadcasts),
    Job("outreach_articles", timedelta(seconds=10), articles),
    Job("outreach_consultation_results", timedelta(minutes=1), consultation_results),
    # Opinion summaries the pages asked for (web processes never load the NLP stack).
    Job("outreach_opinion_summaries", timedelta(seconds=5), run_summaries),
]
