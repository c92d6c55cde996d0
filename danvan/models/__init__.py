"""All tables. Import from here so that every mapper is configured."""

from danvan.models.base import Base, utcnow
from danvan.models.contacts import Contact
from danvan.models.inbox import (
    Conversation,
    ConversationLabel,
    Delivery,
    Direction,
    InboundEvent,
    Label,
    Message,
    Note,
)
from danvan.models.outbox import (
    Lease,
    OutboxAttempt,
    OutboxItem,
    OutboxStatus,
    PlatformToken,
    RateLimitBucket,
)
from danvan.models.staff import ApiToken, AuditEntry, Role, User, UserCommune

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "Contact",
    "Conversation",
    "ConversationLabel",
    "Delivery",
    "Direction",
    "InboundEvent",
    "Label",
    "Lease",
    "Message",
    "Note",
    "OutboxAttempt",
    "OutboxItem",
    "OutboxStatus",
    "PlatformToken",
    "RateLimitBucket",
    "Role",
    "User",
    "UserCommune",
    "utcnow",
]
