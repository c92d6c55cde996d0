"""The staff pages of the inbox: the conversation list and a conversation.

Routes are thin: they parse the form or query, pick the transaction (`SessionDep`, committed before
the response is sent) and call the core. Every POST carries the session's CSRF token. Errors from
the core become HTML pages (see `web.pages.StaffRoute`) after the request's transaction has rolled
back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.inbox import conversations as inbox
from danvan.inbox.models import Conversation, Direction, Message
from danvan.kernel import areas, geo
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.web.deps import (
    SessionDep,
    SettingsDep,
)
from danvan.web.i18n import locale_of
from danvan.web.pages import (
    CHANNEL_KEYS,
    StaffActor,
    StaffRoute,
    fingerprint,
    optional_int,
    page,
    remember_session,
)
from danvan.web.templating import render

# Message kinds with a translated name ("[image]" previews are shown as "[Hình ảnh]").
KINDS = frozenset(
    {"text", "image", "file", "location", "sticker", "link", "audio", "video", "gif"}
    | {"business_card", "unsupported"}
)
INBOX_PAGE = 50
SIDEBAR_PAGE = 30
MESSAGES_SHOWN = 300
POLL_INBOX = "every 5s"
POLL_CONVERSATION = "every 3s"
INBOX_QUERY = "inbox_qs"  # the inbox filters last used, kept for the side list and "back"
INBOX_PARAMS = ("commune", "channel", "unread", "mine", "triage", "status", "label", "q")


router = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)


# --- Inbox ----------------------------------------------------------------------------------------


def _commune_choices(actor: Actor, province_code: int) -> list[geo.Commune]:
    """Admins pick among the province's communes; others among their own."""
    if actor.is_admin:
        return list(geo.province(province_code).communes)
    found = [geo.get_commune(code) for code in actor.user.commune_codes]
    return sorted((c for c in found if c is not None), key=lambda c: c.name)


def _parse_filters(
    actor: Actor, params: Mapping[str, str], *, limit: int
) -> tuple[inbox.ConversationFilter, dict[str, str]]:
    raw = {name: params.get(name, "")[:200] for name in INBOX_PARAMS}
    channel = raw["channel"] if raw["channel"] in inbox.CHANNELS else None
    status = raw["status"] if raw["status"] in ("open", "closed") else None
    before: datetime | None = None
    if params.get("before"):
        try:
            before = datetime.fromisoformat(params["before"])
        except ValueError:
            raise Invalid("Tham số phân trang không hợp lệ") from None
        if before.tzinfo is None:
            raise Invalid("Tham số phân trang không hợp lệ")
    filters = inbox.ConversationFilter(
        commune_code=optional_int(raw["commune"], "Xã/phường"),
        channel=channel,
        unread=raw["unread"] == "1",
        assigned_to_me=raw["mine"] == "1",
        triage=actor.is_admin and raw["triage"] == "1",
        status=status,
        label_id=optional_int(raw["label"], "Nhãn"),
        q=inbox.search_filter_q(raw["q"]),
        before=before,
        before_id=optional_int(params.get("before_id"), "Phân trang") if before else None,
        limit=limit,
        # The staff inbox puts what waits first; `before` (older links, bookmarks) keeps the
        # newest-first order it was made for.
        order="recent" if before else "priority",
        offset=min(optional_int(params.get("from"), "Phân trang") or 0, 100_000),
    )
    return filters, raw


def _inbox_query(raw: Mapping[str, str]) -> str:
    return urlencode({k: v for k, v in raw.items() if v})


def _list_fingerprint(
    rows: list[Conversation], locale: str, words: Mapping[int, tuple[str, datetime]]
) -> str:
    minute = utcnow().strftime("%Y%m%d%H%M")  # relative times ("3 phút trước") move on
    return fingerprint(
        [
            minute,
            locale,
            *(
                (
                    c.id,
                    c.last_message_at.isoformat(),
                    c.unread_count,
                    c.assignee_id,
                    c.status,
                    c.commune_code,
                    c.last_message_preview,
                    words.get(c.id, ("", None))[0],
                    c.awaiting_since.isoformat() if c.awaiting_since else "",
                    c.urgent_at is not None,
                    c.contact.display_name,
                    tuple(label.id for label in c.labels),
                )
                for c in rows
            ),
        ]
    )


