"""What staff do on a conversation (each a POST with the session's CSRF token): reply (with a
photo), assign, labels, notes, commune, ask the commune, status, resend. A refusal redraws the
conversation page with the reason (422); success redirects back to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from danvan.accounts.actors import Actor
from danvan.inbox import conversations as inbox
from danvan.inbox.models import Conversation
from danvan.inbox.routes.pages import conversation_page_response
from danvan.kernel.errors import Invalid
from danvan.web.deps import (
    CsrfDep,
    SessionDep,
    SettingsDep,
)
from danvan.web.i18n import locale_of, translate_error
from danvan.web.pages import (
    StaffActor,
    StaffRoute,
    flash,
    optional_int,
    redirect,
    remember_session,
)
from danvan.web.templating import render

router = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)


def _act(
    request: Request,
    session: Session,
    actor: Actor,
    settings: Any,
    conversation_id: int,
    action: Callable[[Conversation], object],
    *,
    done: str,
    field: str,
    draft: str = "",
) -> Response:
    """Run one write on a conversation; a refusal redraws the page with the reason (422)."""
    conversation = inbox.access_conversation(
        session, actor=actor, conversation_id=conversation_id, write=True
    )
    try:
        with session.begin_nested():
            action(conversation)
    except Invalid as exc:
        session.refresh(conversation)
        return conversation_page_response(
            request,
            session,
            actor,
            settings,
            conversation,
            status_code=422,
            error=translate_error(locale_of(request.session), exc),
            error_field=field,
            draft=draft,
        )
    flash(request, done)
    return redirect(f"/conversations/{conversation.id}")


# Room for the text next to the largest photo; bigger bodies are refused before they are read.
REPLY_BODY_LIMIT = inbox.MAX_REPLY_PHOTO_BYTES + 256 * 1024


def _bounded_reply(request: Request) -> None:
    """Runs before the CSRF check reads the form, so an oversized upload is never read."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > REPLY_BODY_LIMIT:
        raise HTTPException(status_code=413, detail="Ảnh quá lớn")


@router.post(
    "/conversations/{conversation_id}/reply",
    dependencies=[Depends(_bounded_reply), CsrfDep],
)
async def reply(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    conversation_id: int,
) -> Response:
    """A text reply, a photo, or both (multipart when a photo is attached)."""
    form = await request.form()  # already read (and bounded) by the CSRF check
    value = form.get("text")
    text = value[: inbox.MAX_REPLY_CHARS * 4] if isinstance(value, str) else ""
    photo: bytes | None = None
    upload = form.get("photo")
    # Browsers send an empty, nameless part when no file was chosen.
    if isinstance(upload, UploadFile) and (upload.filename or upload.size):
        photo = await upload.read(inbox.MAX_REPLY_PHOTO_BYTES + 1)
    return await run_in_threadpool(
        _act,
        request,
        session,
        actor,
        settings,
        conversation_id,
        lambda c: inbox.do_reply(
            session,
            actor=actor,
            conversation=c,
            text=text,
            photo=photo,
        ),
        done="flash.reply_queued",
        field="reply",
        draft=text[: inbox.MAX_REPLY_CHARS * 2],
    )


@router.post("/conversations/{conversation_id}/assign", dependencies=[CsrfDep])
def assign(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    conversation_id: int,
    assignee_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    assignee = optional_int(assignee_id, "Cán bộ")
    return _act(
        request,
        session,
        actor,
        settings,
        conversation_id,
        lambda c: inbox.do_assign(session, actor=actor, conversation=c, assignee_id=assignee),
        done="flash.assigned",
        field="assign",
    )


@router.post("/conversations/{conversation_id}/labels", dependencies=[CsrfDep])
def set_labels(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    conversation_id: int,
    label_ids: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
    new_label: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    def action(conversation: Conversation) -> None:
        ids = {i for i in (optional_int(v, "Nhãn") for v in label_ids[:100]) if i is not None}
        if new_label.strip():
            ids.add(inbox.get_or_create_label(session, actor=actor, name=new_label).id)
        inbox.do_set_labels(session, actor=actor, conversation=conversation, label_ids=sorted(ids))

    return _act(
        request,
        session,
        actor,
        settings,
        conversation_id,
        action,
        done="flash.labels_saved",
        field="labels",
    )


@router.post("/conversations/{conversation_id}/notes", dependencies=[CsrfDep])
def add_note(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    conversation_id: int,
    text: Annotated[str, Form(max_length=inbox.MAX_NOTE_CHARS * 4)] = "",
) -> Response:
    return _act(
        request,
        session,
        actor,
        settings,
        conversation_id,
        lambda c: inbox.do_add_note(session, actor=actor, conversation=c, text=text),
        done="flash.note_added",
        field="note",
    )


@router.post("/conversations/{conversation_id}/commune", dependencies=[CsrfDep])
def set_commune(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    conversation_id: int,
    commune_code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    code = optional_int(commune_code, "Xã/phường")
    return _act(
        request,
        session,
        actor,
        settings,
        conversation_id,
        lambda c: inbox.do_set_commune(session, actor=actor, conversation=c, commune_code=code),
        done="flash.commune_set",
        field="commune",
    )


@router.post("/conversations/{conversation_id}/ask-commune", dependencies=[CsrfDep])
def ask_commune(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    conversation_id: int,
) -> Response:
    return _act(
        request,
        session,
        actor,
        settings,
        conversation_id,
        lambda c: inbox.do_ask_commune(session, actor=actor, conversation=c),
        done="flash.commune_asked",
        field="commune",
    )


@router.post("/conversations/{conversation_id}/status", dependencies=[CsrfDep])
def set_status(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    conversation_id: int,
    status: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    return _act(
        request,
        session,
        actor,
        settings,
        conversation_id,
        lambda c: inbox.do_set_status(session, actor=actor, conversation=c, status=status),
        done="flash.closed" if status == "closed" else "flash.reopened",
        field="status",
    )


@router.post("/conversations/{conversation_id}/messages/{message_id}/retry", dependencies=[CsrfDep])
def retry_message(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    conversation_id: int,
    message_id: int,
) -> Response:
    """Send again a reply whose fate is unknown ("Không xác định"); staff decided it is safe."""
    from danvan.inbox.delivery import retry_uncertain

    conversation = inbox.access_conversation(
        session, actor=actor, conversation_id=conversation_id, write=True
    )
    message = inbox.access_message(
        session, actor=actor, conversation=conversation, message_id=message_id
    )
    try:
        with session.begin_nested():
            retry_uncertain(session, actor=actor, message=message)
    except Invalid as exc:
        session.refresh(conversation)
        return conversation_page_response(
            request,
            session,
            actor,
            settings,
            conversation,
            status_code=422,
            error=translate_error(locale_of(request.session), exc),
            error_field="retry",
        )
    if request.headers.get("hx-request"):
        session.flush()
        session.refresh(message)
        return render(
            request,
            "partials/delivery_state.html",
            {"m": message, "can_write": actor.can_write, "conversation": conversation},
        )
    flash(request, "flash.retry_queued")
    return redirect(f"/conversations/{conversation.id}")
