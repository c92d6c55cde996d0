"""A citizen's commune. One function moves a citizen, and their conversation, to a commune
(staff correcting it, or the citizen naming it) and tells every area that keeps something by
commune, through the `on_commune_changed` hook (kernel/areas.py): opinion's rollups follow."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.inbox.models import Contact, Conversation
from danvan.kernel import areas


def move_citizen(
    session: Session,
    *,
    contact: Contact,
    commune_code: int | None,
    source: str,
    conversation: Conversation | None = None,
    only_unrouted: bool = False,
) -> Conversation | None:
    """The citizen's commune becomes `commune_code` (as said by `source`: "staff" or
    "citizen"), and so does their conversation's (with `only_unrouted`, only a conversation
    that has no commune yet). Returns the conversation, if the citizen has one. Checking that
    the actor may do it is the caller's part."""
    contact.commune_code = commune_code
    contact.commune_source = source
    if conversation is None:
        conversation = session.scalar(
            select(Conversation).where(Conversation.contact_id == contact.id)
        )
    if conversation is None or (only_unrouted and conversation.commune_code is not None):
        return conversation
    conversation.commune_code = commune_code
    for _area, changed in areas.hooked("on_commune_changed"):
        changed(session, conversation_id=conversation.id, commune_code=commune_code)
    return conversation
