"""The cases API under /api/v1: cases, their timeline, units, routing rules, canned replies,
Open311 keys and the figures. Same tokens, scoping and error shape as the inbox API."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from danvan.cases import access, intake, lifecycle, reports, routing, similarity, units
from danvan.cases import open311 as case_open311
from danvan.cases import rules as rules
from danvan.cases import xlsx as case_report
from danvan.cases.models import Case, CaseEvent, RoutingRule, Unit
from danvan.kernel import geo, taxonomy
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.web.api import ERRORS, MAX_DB_INT, WRITE_ERRORS, ApiRoute, CleanStr, DbId, Schema
from danvan.web.deps import ApiActor, SessionDep, SettingsDep

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

router = APIRouter(prefix="/api/v1", tags=["cases"], route_class=ApiRoute, responses=ERRORS)

CaseId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
_RAW = 4  # NFD text takes up to 3 code points a letter: the core checks the real limit


class CaseIn(Schema):
    conversation_id: DbId | None = Field(
        default=None, description="The citizen's conversation (its unlinked messages are taken)"
    )
    message_ids: list[DbId] = Field(default_factory=list, max_length=100)
    category: str | None = Field(
        default=None,
        max_length=40,
        description="A topic code (GET /api/v1/case-categories); omitted: the classifier's "
        "topic of the citizen's messages, else `other`",
    )
    commune_code: DbId | None = None
    title: CleanStr = Field(max_length=intake.MAX_TITLE * _RAW)
    description: CleanStr = Field(default="", max_length=intake.MAX_DESCRIPTION * _RAW)
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    location: CleanStr = Field(default="", max_length=intake.MAX_LOCATION * _RAW)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class CasePatch(Schema):
    status: str | None = Field(default=None, max_length=32)
    public_answer: CleanStr = Field(default="", max_length=lifecycle.MAX_ANSWER * _RAW)
    reason: CleanStr = Field(default="", max_length=lifecycle.MAX_REASON * _RAW)
    assignee_id: DbId | None = None
    unit_id: DbId | None = Field(default=None, description="Transfer to this unit (reason needed)")


class ReasonIn(Schema):
    reason: CleanStr = Field(max_length=lifecycle.MAX_REASON * _RAW)


class MergeIn(Schema):
    into_id: DbId


class TextIn(Schema):
    text: CleanStr = Field(max_length=lifecycle.MAX_NOTE * _RAW)


class CaseOut(BaseModel):
    id: int
    code: str
    title: str
    description: str
    category: str
    commune_code: int | None
    commune_name: str
    status: str
    status_name: str
    status_kind: str
    priority: str
    unit_id: int | None
    assignee_id: int | None
    conversation_id: int | None
    merged_into_id: int | None
    source: str
    public_answer: str
    public_reason: str
    received_at: datetime
    ack_due_at: datetime
    due_at: datetime
    overdue: bool
    first_response_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    rating: int | None
    location: str
    latitude: float | None
    longitude: float | None

    @classmethod
    def of(cls, case: Case, settings: Settings) -> CaseOut:
        return cls(
            id=case.id,
            code=case.code,
            title=case.title,
            description=case.description,
            category=case.category,
            commune_code=case.commune_code,
            commune_name=geo.commune_name(case.commune_code),
            status=case.status,
            status_name=rules.status_name(settings, case.status),
            status_kind=case.status_kind,
            priority=case.priority,
            unit_id=case.unit_id,
            assignee_id=case.assignee_id,
            conversation_id=case.conversation_id,
            merged_into_id=case.merged_into_id,
            source=case.source,
            public_answer=case.public_answer,
            public_reason=case.public_reason,
            received_at=case.received_at,
            ack_due_at=case.ack_due_at,
            due_at=case.due_at,
            overdue=access.is_overdue(case),
            first_response_at=case.first_response_at,
            answered_at=case.answered_at,
            closed_at=case.closed_at,
            reopen_count=case.reopen_count,
            rating=case.rating,
            location=case.location,
            latitude=case.latitude,
            longitude=case.longitude,
        )


class CasePage(BaseModel):
    items: list[CaseOut]
    total: int


class EventOut(BaseModel):
    id: int
    at: datetime
    kind: str
    actor_id: int | None
    actor_name: str | None
    from_status: str | None
    to_status: str | None
    public: bool
    text: str
    detail: dict[str, Any]

    @classmethod
    def of(cls, event: CaseEvent) -> EventOut:
        return cls(
            id=event.id,
            at=event.at,
            kind=event.kind,
            actor_id=event.actor_id,
            actor_name=(event.actor.full_name or event.actor.email) if event.actor else None,
            from_status=event.from_status,
            to_status=event.to_status,
            public=event.public,
            text=event.text,
            detail=event.detail,
        )


class StatusOut(BaseModel):
    code: str
    vi: str
    en: str
    kind: str
    public: bool
    needs_reason: bool


class CategoryOut(BaseModel):
    code: str
    vi: str
    en: str
    acknowledge_days: int
    answer_days: int


class UnitIn(Schema):
    name: CleanStr = Field(max_length=200 * _RAW)
    commune_code: DbId | None = None
    head_id: DbId | None = None


class UnitOut(BaseModel):
    id: int
    name: str
    commune_code: int | None
    head_id: int | None
    member_ids: list[int]


class MemberIn(Schema):
    user_id: DbId


class RuleIn(Schema):
    category: str | None = Field(default=None, max_length=40)
    commune_code: DbId | None = None
    unit_id: DbId | None = None
    assignee_id: DbId | None = None


class RuleOut(BaseModel):
    id: int
    category: str | None
    commune_code: int | None
    unit_id: int | None
    assignee_id: int | None

    @classmethod
    def of(cls, rule: RoutingRule) -> RuleOut:
        return cls(
            id=rule.id,
            category=rule.category,
            commune_code=rule.commune_code,
            unit_id=rule.unit_id,
            assignee_id=rule.assignee_id,
        )


class CannedIn(Schema):
    title: CleanStr = Field(max_length=200 * _RAW)
    text: CleanStr = Field(max_length=lifecycle.MAX_ANSWER * _RAW)


class CannedOut(BaseModel):
    id: int
    title: str
    text: str


class KeyIn(Schema):
    name: CleanStr = Field(max_length=100 * _RAW)


class KeyOut(BaseModel):
    id: int
    name: str
    key: str = Field(description="Shown once; only its hash is kept")


def _unit_out(session: SessionDep, unit: Unit) -> UnitOut:
    return UnitOut(
        id=unit.id,
        name=unit.name,
        commune_code=unit.commune_code,
        head_id=unit.head_id,
        member_ids=units.unit_members(session, unit_id=unit.id),
    )


# --- cases --------------------------------------------------------------------------------------


@router.post("/cases", status_code=201, responses=WRITE_ERRORS)
def create_case(
    actor: ApiActor, session: SessionDep, settings: SettingsDep, body: CaseIn
) -> CaseOut:
    """Open a case: from a conversation (its messages not yet in a case), or on behalf of a
    citizen met in person (no conversation). Returns its code and deadlines (working days)."""
    case = intake.do_create_case(
        session,
        actor=actor,
        settings=settings,
        title=body.title,
        category=body.category,
        commune_code=body.commune_code,
        description=body.description,
        conversation_id=body.conversation_id,
        message_ids=body.message_ids,
        priority=body.priority,
        location=body.location,
        latitude=body.latitude,
        longitude=body.longitude,
    )
    return CaseOut.of(case, settings)


@router.get("/cases")
def list_cases(
    actor: ApiActor,
    session: SessionDep,
    settings: SettingsDep,
    status: Annotated[str | None, Query(max_length=32)] = None,
    commune_code: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    unit_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    overdue: bool = False,
    open_only: Annotated[bool, Query(alias="open")] = False,
    q: Annotated[str | None, Query(max_length=200, description="Code or words")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CasePage:
    """The cases you may see, newest first (filters: status, commune, unit, overdue…)."""
    filters = access.CaseFilter(
        status=status,
        commune_code=commune_code,
        unit_id=unit_id,
        category=category,
        overdue=overdue,
        open_only=open_only,
        q=q,
        limit=limit,
        offset=offset,
    )
    items = access.list_cases(session, actor=actor, filters=filters)
    return CasePage(
        items=[CaseOut.of(c, settings) for c in items],
        total=access.count_cases(session, actor=actor, filters=filters),
    )


@router.get("/cases/{case_id}")
def get_case(
    actor: ApiActor, session: SessionDep, settings: SettingsDep, case_id: CaseId
) -> CaseOut:
    """One case."""
    return CaseOut.of(access.access_case(session, actor=actor, case_id=case_id), settings)


@router.patch("/cases/{case_id}", responses=WRITE_ERRORS)
def patch_case(
    actor: ApiActor, session: SessionDep, settings: SettingsDep, case_id: CaseId, body: CasePatch
) -> CaseOut:
    """Transfer (unit_id + reason), assign (assignee_id, null to unassign) and/or change the
    status (with `public_answer` for an answer, `reason` where the status needs one). A public
    status sends the citizen a notice with the case code on their channel."""
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    fields = body.model_fields_set
    if not fields & {"status", "assignee_id", "unit_id"}:
        raise Invalid("Không có gì để thay đổi (status, assignee_id, unit_id)", code="empty")
    if body.unit_id is not None:
        routing.do_transfer(
            session,
            actor=actor,
            settings=settings,
            case=case,
            unit_id=body.unit_id,
            reason=body.reason,
        )
    if "assignee_id" in fields:
        routing.do_assign(
            session, actor=actor, settings=settings, case=case, assignee_id=body.assignee_id
        )
    if body.status is not None:
        lifecycle.do_change_status(
            session,
            actor=actor,
            settings=settings,
            case=case,
            status=body.status,
            answer=body.public_answer,
            reason=body.reason if body.unit_id is None else "",
        )
    return CaseOut.of(case, settings)


@router.get("/cases/{case_id}/timeline")
def case_timeline(actor: ApiActor, session: SessionDep, case_id: CaseId) -> list[EventOut]:
    """Every event of the case, oldest first (internal notes included: staff only)."""
    case = access.access_case(session, actor=actor, case_id=case_id)
    return [EventOut.of(e) for e in access.timeline(session, case=case)]


@router.post("/cases/{case_id}/reopen", responses=WRITE_ERRORS)
def reopen_case(
    actor: ApiActor, session: SessionDep, settings: SettingsDep, case_id: CaseId, body: ReasonIn
) -> CaseOut:
    """Reopen an answered or ended case (a new answer deadline is counted from now)."""
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    lifecycle.do_reopen(session, actor=actor, settings=settings, case=case, reason=body.reason)
    return CaseOut.of(case, settings)


@router.post("/cases/{case_id}/merge", responses=WRITE_ERRORS)
def merge_case(
    actor: ApiActor, session: SessionDep, settings: SettingsDep, case_id: CaseId, body: MergeIn
) -> CaseOut:
    """Mark this case a duplicate of `into_id`: its messages and citizens join that case."""
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    into = access.access_case(session, actor=actor, case_id=body.into_id, write=True)
    routing.do_merge(session, actor=actor, settings=settings, case=case, into=into)
    return CaseOut.of(into, settings)


@router.post("/cases/{case_id}/notes", status_code=201, responses=WRITE_ERRORS)
def add_note(actor: ApiActor, session: SessionDep, case_id: CaseId, body: TextIn) -> EventOut:
    """An internal note (never shown to the citizen)."""
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    return EventOut.of(lifecycle.do_add_note(session, actor=actor, case=case, text=body.text))


@router.post("/cases/{case_id}/replies", status_code=201, responses=WRITE_ERRORS)
def reply(
    actor: ApiActor, session: SessionDep, settings: SettingsDep, case_id: CaseId, body: TextIn
) -> dict[str, list[int]]:
    """A message to the case's citizens (prefixed with the code); the status is unchanged."""
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    ids = lifecycle.do_reply(session, actor=actor, settings=settings, case=case, text=body.text)
    return {"message_ids": ids}


