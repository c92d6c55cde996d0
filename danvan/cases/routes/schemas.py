"""Input and output schemas of the cases API (`danvan.cases.routes.api`), kept apart from the
tables. Inputs are bounded in size at the edge; the core checks the real text limits, after
normalisation. Outputs are built from table rows with `of(...)`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from danvan.cases import access, intake, lifecycle
from danvan.cases import rules as rules
from danvan.cases.models import Case, CaseEvent, RoutingRule
from danvan.inbox.models import Message
from danvan.kernel import geo
from danvan.kernel.settings import Settings
from danvan.web.api import CleanStr, DbId, Schema

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
    public_title: CleanStr | None = Field(
        default=None,
        max_length=lifecycle.MAX_PUBLIC_TITLE * _RAW,
        description="The title the public page and keyless Open311 show (staff's words; no "
        "names, phones or ID numbers); empty: the neutral one (category and commune)",
    )


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
    public_title: str | None = Field(
        description="Shown publicly; null: nobody approved one, the neutral title is shown"
    )
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
            public_title=case.public_title,
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


class NoticeOut(BaseModel):
    message_id: int
    kind: str | None
    carried_by: str | None = Field(
        description="zalo_oa, zalo_bot, web, zalo_zns (template message by phone) or call"
    )
    delivery_status: str | None

    @classmethod
    def of(cls, message: Message) -> NoticeOut:
        return cls(
            message_id=message.id,
            kind=message.notice_kind,
            carried_by=message.carried_by,
            delivery_status=message.delivery_status,
        )


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
    notices: list[NoticeOut] = Field(
        default_factory=list, description="The citizen notices this event sent, and how"
    )

    @classmethod
    def of(cls, event: CaseEvent, notices: list[Message] | None = None) -> EventOut:
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
            notices=[NoticeOut.of(m) for m in notices or []],
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
