"""The JSON API under /api/v1: thin routes over the core, authenticated by personal tokens.

Every route takes `ApiActor` (a bearer token; 401 without one) and `SessionDep` (one transaction,
committed before the response is sent). Scope is the core's: out-of-scope objects are 404, and
read-only accounts get 403 on writes. Every error is `{"detail": ..., "code": ...}`: core errors
are mapped by the app; `ApiRoute` below maps request-validation errors and 401s the same way.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Path, Query, Response

from danvan.accounts import audit
from danvan.inbox import conversations as inbox
from danvan.inbox import privacy
from danvan.inbox.routes.schemas import (
    AssignIn,
    CommuneOut,
    ContactDetail,
    ContactExport,
    ConversationOut,
    ConversationPage,
    ConversationPatch,
    DeletionOut,
    LabelIn,
    LabelOut,
    LabelsIn,
    MessageOut,
    NoteIn,
    NoteOut,
    ProvinceOut,
    ProvinceSummary,
    ReplyIn,
)
from danvan.kernel import geo
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.text import clean, fold
from danvan.web.api import ERRORS, MAX_DB_INT, WRITE_ERRORS, ApiDateTime, ApiRoute, utc
from danvan.web.deps import ApiActor, SessionDep, SettingsDep

router = APIRouter(
    prefix="/api/v1",
    tags=["api"],
    route_class=ApiRoute,
    responses=ERRORS,
)

ConversationId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
ContactId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
OptionalDbInt = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]


# --- conversations ------------------------------------------------------------------------------


@router.get("/conversations")
def list_conversations(
    actor: ApiActor,
    session: SessionDep,
    commune_code: OptionalDbInt = None,
    channel: Annotated[Literal["zalo_oa", "zalo_bot", "web"] | None, Query()] = None,
    unread: bool = False,
    assigned_to_me: bool = False,
    triage: Annotated[bool, Query(description="Only conversations with no commune yet")] = False,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
    label: Annotated[str | None, Query(max_length=200, description="Label id or name")] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Name, phone or last message; diacritics optional"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[
        ApiDateTime | None,
        Query(description="Cursor: the `next_before` of the previous page (ISO datetime)"),
    ] = None,
    before_id: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_DB_INT,
            description="With `before`: the `next_before_id` of the previous page, so that "
            "conversations sharing that instant are not skipped",
        ),
    ] = None,
) -> ConversationPage:
    """The conversations you may see, newest activity first, one page at a time.

    Follow `next_before` (and `next_before_id`) for the next page; null on the last one."""
    label_id: int | None = None
    if label is not None:
        found = _label_id(session, label)
        if found is None:
            return ConversationPage(items=[], next_before=None, next_before_id=None)
        label_id = found
    cursor = utc(before)
    filters = inbox.ConversationFilter(
        commune_code=commune_code,
        channel=channel,
        unread=unread,
        assigned_to_me=assigned_to_me,
        triage=triage,
        status=status,
        label_id=label_id,
        q=inbox.search_filter_q(q),
        before=cursor,
        before_id=before_id if cursor is not None else None,
        limit=limit,
    )
    items = inbox.list_conversations(session, actor=actor, filters=filters)
    last = items[-1] if len(items) == limit else None
    return ConversationPage(
        items=[ConversationOut.of(c) for c in items],
        next_before=last.last_message_at if last else None,
        next_before_id=last.id if last else None,
    )


def _label_id(session: SessionDep, label: str) -> int | None:
    label = clean(label)
    if label.isdigit():
        return int(label) if int(label) <= MAX_DB_INT else None
    for row in inbox.list_labels(session):
        if fold(row.name) == fold(label):
            return row.id
    return None


@router.get("/conversations/{conversation_id}")
def get_conversation(
    actor: ApiActor, session: SessionDep, conversation_id: ConversationId
) -> ConversationOut:
    """One conversation."""
    conversation = inbox.access_conversation(session, actor=actor, conversation_id=conversation_id)
    return ConversationOut.of(conversation)


@router.patch("/conversations/{conversation_id}", responses=WRITE_ERRORS)
def patch_conversation(
    actor: ApiActor, session: SessionDep, conversation_id: ConversationId, body: ConversationPatch
) -> ConversationOut:
    """Move the conversation to a commune (it leaves triage) and/or open or close it.

    You can only move it to a commune you serve (admins: anywhere, or null for triage)."""
    conversation = inbox.access_conversation(
        session, actor=actor, conversation_id=conversation_id, write=True
    )
    if not body.model_fields_set:
        raise Invalid("Không có gì để thay đổi (commune_code, status)", code="empty")
    if "commune_code" in body.model_fields_set:
        inbox.do_set_commune(
            session, actor=actor, conversation=conversation, commune_code=body.commune_code
        )
    if body.status is not None:
        inbox.do_set_status(session, actor=actor, conversation=conversation, status=body.status)
    session.flush()
    return ConversationOut.of(conversation)


@router.get("/conversations/{conversation_id}/messages")
def list_messages(
    actor: ApiActor,
    session: SessionDep,
    conversation_id: ConversationId,
    after_id: Annotated[
        int | None, Query(ge=0, le=MAX_DB_INT, description="Only messages after this id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> list[MessageOut]:
    """The conversation's messages, oldest first. Poll with `after_id` for new ones."""
    conversation = inbox.access_conversation(session, actor=actor, conversation_id=conversation_id)
    messages = inbox.list_messages(
        session, conversation=conversation, after_id=after_id, limit=limit
    )
    return [MessageOut.of(m) for m in messages]


