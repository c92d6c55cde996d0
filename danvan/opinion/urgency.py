"""Urgency is a safety net: a message the classifiers label urgent puts its conversation at the
top of the inbox until staff answer (`Conversation.urgent_at`, read by the inbox's order) and
alerts, once, the staff who see its commune (an `OpinionAlert` of kind "urgent", sent by the
staff-zalo-alerts job like a spike: danvan.opinion.alerts). A "no" never holds anything back:
an unlabelled message is listed as any other, by how long it has waited.

Labels describe messages; nothing here scores or ranks citizens.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.inbox.models import Conversation, Direction, Message
from danvan.opinion.models import AlertKind, MessageAnalysis, OpinionAlert

if TYPE_CHECKING:  # labels come from the worker's classifiers; web processes never load them
    from danvan.nlp.classifiers import Labels

# Only a message this recent raises an alert: relabelling history never alerts for old words
# (the same window after which alerts are no longer sent).
ALERT_WITHIN = timedelta(hours=2)


def mark_urgent(
    session: Session,
    *,
    labelled: Sequence[tuple[Message, Conversation, Labels]],
    now: datetime,
) -> int:
    """For each message labelled urgent: flag its conversation while the citizen waits for an
    answer, and raise one alert for the message if it is recent. Returns the alerts raised."""
    urgent = [(m, c, lab) for m, c, lab in labelled if lab.urgent]
    if not urgent:
        return 0
    alerted = set(
        session.scalars(
            select(OpinionAlert.message_id).where(
                OpinionAlert.message_id.in_([m.id for m, _c, _l in urgent])
            )
        )
    )
    raised = 0
    for message, conversation, label in urgent:
        waiting_since = conversation.awaiting_since
        if waiting_since is not None and message.created_at >= waiting_since:
            conversation.urgent_at = conversation.urgent_at or now
        if message.id in alerted or message.created_at < now - ALERT_WITHIN:
            continue
        session.add(
            OpinionAlert(
                kind=AlertKind.URGENT,
                message_id=message.id,
                commune_code=conversation.commune_code,
                topic=label.topic,
                window_hours=0,
                observed=1,
                expected=0.0,
                created_at=now,
            )
        )
        alerted.add(message.id)
        raised += 1
    return raised


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
                Message.source.in_(("staff", "oa_inbox")),
            )
            .group_by(Message.conversation_id)
        ).all()
    )
    return {cid for cid, at in urgent.items() if cid not in answered or answered[cid] < at}