def _inbox_list_context(
    request: Request,
    session: Session,
    actor: Actor,
    params: Mapping[str, str],
    *,
    limit: int,
    active_id: int | None = None,
) -> dict[str, Any]:
    filters, raw = _parse_filters(actor, params, limit=limit)
    rows = inbox.list_conversations(session, actor=actor, filters=filters)
    query = _inbox_query(raw)
    older = None
    if len(rows) >= limit and filters.order == "priority":
        older = "/inbox?" + urlencode(
            {**{k: v for k, v in raw.items() if v}, "from": str(filters.offset + len(rows))}
        )
    elif len(rows) >= limit:
        last = rows[-1]
        older = "/inbox?" + urlencode(
            {**{k: v for k, v in raw.items() if v}, "before": last.last_message_at.isoformat()}
            | {"before_id": str(last.id)}
        )
    words = inbox.citizen_last_words(session, [c.id for c in rows])
    paged = filters.before is not None or filters.offset > 0
    version = _list_fingerprint(rows, locale_of(request.session), words)
    poll_params = {**{k: v for k, v in raw.items() if v}, "v": version}
    if limit != INBOX_PAGE:
        poll_params["limit"] = str(limit)
    if active_id is not None:
        poll_params["active"] = str(active_id)
    return {
        "conversations": rows,
        "filters": raw,
        "query": query,
        "older": older,
        "paged": paged,
        # Only the first page refreshes itself; older pages stay put while read.
        "poll_url": None if paged else "/inbox/list?" + urlencode(poll_params),
        "words": words,
        "now": utcnow(),
        "poll_trigger": POLL_INBOX,
        "version": version,
        "active_id": active_id,
        "channel_keys": CHANNEL_KEYS,
        "kinds": KINDS,
    }


