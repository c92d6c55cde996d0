"""Delivery receipts of template messages (ZNS): matched by our tracking id (the outbox row's
idempotency key) or Zalo's message id, they mark the notice delivered. A receipt also settles a
row left `uncertain` by a worker that died mid-send: Zalo had it, so it was sent (once)."""

from __future__ import annotations

import logging

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from danvan.channels.base import InboundEvent
from danvan.inbox.models import Delivery, Message, OutboxItem, OutboxStatus

log = logging.getLogger("danvan.notices")

ZNS = "zalo_zns"
_SETTLED_BY_RECEIPT = (OutboxStatus.UNCERTAIN, OutboxStatus.FAILED, OutboxStatus.PENDING)


def mark_template_delivered(session: Session, event: InboundEvent) -> int:
    """Apply one ZNS receipt; how many notices it marked delivered."""
    conditions = []
    if event.tracking_ids:
        conditions.append(OutboxItem.idempotency_key.in_(list(event.tracking_ids)))
    if event.message_ids:
        conditions.append(
            OutboxItem.message_id.in_(
                select(Message.id).where(
                    Message.carried_by == ZNS, Message.external_id.in_(list(event.message_ids))
                )
            )
        )
    if not conditions:
        return 0
    items = session.scalars(
        select(OutboxItem)
        .where(OutboxItem.channel == ZNS, or_(*conditions))
        .with_for_update(of=OutboxItem)
    ).all()
    for item in items:
        message = item.message
        if item.status in _SETTLED_BY_RECEIPT:
            log.info("outbox %s: Zalo's receipt shows it was sent (was %s)", item.id, item.status)
            item.status = OutboxStatus.SENT
            item.sent_at = item.sent_at or event.occurred_at
            item.lease_until = None
            item.claimed_by = None
            message.sent_at = message.sent_at or event.occurred_at
            message.delivery_error = None
        if event.message_ids and not item.platform_message_ids:
            item.platform_message_ids = list(event.message_ids)
        if message.external_id is None and event.message_ids:
            taken = session.scalar(
                select(Message.id).where(
                    Message.channel == message.channel,
                    Message.external_id == event.message_ids[0],
                )
            )
            if taken is None:
                message.external_id = event.message_ids[0]
        if message.delivery_status != Delivery.SEEN:
            message.delivery_status = Delivery.DELIVERED
            message.delivered_at = event.occurred_at
    if not items:
        log.info("a ZNS receipt matched no notice (%s)", event.dedupe_key)
    return len(items)
