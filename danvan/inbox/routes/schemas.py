"""JSON API input and output schemas, kept apart from the tables (`danvan.models`).

Outputs are built from table rows with `of(...)`; inputs are normalised at the edge (NFC, control
characters removed) and bounded in size before the core sees them. The core still validates
what it owns (text limits are measured there, after normalisation).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from danvan.accounts.routes.schemas import UserRef
from danvan.inbox.conversations import MAX_NOTE_CHARS, MAX_REPLY_CHARS
from danvan.inbox.models import Contact, Conversation, Label, Message, Note
from danvan.kernel import geo
from danvan.web.api import RAW_FACTOR, DbId, Schema

# --- people -----------------------------------------------------------------------------------


class ContactOut(BaseModel):
    id: int
    display_name: str
    phone: str | None = Field(description="Only when the citizen shared it")
    commune_code: int | None
    is_follower: bool

    @classmethod
    def of(cls, contact: Contact) -> ContactOut:
        return cls(
            id=contact.id,
            display_name=contact.display_name,
            phone=contact.phone,
            commune_code=contact.commune_code,
            is_follower=contact.is_follower,
        )


class ContactDetail(ContactOut):
    channel: str
    address: str | None = Field(description="Only when the citizen shared it")
    commune_name: str | None
    commune_source: str | None = Field(description='"citizen" or "staff"')
    consent_at: datetime | None
    first_interaction_at: datetime
    last_interaction_at: datetime
    conversation_id: int | None
    erased: bool = Field(description="The citizen's data was erased on request")

    @classmethod
    def build(cls, contact: Contact, *, conversation_id: int | None, erased: bool) -> ContactDetail:
        return cls(
            **ContactOut.of(contact).model_dump(),
            channel=contact.channel,
            address=contact.address,
            commune_name=geo.commune_name(contact.commune_code) or None,
            commune_source=contact.commune_source,
            consent_at=contact.consent_at,
            first_interaction_at=contact.first_interaction_at,
            last_interaction_at=contact.last_interaction_at,
            conversation_id=conversation_id,
            erased=erased,
        )


# --- conversations ----------------------------------------------------------------------------


class LabelOut(BaseModel):
    id: int
    name: str
    color: str

    @classmethod
    def of(cls, label: Label) -> LabelOut:
        return cls(id=label.id, name=label.name, color=label.color)


class ConversationOut(BaseModel):
    id: int
    channel: str
    contact: ContactOut
    commune_code: int | None = Field(description="null: waiting in triage")
    commune_name: str | None
    last_message_at: datetime
    last_message_preview: str
    status: str = Field(description="open | closed")
    unread_count: int
    assignee: UserRef | None
    labels: list[LabelOut]
    created_at: datetime

    @classmethod
    def of(cls, conversation: Conversation) -> ConversationOut:
        return cls(
            id=conversation.id,
            channel=conversation.channel,
            contact=ContactOut.of(conversation.contact),
            commune_code=conversation.commune_code,
            commune_name=geo.commune_name(conversation.commune_code) or None,
            last_message_at=conversation.last_message_at,
            last_message_preview=conversation.last_message_preview,
            status=conversation.status,
            unread_count=conversation.unread_count,
            assignee=UserRef.of(conversation.assignee),
            labels=[LabelOut.of(label) for label in conversation.labels],
            created_at=conversation.created_at,
        )


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_before: datetime | None = Field(
        description="Pass as `before` for the next page; null on the last page"
    )
    next_before_id: int | None = Field(description="Pass as `before_id` with `before`")


class MessageOut(BaseModel):
    id: int
    direction: Literal["in", "out"]
    kind: str
    text: str
    attachments: list[dict[str, Any]]
    created_at: datetime
    source: str = Field(description="citizen | answer | staff | oa_inbox | system")
    author: UserRef | None = Field(description="The staff member who wrote an outbound message")
    delivery_status: str | None = Field(description="null for inbound messages")
    delivery_error: str | None
    sent_at: datetime | None
    delivered_at: datetime | None
    seen_at: datetime | None

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        return cls(
            id=message.id,
            direction="out" if message.direction == "out" else "in",
            kind=message.kind,
            text=message.text,
            attachments=message.attachments,
            created_at=message.created_at,
            source=message.source,
            author=UserRef.of(message.author),
            delivery_status=message.delivery_status,
            delivery_error=message.delivery_error,
            sent_at=message.sent_at,
            delivered_at=message.delivered_at,
            seen_at=message.seen_at,
        )


class NoteOut(BaseModel):
    id: int
    text: str
    author: UserRef | None
    created_at: datetime

    @classmethod
    def of(cls, note: Note) -> NoteOut:
        return cls(
            id=note.id, text=note.text, author=UserRef.of(note.author), created_at=note.created_at
        )


class ReplyIn(Schema):
    text: str = Field(
        max_length=MAX_REPLY_CHARS * RAW_FACTOR,
        description=f"The reply, at most {MAX_REPLY_CHARS} characters after NFC normalisation",
    )


class NoteIn(Schema):
    text: str = Field(max_length=MAX_NOTE_CHARS * RAW_FACTOR)


class AssignIn(Schema):
    assignee_id: DbId | None = Field(description="A staff member's id, or null to unassign")


class LabelsIn(Schema):
    label_ids: list[DbId] = Field(max_length=100, description="The full set; [] removes all")


class ConversationPatch(Schema):
    commune_code: DbId | None = Field(
        default=None, description="Move to this commune (admins may send null: back to triage)"
    )
    status: Literal["open", "closed"] | None = None


class LabelIn(Schema):
    name: str = Field(max_length=64 * RAW_FACTOR)
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")


# --- areas ----------------------------------------------------------------------------------


class CommuneOut(BaseModel):
    code: int
    name: str
    kind: str = Field(description="xã, phường or đặc khu")

    @classmethod
    def of(cls, commune: geo.Commune) -> CommuneOut:
        return cls(code=commune.code, name=commune.name, kind=commune.kind)


class ProvinceOut(BaseModel):
    code: int
    name: str
    communes: list[CommuneOut]
    match: CommuneOut | None = Field(
        default=None, description="With `q`: the one commune the text names, if any"
    )


class ProvinceSummary(BaseModel):
    code: int
    name: str
    commune_count: int


# --- personal data --------------------------------------------------------------------------


class Explained(BaseModel):
    what: str
    count: int
    explanation: dict[str, str] = Field(description="In Vietnamese (vi) and English (en)")


class ExportContact(BaseModel):
    id: int
    channel: str
    external_id: str
    app_user_id: str | None
    display_name: str
    phone: str | None
    address: str | None
    commune_code: int | None
    commune_name: str | None
    commune_source: str | None
    is_follower: bool
    consent_at: datetime | None
    first_interaction_at: datetime | None
    last_interaction_at: datetime | None
    created_at: datetime | None
    erased: bool


class ExportConversation(BaseModel):
    id: int
    commune_code: int | None
    commune_name: str | None
    status: str
    created_at: datetime | None


class ExportMessage(BaseModel):
    id: int
    direction: str
    kind: str
    text: str
    attachments: list[dict[str, Any]]
    source: str
    created_at: datetime | None
    delivery_status: str | None
    sent_at: datetime | None
    delivered_at: datetime | None
    seen_at: datetime | None


class ContactExport(BaseModel):
    """Everything danvan holds about one citizen (Decree 13/2023, the right to obtain it)."""

    format: str
    exported_at: datetime
    contact: ExportContact
    conversation: ExportConversation | None
    messages: list[ExportMessage]
    excluded: list[Explained] = Field(description="What is left out of the export, and why")
    also_held: list[Explained] = Field(description="Copies held elsewhere, counted")


class DeletionOut(BaseModel):
    contact_id: int
    messages_erased: int
    notes_erased: int
    events_deleted: int
    outbox_cancelled: int
    media_files: int = Field(description="Stored photo files removed once the erasure committed")
    kept: list[str] = Field(description="What is kept after the erasure, and why")