@router.get("/inbox")
def inbox_page(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    params = dict(request.query_params)
    context = _inbox_list_context(request, session, actor, params, limit=INBOX_PAGE)
    request.session[INBOX_QUERY] = context["query"]
    return page(
        request,
        session,
        actor,
        "staff/inbox.html",
        {
            **context,
            "lst": context,
            "nav": "inbox",
            "communes": _commune_choices(actor, settings.province),
            "labels": inbox.list_labels(session),
            "channels": inbox.CHANNELS,
        },
    )


@router.get("/inbox/list")
def inbox_list(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    """The list alone, for polling: 204 when nothing changed since version `v`."""
    params = dict(request.query_params)
    limit = SIDEBAR_PAGE if params.get("limit") == str(SIDEBAR_PAGE) else INBOX_PAGE
    active = optional_int(params.get("active"), "Hội thoại")
    context = _inbox_list_context(request, session, actor, params, limit=limit, active_id=active)
    if params.get("v") == context["version"]:
        return Response(status_code=204)
    return render(request, "partials/inbox_list.html", {"lst": context})


# --- A conversation -------------------------------------------------------------------------------


def _state_fingerprint(messages: Iterable[Message]) -> str:
    return fingerprint(
        (m.id, m.delivery_status, m.delivery_error)
        for m in messages
        if m.direction == Direction.OUT
    )


def _poll_url(conversation: Conversation, messages: list[Message], last_note_id: int) -> str:
    after = max((m.id for m in messages), default=0)
    return f"/conversations/{conversation.id}/updates?" + urlencode(
        {"after": after, "s": _state_fingerprint(messages), "n": last_note_id}
    )


def conversation_page_response(
    request: Request,
    session: Session,
    actor: Actor,
    settings: Any,
    conversation: Conversation,
    *,
    status_code: int = 200,
    error: str | None = None,
    error_field: str | None = None,
    draft: str = "",
) -> Response:
    """The conversation page (also redrawn with an `error` when an action is refused)."""
    messages = inbox.list_recent_messages(session, conversation=conversation, limit=MESSAGES_SHOWN)
    notes = inbox.list_notes(session, conversation=conversation)
    sidebar = _inbox_list_context(
        request,
        session,
        actor,
        _saved_inbox_params(request),
        limit=SIDEBAR_PAGE,
        active_id=conversation.id,
    )
    communes = _commune_choices(actor, settings.province)
    return page(
        request,
        session,
        actor,
        "staff/conversation.html",
        {
            "nav": "inbox",
            "panels": areas.panels(),
            "self_url": f"/conversations/{conversation.id}",
            "conversation": conversation,
            "contact": conversation.contact,
            "messages": messages,
            "truncated": len(messages) >= MESSAGES_SHOWN,
            "notes": notes,
            "labels": inbox.list_labels(session),
            "assignable": inbox.assignable_users(session, conversation=conversation)
            if actor.can_write
            else [],
            "communes": communes,
            "poll_url": _poll_url(conversation, messages, max((n.id for n in notes), default=0)),
            "poll_trigger": POLL_CONVERSATION,
            "sidebar": sidebar,
            "inbox_query": request.session.get(INBOX_QUERY, ""),
            "error": error,
            "error_field": error_field,
            "draft": draft,
            "can_write": actor.can_write,
            "asks_for_commune": inbox.ASKS_FOR_COMMUNE,
            "photo_channels": inbox.PHOTO_CHANNELS,
        },
        status_code=status_code,
    )


def _saved_inbox_params(request: Request) -> dict[str, str]:
    saved = request.session.get(INBOX_QUERY, "")
    if not isinstance(saved, str):
        return {}
    from urllib.parse import parse_qsl

    return {k: v for k, v in parse_qsl(saved) if k in INBOX_PARAMS}


@router.get("/conversations/{conversation_id}")
def conversation_page(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    settings: SettingsDep,
    conversation_id: int,
) -> Response:
    conversation = inbox.access_conversation(session, actor=actor, conversation_id=conversation_id)
    if actor.can_write and conversation.unread_count:
        # Viewers reading leave it unread: the officers who answer still need to see it.
        inbox.mark_read(session, conversation=conversation)
    return conversation_page_response(request, session, actor, settings, conversation)


@router.get("/conversations/{conversation_id}/updates")
def conversation_updates(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    conversation_id: int,
    after: int = 0,
    s: str = "",
    n: int = 0,
) -> Response:
    """What changed since the page was drawn: new messages, delivery states, new notes.

    Answers 204 when nothing did. Otherwise out-of-band fragments (htmx) append the new messages
    and notes and replace the delivery states; the reply box is never touched.
    """
    conversation = inbox.access_conversation(session, actor=actor, conversation_id=conversation_id)
    shown = [
        m
        for m in inbox.list_recent_messages(
            session, conversation=conversation, limit=MESSAGES_SHOWN
        )
        if m.id <= after
    ]
    new = inbox.list_messages(session, conversation=conversation, after_id=after, limit=100)
    states_changed = _state_fingerprint(shown) != s
    notes = [note for note in inbox.list_notes(session, conversation=conversation) if note.id > n]
    if not new and not states_changed and not notes:
        return Response(status_code=204)
    if (
        actor.can_write
        and conversation.unread_count
        and any(m.direction == Direction.IN for m in new)
    ):
        inbox.mark_read(session, conversation=conversation)
    last_note = max([n, *(note.id for note in notes)])
    return render(
        request,
        "partials/conversation_updates.html",
        {
            "conversation": conversation,
            "new_messages": new,
            "changed": [m for m in shown if m.direction == Direction.OUT] if states_changed else [],
            "new_notes": notes,
            "poll_url": _poll_url(conversation, shown + new, last_note),
            "poll_trigger": POLL_CONVERSATION,
            "can_write": actor.can_write,
        },
    )