@router.get("/cases/{case_id}/similar")
def similar(
    actor: ApiActor, session: SessionDep, settings: SettingsDep, case_id: CaseId
) -> dict[str, list[CaseOut]]:
    """Open look-alike cases of the same commune (merge candidates) and answered look-alikes
    (their answers are a starting point)."""
    case = access.access_case(session, actor=actor, case_id=case_id)
    return {
        "open": [
            CaseOut.of(c, settings)
            for c in similarity.similar_open_cases(session, actor=actor, case=case)
        ],
        "answered": [
            CaseOut.of(c, settings)
            for c in similarity.similar_answers(session, actor=actor, case=case)
        ],
    }


# --- reference data -----------------------------------------------------------------------------


@router.get("/case-statuses")
def list_statuses(_actor: ApiActor, settings: SettingsDep) -> list[StatusOut]:
    """The deployment's status lifecycle (the first is a new case's)."""
    return [StatusOut(**s.__dict__) for s in rules.statuses(settings)]


@router.get("/case-categories")
def list_categories(_actor: ApiActor, settings: SettingsDep) -> list[CategoryOut]:
    """Categories (the topic taxonomy) with their SLA in working days."""
    out = []
    for topic in taxonomy.topics():
        ack, answer = rules.sla(settings, topic.code)
        out.append(
            CategoryOut(
                code=topic.code, vi=topic.vi, en=topic.en, acknowledge_days=ack, answer_days=answer
            )
        )
    return out


