"""Article broadcasts: one call to Zalo's article API reaches every follower of the OA. Claimed
before the call (committed by the caller) and recorded after it, so a crash never sends one twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.kernel.settings import Settings
from danvan.outreach.broadcasts import in_quiet_hours
from danvan.outreach.models import Broadcast, BroadcastStatus

# "All followers" in the article API's target (gender 0 = all, zalo.md §3).
ARTICLE_TARGET: dict[str, Any] = {"gender": 0}


def claim_articles(session: Session, *, settings: Settings, now: datetime) -> list[tuple[int, str]]:
    """Due article broadcasts, marked sending before the call (committed by the caller), so
    that a crash never sends one twice: one left `sending` is for staff to check."""
    quiet = in_quiet_hours(now, settings)
    due = session.scalars(
        select(Broadcast)
        .where(
            Broadcast.mode == "article",
            Broadcast.status == BroadcastStatus.SCHEDULED,
            or_(Broadcast.send_at.is_(None), Broadcast.send_at <= now),
        )
        .order_by(Broadcast.id)
        .limit(5)
    )
    claimed = []
    for broadcast in due:
        if quiet and not broadcast.urgent:
            continue
        broadcast.status = BroadcastStatus.SENDING
        broadcast.started_at = now
        claimed.append((broadcast.id, broadcast.article_id or ""))
    return claimed


def record_article(
    session: Session, *, broadcast_id: int, sent: bool, detail: str, now: datetime
) -> None:
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        return
    broadcast.status = BroadcastStatus.DONE if sent else BroadcastStatus.FAILED
    broadcast.finished_at = now
    broadcast.platform_result = detail[:500]
    audit.record(
        session,
        actor=None,
        action="broadcast_article_sent" if sent else "broadcast_article_failed",
        object_type="broadcast",
        object_id=broadcast_id,
        detail={"result": detail[:200]},
        via="worker",
    )
