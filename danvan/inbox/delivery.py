"""Delivery bookkeeping for the outbox: claiming rows, recording what the platform answered,
reconciling after a crash, and the deliberate resend staff may ask for. No HTTP here: the worker
(`danvan.inbox.worker`) makes the calls between these steps.

Every step is its own short transaction in the caller's session: a claim is committed *before*
any platform call, each accepted part of a long text right after it is accepted, and the outcome
after the call. A worker that dies in between leaves a row `sending` with an expired lease, which
the next worker reconciles instead of sending blindly.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.channels.base import SendResult, SendStatus
from danvan.inbox.models import (
    Conversation,
    Delivery,
    Message,
    OutboxAttempt,
    OutboxItem,
    OutboxStatus,
)
from danvan.kernel.db import rowcount
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow

log = logging.getLogger("danvan.delivery")

# How long a claim holds a row; renewed while a worker is still busy with it.
LEASE = timedelta(minutes=5)
# Seconds to wait after the 1st, 2nd, ... transient failure (then the last one), with jitter.
BACKOFF = (10, 30, 120, 600, 1800, 3600)
# Error codes after which the platform may have the message although we got no answer:
# look in its history before sending again.
AMBIGUOUS = frozenset({"timeout", "connection_lost", "bad_response", "internal"})
UNCERTAIN_REASON = "Không xác định được tin đã gửi hay chưa; kiểm tra trên Zalo rồi gửi lại"
RESENDABLE = (OutboxStatus.UNCERTAIN, OutboxStatus.FAILED)
_RECEIPTED = (Delivery.DELIVERED, Delivery.SEEN)

_DELIVERY = {
    SendStatus.SENT: (OutboxStatus.SENT, Delivery.SENT),
    SendStatus.UNREACHABLE: (OutboxStatus.UNREACHABLE, Delivery.UNREACHABLE),
    SendStatus.FAILED: (OutboxStatus.FAILED, Delivery.FAILED),
}


@dataclass
class Claim:
    """A row this worker holds, with what it needs to send it (no ORM objects: the claim
    outlives its session)."""

    outbox_id: int
    attempt_id: int
    message_id: int
    channel: str
    recipient: str
    idempotency_key: str
    text: str
    attachments: list[dict[str, Any]]
    attempts: int
    parts_sent: int
    platform_message_ids: list[str]
    worker: str
    started_at: datetime  # of the attempt (for a stale row: of the attempt that died)
    lease_until: datetime
    last_error_code: str | None = None
    # Start of the previous attempt, when it ended with an AMBIGUOUS error.
    ambiguous_since: datetime | None = None
    known_ids: frozenset[str] = field(default_factory=frozenset)
    buttons: list[dict[str, Any]] = field(default_factory=list)
    template: dict[str, Any] | None = None
    # A broadcast message: sent at most `outreach_rate_per_second` per second (all workers).
    paced: bool = False


def _due(now: datetime) -> Select[int]:
    return (
        select(OutboxItem.id)
        .where(OutboxItem.status == OutboxStatus.PENDING, OutboxItem.next_attempt_at <= now)
        .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
    )


def _stale(now: datetime) -> Select[int]:
    return (
        select(OutboxItem.id)
        .where(OutboxItem.status == OutboxStatus.SENDING, OutboxItem.lease_until < now)
        .order_by(OutboxItem.lease_until, OutboxItem.id)
    )


def _lock_ids(session: Session, query: Select[int], *, limit: int, skip_locked: bool) -> list[int]:
    query = query.limit(limit)
    if skip_locked:
        # PostgreSQL: rows another worker is claiming right now are skipped, not waited for.
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def claim_due(
    session: Session, *, worker: str, limit: int, skip_locked: bool, now: datetime | None = None
) -> list[Claim]:
    """Mark up to `limit` due rows `sending` for `worker`, each with a new attempt row.

    The caller commits before sending. The UPDATE repeats the WHERE of the SELECT, so on SQLite
    (no SKIP LOCKED; one writer at a time) a row claimed meanwhile is simply not returned.
    """
    now = now or utcnow()
    ids = _lock_ids(session, _due(now), limit=limit, skip_locked=skip_locked)
    if not ids:
        return []
    taken = list(
        session.scalars(
            update(OutboxItem)
            .where(
                OutboxItem.id.in_(ids),
                OutboxItem.status == OutboxStatus.PENDING,
                OutboxItem.next_attempt_at <= now,
            )
            .values(
                status=OutboxStatus.SENDING,
                lease_until=now + LEASE,
                claimed_by=worker,
                attempts=OutboxItem.attempts + 1,
                updated_at=now,
            )
            .returning(OutboxItem.id)
            .execution_options(synchronize_session=False)
        )
    )
    return [_claim(session, row, worker=worker, now=now) for row in _rows(session, taken)]


def claim_stale(
    session: Session, *, worker: str, limit: int, skip_locked: bool, now: datetime | None = None
) -> list[Claim]:
    """Take over rows left `sending` by a worker whose lease expired (it died mid-send).

    The claim's attempt is the one that died, and `started_at` its start: the platform's
    history is searched from then on. The caller reconciles before anything is sent.
    """
    now = now or utcnow()
    ids = _lock_ids(session, _stale(now), limit=limit, skip_locked=skip_locked)
    if not ids:
        return []
    taken = list(
        session.scalars(
            update(OutboxItem)
            .where(
                OutboxItem.id.in_(ids),
                OutboxItem.status == OutboxStatus.SENDING,
                OutboxItem.lease_until < now,
            )
            .values(lease_until=now + LEASE, claimed_by=worker, updated_at=now)
            .returning(OutboxItem.id)
            .execution_options(synchronize_session=False)
        )
    )
    claims = []
    for row in _rows(session, taken):
        attempt = session.scalar(
            select(OutboxAttempt)
            .where(OutboxAttempt.outbox_id == row.id, OutboxAttempt.finished_at.is_(None))
            .order_by(OutboxAttempt.id.desc())
            .limit(1)
        )
        if attempt is None:  # should not happen; keep the invariant "a claim has an attempt"
            attempt = OutboxAttempt(outbox_id=row.id, worker=worker, started_at=row.updated_at)
            session.add(attempt)
            session.flush()
        log.warning(
            "outbox %s: worker %s died mid-send (attempt %s); reconciling",
            row.id,
            attempt.worker,
            attempt.id,
        )
        claim = _claim(session, row, worker=worker, now=now, attempt=attempt)
        claim.known_ids = known_platform_ids(session, item=row)
        claims.append(claim)
    return claims


def _rows(session: Session, ids: list[int]) -> list[OutboxItem]:
    if not ids:
        return []
    return list(
        session.scalars(
            select(OutboxItem)
            .where(OutboxItem.id.in_(ids))
            .order_by(OutboxItem.id)
            .execution_options(populate_existing=True)
        ).unique()
    )


def _claim(
    session: Session,
    row: OutboxItem,
    *,
    worker: str,
    now: datetime,
    attempt: OutboxAttempt | None = None,
) -> Claim:
    message = row.message
    ambiguous_since = None
    if attempt is None:
        if row.last_error_code in AMBIGUOUS:
            ambiguous_since = session.scalar(
                select(OutboxAttempt.started_at)
                .where(OutboxAttempt.outbox_id == row.id)
                .order_by(OutboxAttempt.id.desc())
                .limit(1)
            )
        attempt = OutboxAttempt(outbox_id=row.id, worker=worker, started_at=now)
        session.add(attempt)
        session.flush()
        if message.delivery_status in (Delivery.QUEUED, Delivery.RETRYING):
            message.delivery_status = Delivery.SENDING
    return Claim(
        outbox_id=row.id,
        attempt_id=attempt.id,
        message_id=message.id,
        channel=row.channel,
        recipient=row.recipient,
        idempotency_key=row.idempotency_key,
        text=message.text,
        attachments=list(message.attachments or []),
        attempts=row.attempts,
        parts_sent=row.parts_sent,
        platform_message_ids=list(row.platform_message_ids or []),
        worker=worker,
        started_at=attempt.started_at,
        lease_until=row.lease_until or now + LEASE,
        last_error_code=row.last_error_code,
        ambiguous_since=ambiguous_since,
        known_ids=known_platform_ids(session, item=row) if ambiguous_since else frozenset(),
        paced=message.source == "broadcast",
        buttons=list(row.buttons or []),
        template=dict(row.template) if row.template else None,
    )


def known_platform_ids(session: Session, *, item: OutboxItem) -> frozenset[str]:
    """Platform ids of *other* messages to the same citizen, so that reconciliation never takes
    another reply (or a message typed in Zalo's own inbox) with the same words for this one."""
    ids: set[str] = set()
    others = session.scalars(
        select(OutboxItem.platform_message_ids)
        .where(
            OutboxItem.channel == item.channel,
            OutboxItem.recipient == item.recipient,
            OutboxItem.id != item.id,
        )
        .order_by(OutboxItem.id.desc())
        .limit(200)
    )
    for platform_ids in others:
        ids.update(platform_ids or [])
    ids.update(
        external_id
        for external_id in session.scalars(
            select(Message.external_id)
            .where(
                Message.conversation_id == item.message.conversation_id,
                Message.id != item.message_id,
                Message.external_id.is_not(None),
            )
            .order_by(Message.id.desc())
            .limit(200)
        )
        if external_id
    )
    return frozenset(ids)


def renew_lease(session: Session, *, claim: Claim, now: datetime | None = None) -> bool:
    """Extend the claim's lease; False if the row is no longer ours."""
    now = now or utcnow()
    renewed = rowcount(
        session.execute(
            _ours(claim).values(lease_until=now + LEASE, updated_at=now),
            execution_options={"synchronize_session": False},
        )
    )
    if renewed:
        claim.lease_until = now + LEASE
    return bool(renewed)


def _ours(claim: Claim) -> Any:
    return update(OutboxItem).where(
        OutboxItem.id == claim.outbox_id,
        OutboxItem.status == OutboxStatus.SENDING,
        OutboxItem.claimed_by == claim.worker,
    )


def record_part(
    session: Session, *, claim: Claim, platform_message_id: str | None, now: datetime | None = None
) -> bool:
    """One more part of a long text was accepted: saved before the next part is sent, so that a
    retry resumes after it. False if the row is no longer ours (nothing is written then)."""
    now = now or utcnow()
    ids = [*claim.platform_message_ids, *([platform_message_id] if platform_message_id else [])]
    saved = rowcount(
        session.execute(
            _ours(claim).values(
                parts_sent=claim.parts_sent + 1,
                platform_message_ids=ids,
                lease_until=now + LEASE,
                updated_at=now,
            ),
            execution_options={"synchronize_session": False},
        )
    )
    if not saved:
        log.error(
            "outbox %s: lost the claim while sending part %s", claim.outbox_id, claim.parts_sent + 1
        )
        return False
    if claim.parts_sent == 0 and platform_message_id:
        message = session.get(Message, claim.message_id)
        if message is not None:
            _set_external_id(session, message, platform_message_id)
    claim.parts_sent += 1
    claim.platform_message_ids = ids
    claim.lease_until = now + LEASE
    return True


def _set_external_id(session: Session, message: Message, platform_id: str) -> None:
    """Message.external_id is unique per channel. If Zalo's echo of this very reply was stored
    first (the webhook raced our bookkeeping), that echo is a copy of this message and goes."""
    if message.external_id == platform_id:
        return
    other = session.scalar(
        select(Message).where(
            Message.channel == message.channel,
            Message.external_id == platform_id,
            Message.id != message.id,
        )
    )
    if other is not None:
        if other.source == "oa_inbox" and other.conversation_id == message.conversation_id:
            log.info("message %s: dropping the echo %s of our own reply", message.id, other.id)
            session.delete(other)
            session.flush()
        else:
            log.warning(
                "message %s: platform id already belongs to message %s; not stored",
                message.id,
                other.id,
            )
            return
    message.external_id = platform_id


def _finish(
    session: Session,
    claim: Claim,
    *,
    outcome: str,
    error_code: str | None,
    error: str | None,
    now: datetime,
    duration_ms: int | None,
) -> tuple[OutboxItem, Message]:
    item = session.get(OutboxItem, claim.outbox_id, populate_existing=True)
    if item is None:  # deleted with its conversation meanwhile
        raise NotFound("Không tìm thấy tin trong hàng đợi")
    if item.claimed_by != claim.worker:
        log.warning(
            "outbox %s: recording %s although %s holds it now", item.id, outcome, item.claimed_by
        )
    attempt = session.get(OutboxAttempt, claim.attempt_id)
    if attempt is not None:
        attempt.finished_at = now
        attempt.outcome = outcome
        attempt.error_code = error_code[:32] if error_code else None
        attempt.error = error[:500] if error else None
        attempt.duration_ms = duration_ms
    item.parts_sent = claim.parts_sent
    item.platform_message_ids = list(claim.platform_message_ids)
    item.lease_until = None
    item.claimed_by = None
    if error_code is not None or error is not None:
        item.last_error_code = error_code[:32] if error_code else None
        item.last_error = error[:500] if error else None
    return item, item.message


def record_result(
    session: Session,
    *,
    claim: Claim,
    result: SendResult,
    max_attempts: int,
    duration_ms: int | None = None,
    outcome: str | None = None,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> OutboxStatus:
    """Record the platform's answer for the claim's current part (for SENT: the last part, its
    id already in `claim.platform_message_ids`) on the row, its attempt and its message."""
    now = now or utcnow()
    item, message = _finish(
        session,
        claim,
        outcome=outcome or result.status.value,
        error_code=result.error_code,
        error=result.reason,
        now=now,
        duration_ms=duration_ms,
    )
    if result.hold:
        # Waiting for the platform's account (balance, daily quota, night): not an attempt.
        item.attempts = max(0, item.attempts - 1)
    if result.status == SendStatus.RETRY and (result.hold or item.attempts < max_attempts):
        item.status = OutboxStatus.PENDING
        item.next_attempt_at = now + backoff(
            item.attempts, retry_after=result.retry_after, rng=rng or random.Random()
        )
        message.delivery_status = Delivery.RETRYING
        message.delivery_error = (result.reason or "")[:500] or None
        return OutboxStatus.PENDING
    reason: str | None
    if result.status == SendStatus.RETRY:
        status, delivery = OutboxStatus.FAILED, Delivery.FAILED
        reason = f"{result.reason or 'Lỗi tạm thời'} — đã thử {item.attempts} lần, dừng gửi"
    else:
        status, delivery = _DELIVERY[result.status]
        reason = result.reason
    item.status = status
    if not (status == OutboxStatus.SENT and message.delivery_status in _RECEIPTED):
        # (a receipt may come back before this bookkeeping does)
        message.delivery_status = delivery
    if status == OutboxStatus.SENT:
        item.sent_at = now
        item.last_error_code = None
        item.last_error = None
        message.sent_at = now
        message.delivery_error = None
        if claim.platform_message_ids:
            _set_external_id(session, message, claim.platform_message_ids[0])
    else:
        item.last_error = (reason or "")[:500] or None
        message.delivery_error = (reason or "")[:500] or None
    return status


def record_requeued(
    session: Session, *, claim: Claim, outcome: str, error: str, now: datetime | None = None
) -> None:
    """Back to `pending`, due now: after a crash whose unsent part is surely not on the platform
    (outcome "crashed"), or whose found part is followed by more parts ("reconciled")."""
    now = now or utcnow()
    item, message = _finish(
        session, claim, outcome=outcome, error_code=None, error=error, now=now, duration_ms=None
    )
    item.status = OutboxStatus.PENDING
    item.next_attempt_at = now
    message.delivery_status = Delivery.QUEUED


def record_uncertain(
    session: Session, *, claim: Claim, detail: str, now: datetime | None = None
) -> None:
    """Could not tell whether the crashed send went out: never resent on our own."""
    now = now or utcnow()
    item, message = _finish(
        session,
        claim,
        outcome="crashed",
        error_code="uncertain",
        error=f"{UNCERTAIN_REASON} ({detail})",
        now=now,
        duration_ms=None,
    )
    item.status = OutboxStatus.UNCERTAIN
    message.delivery_status = Delivery.UNCERTAIN
    message.delivery_error = UNCERTAIN_REASON


def release_claim(session: Session, *, claim: Claim) -> None:
    """Give back a row claimed but not tried (the worker is stopping): as if never claimed."""
    released = rowcount(
        session.execute(
            _ours(claim).values(
                status=OutboxStatus.PENDING,
                lease_until=None,
                claimed_by=None,
                attempts=OutboxItem.attempts - 1,
            ),
            execution_options={"synchronize_session": False},
        )
    )
    if released:
        attempt = session.get(OutboxAttempt, claim.attempt_id)
        if attempt is not None:
            session.delete(attempt)
        message = session.get(Message, claim.message_id)
        if message is not None and message.delivery_status == Delivery.SENDING:
            message.delivery_status = Delivery.QUEUED


def backoff(attempts: int, *, retry_after: float | None, rng: random.Random) -> timedelta:
    """Wait before the next try after `attempts` tries: exponential-ish with ±20 % jitter, and
    never sooner than the platform asked."""
    base = BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]
    seconds = base * rng.uniform(0.8, 1.2)
    return timedelta(seconds=max(seconds, retry_after or 0.0))


def next_due(session: Session) -> datetime | None:
    """When the next pending row falls due (for the worker's idle wait)."""
    return session.scalar(
        select(OutboxItem.next_attempt_at)
        .where(OutboxItem.status == OutboxStatus.PENDING)
        .order_by(OutboxItem.next_attempt_at)
        .limit(1)
    )


# --- staff: a deliberate resend -----------------------------------------------------------------


def retry_uncertain(session: Session, *, actor: Actor, message: Message) -> OutboxItem:
    """Queue an UNCERTAIN or FAILED reply again because staff ask for it (audit "resend").

    Parts already accepted by the platform are not sent again; the uncertain one is.
    """
    actor.require_write()
    conversation = session.get(Conversation, message.conversation_id)
    if conversation is None or not actor.sees_commune(conversation.commune_code):
        raise NotFound("Không tìm thấy tin nhắn")
    item = session.scalar(
        select(OutboxItem).where(OutboxItem.message_id == message.id).with_for_update(of=OutboxItem)
    )
    if item is None or item.status not in RESENDABLE:
        raise Invalid("Chỉ gửi lại được tin chưa xác định hoặc gửi thất bại", code="not_resendable")
    previous = item.status
    item.status = OutboxStatus.PENDING
    item.next_attempt_at = utcnow()
    item.attempts = 0
    item.lease_until = None
    item.claimed_by = None
    message.delivery_status = Delivery.QUEUED
    message.delivery_error = None
    audit.record(
        session,
        actor=actor,
        action="resend",
        object_type="message",
        object_id=message.id,
        detail={"outbox_id": item.id, "from": previous, "parts_sent": item.parts_sent},
    )
    return item