@router.get("/case-units")
def list_units(_actor: ApiActor, session: SessionDep) -> list[UnitOut]:
    """Responsible units (commune offices and provincial departments)."""
    return [_unit_out(session, u) for u in units.list_units(session)]


@router.post("/case-units", status_code=201, responses=WRITE_ERRORS)
def create_unit(actor: ApiActor, session: SessionDep, body: UnitIn) -> UnitOut:
    """Create a unit (admins)."""
    unit = units.do_create_unit(
        session, actor=actor, name=body.name, commune_code=body.commune_code, head_id=body.head_id
    )
    return _unit_out(session, unit)


@router.post("/case-units/{unit_id}/members", status_code=201, responses=WRITE_ERRORS)
def add_member(
    actor: ApiActor,
    session: SessionDep,
    unit_id: Annotated[int, Path(ge=1, le=MAX_DB_INT)],
    body: MemberIn,
) -> UnitOut:
    """Add a staff member to a unit (admins): they see the cases that pass through it."""
    units.do_add_member(session, actor=actor, unit_id=unit_id, user_id=body.user_id)
    unit = session.get(Unit, unit_id)
    assert unit is not None
    return _unit_out(session, unit)


@router.get("/case-routing-rules")
def list_rules(_actor: ApiActor, session: SessionDep) -> list[RuleOut]:
    """Routing rules: (category, commune) → unit and assignee; null matches any."""
    return [RuleOut.of(r) for r in units.list_rules(session)]