@router.post("/conversations/{conversation_id}/replies", status_code=201, responses=WRITE_ERRORS)
def reply(
    actor: ApiActor, session: SessionDep, conversation_id: ConversationId, body: ReplyIn
) -> MessageOut:
    """Answer the citizen. The reply is queued (`delivery_status` "queued") and sent by the
    worker; poll the messages to follow its delivery."""
    conversation = inbox.access_conversation(
        session, actor=actor, conversation_id=conversation_id, write=True
    )
    message = inbox.do_reply(session, actor=actor, conversation=conversation, text=body.text)
    return MessageOut.of(message)


@router.post(
    "/conversations/{conversation_id}/ask-commune", status_code=201, responses=WRITE_ERRORS
)
def ask_commune(
    actor: ApiActor, session: SessionDep, conversation_id: ConversationId
) -> MessageOut:
    """Ask a citizen in triage which commune they live in (once per citizen; Zalo channels).
    Their answer is matched to a commune when it arrives. 422 if it has a commune or was asked."""
    conversation = inbox.access_conversation(
        session, actor=actor, conversation_id=conversation_id, write=True
    )
    return MessageOut.of(inbox.do_ask_commune(session, actor=actor, conversation=conversation))


@router.post("/conversations/{conversation_id}/assign", responses=WRITE_ERRORS)
def assign(
    actor: ApiActor, session: SessionDep, conversation_id: ConversationId, body: AssignIn
) -> ConversationOut:
    """Give the conversation to a staff member of its commune, or `null` to unassign."""
    conversation = inbox.access_conversation(
        session, actor=actor, conversation_id=conversation_id, write=True
    )
    inbox.do_assign(session, actor=actor, conversation=conversation, assignee_id=body.assignee_id)
    session.flush()
    session.refresh(conversation, ["assignee"])
    return ConversationOut.of(conversation)


@router.post("/conversations/{conversation_id}/read", responses=WRITE_ERRORS)
def mark_read(
    actor: ApiActor, session: SessionDep, conversation_id: ConversationId
) -> ConversationOut:
    """Mark the conversation read (its unread count goes to 0). Officers and admins only: the
    count is shared by everyone who answers the commune."""
    conversation = inbox.access_conversation(
        session, actor=actor, conversation_id=conversation_id, write=True
    )
    inbox.mark_read(session, conversation=conversation)
    audit.record(
        session, actor=actor, action="read", object_type="conversation", object_id=conversation.id
    )
    return ConversationOut.of(conversation)


@router.get("/conversations/{conversation_id}/notes")
def list_notes(
    actor: ApiActor, session: SessionDep, conversation_id: ConversationId
) -> list[NoteOut]:
    """Staff-internal notes on the conversation, oldest first (never sent to the citizen)."""
    conversation = inbox.access_conversation(session, actor=actor, conversation_id=conversation_id)
    return [NoteOut.of(n) for n in inbox.list_notes(session, conversation=conversation)]


@router.post("/conversations/{conversation_id}/notes", status_code=201, responses=WRITE_ERRORS)
def add_note(
    actor: ApiActor, session: SessionDep, conversation_id: ConversationId, body: NoteIn
) -> NoteOut:
    """Add an internal note (never sent to the citizen)."""
    conversation = inbox.access_conversation(
        session, actor=actor, conversation_id=conversation_id, write=True
    )
    note = inbox.do_add_note(session, actor=actor, conversation=conversation, text=body.text)
    return NoteOut.of(note)


@router.put("/conversations/{conversation_id}/labels", responses=WRITE_ERRORS)
def set_labels(
    actor: ApiActor, session: SessionDep, conversation_id: ConversationId, body: LabelsIn
) -> ConversationOut:
    """Replace the conversation's labels with `label_ids` ([] removes them all)."""
    conversation = inbox.access_conversation(
        session, actor=actor, conversation_id=conversation_id, write=True
    )
    inbox.do_set_labels(session, actor=actor, conversation=conversation, label_ids=body.label_ids)
    return ConversationOut.of(conversation)


# --- labels -------------------------------------------------------------------------------------


@router.get("/labels")
def list_labels(_actor: ApiActor, session: SessionDep) -> list[LabelOut]:
    """Every label, by name."""
    return [LabelOut.of(label) for label in inbox.list_labels(session)]


