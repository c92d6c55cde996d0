"""The JSON API of notices: staff call tasks (the notices no channel could carry) and, for
admins, template messages (the OA's templates read from Zalo, each notice kind's template and
parameters, the quota). Thin routes over `danvan.inbox.calls` and `notice_templates`."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request, Response
from pydantic import BaseModel, Field

from danvan.inbox import calls, notice_templates
from danvan.inbox.models import CallTask
from danvan.inbox.notices import KINDS
from danvan.web.api import ERRORS, MAX_DB_INT, WRITE_ERRORS, ApiRoute, Schema, utc
from danvan.web.deps import ApiActor, SessionDep, SettingsDep, get_database_dep

router = APIRouter(prefix="/api/v1", tags=["api"], route_class=ApiRoute, responses=ERRORS)

Kind = Literal[
    "case_received",
    "case_answered",
    "case_needs_info",
    "case_updated",
    "consultation_result",
    "training_reminder",
]
assert set(Kind.__args__) == set(KINDS)  # type: ignore[attr-defined]


class CallTaskOut(BaseModel):
    id: int
    conversation_id: int
    kind: str | None
    ref: str | None = Field(description='What it is about, e.g. "case:TQ-2612-0001"')
    reason: str
    text: str = Field(description="The notice to tell the citizen")
    phone: str | None = Field(description="The phone the citizen shared, if any")
    status: Literal["open", "done"]
    created_at: datetime
    done_at: datetime | None
    outcome: str

    @classmethod
    def of(cls, task: CallTask) -> CallTaskOut:
        return cls(
            id=task.id,
            conversation_id=task.conversation_id,
            kind=task.kind,
            ref=task.ref,
            reason=task.reason,
            text=task.message.text,
            phone=task.conversation.contact.phone,
            status="done" if task.status == calls.DONE else "open",
            created_at=utc(task.created_at),
            done_at=utc(task.done_at) if task.done_at else None,
            outcome=task.outcome,
        )


class CallDoneIn(Schema):
    outcome: str = Field(default="", max_length=calls.MAX_OUTCOME)


class KindOut(BaseModel):
    kind: str
    template_id: str | None
    template_name: str
    params: dict[str, str] = Field(description="template parameter -> notice field")
    fields: list[str] = Field(description="The notice fields this kind offers")
    price_vnd: int | None
    ready: bool
    problems: list[str]


class KindIn(Schema):
    template_id: str = Field(min_length=1, max_length=32)
    params: dict[str, str] = Field(default_factory=dict, max_length=50)


class TemplateOut(BaseModel):
    template_id: str
    name: str
    status: str
    params: list[dict[str, Any]]
    price_vnd: int | None
    listed: bool


class ZnsOut(BaseModel):
    daily_quota: int | None
    remaining_quota: int | None
    hold_until: datetime | None
    hold_reason: str | None
    templates: list[TemplateOut]


@router.get("/call-tasks")
def list_call_tasks(
    actor: ApiActor,
    session: SessionDep,
    settings: SettingsDep,
    day: Annotated[
        date | None, Query(description="Local day created; none: every open task")
    ] = None,
) -> list[CallTaskOut]:
    """Calls to make ("Gọi điện cho người dân") in the caller's communes, oldest first."""
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo(settings.timezone)) if day else None
    tasks = calls.daily_list(
        session,
        actor=actor,
        day=start,
        timezone=settings.timezone,
        status=None if day else calls.OPEN,
    )
    return [CallTaskOut.of(t) for t in tasks]


@router.post("/call-tasks/{task_id}/done", responses=WRITE_ERRORS)
def complete_call_task(
    actor: ApiActor,
    session: SessionDep,
    body: CallDoneIn,
    task_id: Annotated[int, Path(ge=1, le=MAX_DB_INT)],
) -> CallTaskOut:
    """The citizen was called."""
    task = calls.access_task(session, actor=actor, task_id=task_id)
    return CallTaskOut.of(calls.do_complete(session, actor=actor, task=task, outcome=body.outcome))


def _kinds(session: Any) -> list[KindOut]:
    return [
        KindOut(
            kind=k.kind,
            template_id=k.template_id,
            template_name=k.template_name,
            params=k.params,
            fields=list(k.fields),
            price_vnd=k.price_vnd,
            ready=k.ready,
            problems=k.problems,
        )
        for k in notice_templates.report(session)
    ]


@router.get("/notice-templates", responses=WRITE_ERRORS)
def list_notice_templates(actor: ApiActor, session: SessionDep) -> list[KindOut]:
    """Each notice kind, its template and what keeps it from being used (admins)."""
    actor.require_admin()
    return _kinds(session)


@router.put("/notice-templates/{kind}", responses=WRITE_ERRORS)
def put_notice_template(actor: ApiActor, session: SessionDep, kind: Kind, body: KindIn) -> KindOut:
    """Map a notice kind to an approved template and its parameters to notice fields."""
    notice_templates.do_map_kind(
        session, actor=actor, kind=kind, template_id=body.template_id, params=body.params
    )
    return next(k for k in _kinds(session) if k.kind == kind)


@router.delete("/notice-templates/{kind}", status_code=204, responses=WRITE_ERRORS)
def delete_notice_template(actor: ApiActor, session: SessionDep, kind: Kind) -> Response:
    """No template for this kind any more (its notices past the window become calls)."""
    notice_templates.do_unmap_kind(session, actor=actor, kind=kind)
    return Response(status_code=204)


def _zns(session: Any) -> ZnsOut:
    account = notice_templates.account(session)
    return ZnsOut(
        daily_quota=account.daily_quota if account else None,
        remaining_quota=account.remaining_quota if account else None,
        hold_until=utc(account.hold_until) if account and account.hold_until else None,
        hold_reason=account.hold_reason if account else None,
        templates=[
            TemplateOut(
                template_id=t.template_id,
                name=t.name,
                status=t.status,
                params=list(t.params or []),
                price_vnd=t.price_vnd,
                listed=t.listed,
            )
            for t in notice_templates.templates(session)
        ],
    )


@router.get("/zns", responses=WRITE_ERRORS)
def get_zns(actor: ApiActor, session: SessionDep) -> ZnsOut:
    """The OA's template messages as last read from Zalo: templates, quota, hold (admins)."""
    actor.require_admin()
    return _zns(session)


@router.post("/zns/sync", status_code=202, responses=WRITE_ERRORS)
def sync_zns(
    request: Request, actor: ApiActor, settings: SettingsDep, background: BackgroundTasks
) -> dict[str, str]:
    """Read the OA's templates and quota from Zalo (admins); done after the answer, then
    `GET /api/v1/zns` shows them."""
    actor.require_admin()
    background.add_task(
        notice_templates.sync_in_background,
        get_database_dep(request),
        settings,
        user_id=actor.user.id,
        via="api",
    )
    return {"status": "started"}
