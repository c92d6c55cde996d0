"""All tables. Import from here so that every mapper is configured."""

from danvan.models.analysis import MessageAnalysis
from danvan.models.base import Base, utcnow
from danvan.models.contacts import Contact, ContactTag
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
    "ContactTag",
    "Conversation",
    "ConversationLabel",
    "Delivery",
    "Direction",
    "InboundEvent",
    "Label",
    "Lease",
    "Message",
    "MessageAnalysis",
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

# The areas' tables, registered on Base.metadata. Their modules import from danvan.models.<module>
# (never from this package) so that this import order cannot bite.
from danvan.models import cases, opinion, outreach, training  # noqa: F401