@router.post(
    "/labels",
    status_code=201,
    responses={
        **WRITE_ERRORS,
        200: {"model": LabelOut, "description": "A label of that name existed: it is returned"},
    },
)
def create_label(
    actor: ApiActor, session: SessionDep, body: LabelIn, response: Response
) -> LabelOut:
    """Create a label (201), or return the existing one of that name (200): names match
    with or without diacritics."""
    actor.require_write()
    before = {label.id for label in inbox.list_labels(session)}
    label = inbox.get_or_create_label(session, actor=actor, name=body.name)
    if label.id in before:
        response.status_code = 200
        return LabelOut.of(label)
    if body.color:
        label.color = body.color.lower()
    audit.record(
        session,
        actor=actor,
        action="label_create",
        object_type="label",
        object_id=label.id,
        detail={"name": label.name},
    )
    return LabelOut.of(label)


# --- areas --------------------------------------------------------------------------------------


@router.get("/areas")
def get_areas(
    _actor: ApiActor,
    settings: SettingsDep,
    province: Annotated[
        int | None, Query(ge=1, le=MAX_DB_INT, description="Default: this deployment's")
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description='Free text naming a commune: "xa minh quang"'),
    ] = None,
) -> ProvinceOut:
    """A province and its communes (the deployment's by default).

    With `q`, `match` is the one commune the text names (with or without diacritics or the
    xã/phường prefix), and `communes` holds it alone, or else the communes whose name contains
    the text."""
    code = province if province is not None else settings.province
    try:
        found = geo.province(code)
    except ValueError:
        raise NotFound("Không tìm thấy tỉnh/thành phố") from None
    communes = found.communes
    match = None
    text = clean(q or "")
    if text:
        match = geo.match_commune(text, code) or geo.find_commune_in_text(text, code)
        if match is not None:
            communes = (match,)
        else:
            needle = fold(text)
            communes = tuple(c for c in communes if needle in fold(c.name))
    return ProvinceOut(
        code=found.code,
        name=found.name,
        communes=[CommuneOut.of(c) for c in communes],
        match=CommuneOut.of(match) if match is not None else None,
    )


@router.get("/areas/provinces")
def list_provinces(_actor: ApiActor) -> list[ProvinceSummary]:
    """The 34 provinces and centrally-run cities, with their commune counts."""
    return [
        ProvinceSummary(code=p.code, name=p.name, commune_count=len(p.communes))
        for p in geo.provinces().values()
    ]


# --- personal data (Decree 13/2023) ---------------------------------------------------------------


@router.get("/contacts/{contact_id}")
def get_contact(actor: ApiActor, session: SessionDep, contact_id: ContactId) -> ContactDetail:
    """A citizen's contact record."""
    contact = privacy.access_contact(session, actor=actor, contact_id=contact_id)
    conversation = privacy.conversation_of(session, contact)
    return ContactDetail.build(
        contact,
        conversation_id=conversation.id if conversation is not None else None,
        erased=privacy.is_erased(contact),
    )


@router.get("/contacts/{contact_id}/export", responses=WRITE_ERRORS)
def export_contact(actor: ApiActor, session: SessionDep, contact_id: ContactId) -> ContactExport:
    """Everything held about the citizen (contact data, messages both ways), for a request
    under Decree 13/2023. Staff-internal notes are left out, and the export says so.
    Officers and admins only; the export is recorded in the audit log."""
    contact = privacy.access_contact(session, actor=actor, contact_id=contact_id)
    return ContactExport.model_validate(
        privacy.export_contact(session, actor=actor, contact=contact)
    )


@router.delete("/contacts/{contact_id}", responses=WRITE_ERRORS)
def delete_contact(
    actor: ApiActor,
    session: SessionDep,
    settings: SettingsDep,
    tasks: BackgroundTasks,
    contact_id: ContactId,
    reason: Annotated[str, Query(max_length=2000, description="Why (kept in the audit log)")],
) -> DeletionOut:
    """Erase the citizen's personal data (admins only; `reason` required).

    Kept: anonymised counts, the conversation's status/labels/assignee and the audit log;
    erased: name, phone, address, platform ids, message text and attachments (photo files
    too), note text, the raw events; pending replies are cancelled. 409 when already erased."""
    contact = privacy.access_contact(session, actor=actor, contact_id=contact_id)
    deletion = privacy.do_delete_contact(session, actor=actor, contact=contact, reason=reason)
    # Background tasks run after the response, hence after the commit: a rolled-back erasure
    # never loses a file.
    tasks.add_task(privacy.remove_media, settings.media_dir, deletion.media_files)
    return DeletionOut(
        contact_id=deletion.contact_id,
        messages_erased=deletion.messages_erased,
        notes_erased=deletion.notes_erased,
        events_deleted=deletion.events_deleted,
        outbox_cancelled=deletion.outbox_cancelled,
        media_files=len(deletion.media_files),
        kept=list(deletion.kept),
    )