@router.put("/case-routing-rules", responses=WRITE_ERRORS)
def set_rule(actor: ApiActor, session: SessionDep, body: RuleIn) -> RuleOut:
    """Create or replace the rule of (category, commune) (admins)."""
    rule = units.do_set_rule(
        session,
        actor=actor,
        category=body.category,
        commune_code=body.commune_code,
        unit_id=body.unit_id,
        assignee_id=body.assignee_id,
    )
    return RuleOut.of(rule)


@router.get("/case-canned-replies")
def list_canned(_actor: ApiActor, session: SessionDep) -> list[CannedOut]:
    """Canned replies; variables {ten} {ma} {xa} {han} are filled per case."""
    return [CannedOut(id=c.id, title=c.title, text=c.text) for c in units.list_canned(session)]


@router.post("/case-canned-replies", status_code=201, responses=WRITE_ERRORS)
def create_canned(actor: ApiActor, session: SessionDep, body: CannedIn) -> CannedOut:
    """Add a canned reply (officers and admins)."""
    reply_ = units.do_create_canned(session, actor=actor, title=body.title, text=body.text)
    return CannedOut(id=reply_.id, title=reply_.title, text=reply_.text)


@router.post("/open311-keys", status_code=201, responses=WRITE_ERRORS)
def create_key(actor: ApiActor, session: SessionDep, body: KeyIn) -> KeyOut:
    """An Open311 API key for a partner system (admins). The key is shown only here."""
    key, raw = case_open311.do_create_key(session, actor=actor, name=body.name)
    return KeyOut(id=key.id, name=key.name, key=raw)


@router.delete("/open311-keys/{key_id}", status_code=204, responses=WRITE_ERRORS)
def revoke_key(
    actor: ApiActor, session: SessionDep, key_id: Annotated[int, Path(ge=1, le=MAX_DB_INT)]
) -> None:
    """Revoke an Open311 key (admins)."""
    case_open311.do_revoke_key(session, actor=actor, key_id=key_id)


# --- figures ------------------------------------------------------------------------------------


def _period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    end = (
        (end or utcnow()).astimezone(UTC)
        if (end is None or end.tzinfo)
        else end.replace(tzinfo=UTC)
    )
    if start is None:
        start = end - timedelta(days=30)
    elif start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if start >= end:
        raise Invalid("`start` phải trước `end`", code="period")
    return start, end


@router.get("/case-figures")
def figures(
    actor: ApiActor,
    session: SessionDep,
    start: datetime | None = None,
    end: datetime | None = None,
    by: Literal["commune", "unit", "category"] | None = None,
    commune_code: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    unit_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    """Received, answered (on time), open, overdue, median hours to first response and to
    answer, satisfaction — over [start, end) (default: the last 30 days), optionally per
    commune, unit or category."""
    start, end = _period(start, end)
    totals = reports.report_figures(
        session, actor=actor, start=start, end=end, commune_code=commune_code
    )
    rows = (
        reports.report_breakdown(
            session,
            actor=actor,
            start=start,
            end=end,
            by=by,
            commune_code=commune_code,
            unit_id=unit_id,
            category=category,
        )
        if by
        else []
    )
    return {"start": start, "end": end, "totals": totals, "rows": rows}


@router.get(
    "/case-figures.xlsx",
    response_class=StreamingResponse,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "An XLSX workbook"}},
)
def figures_xlsx(
    actor: ApiActor,
    session: SessionDep,
    settings: SettingsDep,
    start: datetime | None = None,
    end: datetime | None = None,
    commune_code: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    unit_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
) -> StreamingResponse:
    """The figures and the case list as an Excel workbook (same filters)."""
    start, end = _period(start, end)
    data = case_report.workbook(
        session,
        actor=actor,
        settings=settings,
        start=start,
        end=end,
        commune_code=commune_code,
        unit_id=unit_id,
        category=category,
    )
    return StreamingResponse(
        io.BytesIO(data),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="phan-anh.xlsx"'},
    )
