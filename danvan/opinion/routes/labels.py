"""Routes of the analysis area: the labels of a conversation's messages (a panel loaded by the
conversation page), staff corrections, the "help the model" queue, the weekly review sample
and the inbox's urgency badges. Thin over `danvan.opinion.labels`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from danvan.kernel.errors import Invalid
from danvan.kernel.taxonomy import KINDS, SENTIMENTS, topics
from danvan.opinion import labels as core
from danvan.opinion import review, urgency
from danvan.web.deps import CsrfDep, SessionDep, SettingsDep
from danvan.web.pages import StaffActor, StaffRoute, page, redirect, remember_session
from danvan.web.templating import render

router = APIRouter(
    route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(remember_session)]
)

MAX_IDS = 200
SHOWN_MESSAGES = 30


def _choices() -> dict[str, Any]:
    return {"topics": topics(), "sentiments": SENTIMENTS, "kinds": KINDS}


def _item(
    request: Request, analysis: Any, message: Any, *, can_write: bool, status_code: int = 200
) -> Response:
    return render(
        request,
        "analysis/item.html",
        {"a": analysis, "m": message, "can_write": can_write, **_choices()},
        status_code=status_code,
    )


@router.get("/conversations/{conversation_id}/analysis")
def conversation_analysis(
    request: Request, conversation_id: int, session: SessionDep, actor: StaffActor
) -> Response:
    """The labels of the conversation's citizen messages (the panel's content)."""
    conversation, rows = core.access_conversation_labels(
        session, actor=actor, conversation_id=conversation_id, limit=SHOWN_MESSAGES
    )
    return render(
        request,
        "analysis/panel.html",
        {
            "conversation": conversation,
            "rows": rows,
            "can_write": actor.can_write,
            **_choices(),
        },
    )


@router.post("/analysis/messages/{message_id}", dependencies=[CsrfDep])
def correct_labels(
    request: Request,
    message_id: int,
    session: SessionDep,
    actor: StaffActor,
    topic: Annotated[str, Form(max_length=40)],
    sentiment: Annotated[str, Form(max_length=10)],
    kind: Annotated[str, Form(max_length=20)],
    urgent: Annotated[str, Form(max_length=3)] = "",
    abusive: Annotated[str, Form(max_length=3)] = "",
    back: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Staff correct a message's labels; they become training data."""
    analysis, message = core.access_analysis(
        session, actor=actor, message_id=message_id, write=True
    )
    correction = core.check_correction(
        topic=topic,
        sentiment=sentiment,
        kind=kind,
        urgent=urgent == "yes",
        abusive=abusive == "yes",
    )
    core.do_correct(session, actor=actor, analysis=analysis, correction=correction)
    if request.headers.get("hx-request"):
        return _item(request, analysis, message, can_write=True)
    if back in ("queue", "review"):
        return redirect(f"/analysis/{back}")
    return redirect(f"/conversations/{message.conversation_id}")


@router.get("/analysis/queue")
def queue_page(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    """Help the model: messages in the user's communes it is least sure about."""
    rows = core.uncertain_queue(session, actor=actor)
    return page(
        request,
        session,
        actor,
        "analysis/queue.html",
        {"rows": rows, "can_write": actor.can_write, "nav": "analysis", **_choices()},
    )


@router.get("/analysis/review")
def review_page(
    request: Request, session: SessionDep, actor: StaffActor, settings: SettingsDep
) -> Response:
    """This week's review sample: a few recent messages to confirm or correct quickly."""
    sample = review.weekly_sample(session, actor=actor, tz_name=settings.timezone)
    return page(
        request,
        session,
        actor,
        "analysis/review.html",
        {"sample": sample, "can_write": actor.can_write, "nav": "review", **_choices()},
    )


@router.post("/analysis/review/{message_id}/confirm", dependencies=[CsrfDep])
def confirm_labels(
    request: Request, message_id: int, session: SessionDep, actor: StaffActor
) -> Response:
    """A person confirms the model's labels of a message of the sample."""
    analysis, _message = core.access_analysis(
        session, actor=actor, message_id=message_id, write=True
    )
    review.do_confirm(session, actor=actor, analysis=analysis)
    if request.headers.get("hx-request"):
        return render(request, "analysis/confirmed.html", {"a": analysis, **_choices()})
    return redirect("/analysis/review")


def _ids(raw: str) -> list[int]:
    values = [part for part in raw.split(",") if part.strip()][:MAX_IDS]
    try:
        return [int(part) for part in values]
    except ValueError:
        raise Invalid("Danh sách hội thoại không hợp lệ") from None


@router.get("/analysis/inbox-badges")
def inbox_badges(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    ids: Annotated[str, Query(max_length=4000)] = "",
) -> Response:
    """Urgency badges for the conversations of an inbox list, as out-of-band swaps."""
    wanted = _ids(ids)
    urgent = urgency.urgent_conversations(session, actor=actor, ids=wanted)
    return render(request, "analysis/badges.html", {"ids": wanted, "urgent": urgent})
