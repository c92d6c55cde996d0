"""The cases API under /api/v1: cases, their timeline, units, routing rules, canned replies,
Open311 keys and the figures. Same tokens, scoping and error shape as the inbox API."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from danvan.cases import access, intake, lifecycle, reports, routing, similarity, units
from danvan.cases import events as case_events
from danvan.cases import open311 as case_open311
from danvan.cases import rules as rules
from danvan.cases import xlsx as case_report
from danvan.cases.models import Unit
from danvan.cases.routes.schemas import (
    CannedIn,
    CannedOut,
    CaseIn,
    CaseOut,
    CasePage,
    CasePatch,
    CategoryOut,
    EventOut,
    KeyIn,
    KeyOut,
    MemberIn,
    MergeIn,
    ReasonIn,
    RuleIn,
    RuleOut,
    StatusOut,
    TextIn,
    UnitIn,
    UnitOut,
)
from danvan.kernel import taxonomy
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.web.api import ERRORS, MAX_DB_INT, WRITE_ERRORS, ApiDateTime, ApiRoute
from danvan.web.deps import ApiActor, SessionDep, SettingsDep

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

router = APIRouter(prefix="/api/v1", tags=["cases"], route_class=ApiRoute, responses=ERRORS)

CaseId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]


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
    """Transfer (unit_id + reason), assign (assignee_id, null to unassign), set the public
    title (public_title, empty for the neutral one) and/or change the status (with
    `public_answer` for an answer, `reason` where the status needs one). A public status sends
    the citizen a notice with the case code on their channel."""
    case = access.access_case(session, actor=actor, case_id=case_id, write=True)
    fields = body.model_fields_set
    if not fields & {"status", "assignee_id", "unit_id", "public_title"}:
        raise Invalid(
            "Không có gì để thay đổi (status, assignee_id, unit_id, public_title)", code="empty"
        )
    if "public_title" in fields:
        lifecycle.do_set_public_title(
            session, actor=actor, case=case, title=body.public_title or ""
        )
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
    events = access.timeline(session, case=case)
    notices = case_events.notice_channels(session, events)
    return [EventOut.of(e, notices.get(e.id)) for e in events]


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
    start: ApiDateTime | None = None,
    end: ApiDateTime | None = None,
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
    start: ApiDateTime | None = None,
    end: ApiDateTime | None = None,
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
