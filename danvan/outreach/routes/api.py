"""The outreach area's JSON API under /api/v1: broadcasts, consultations, polls.

Same tokens, scoping and error shape as `danvan.inbox.routes.api`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from danvan.inbox import privacy
from danvan.inbox.routes.schemas import ContactDetail
from danvan.kernel.errors import Invalid
from danvan.outreach import broadcasts, consultations, polls
from danvan.outreach import citizens as outreach
from danvan.outreach import summaries as consultation_analysis
from danvan.outreach.items import scoped_results
from danvan.web.api import ERRORS, MAX_DB_INT, WRITE_ERRORS, ApiDateTime, ApiRoute, Schema
from danvan.web.deps import ApiActor, SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1", route_class=ApiRoute, tags=["outreach"], responses=ERRORS)

ObjectId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
CommuneCode = Annotated[int, Field(ge=1, le=MAX_DB_INT)]


def _aware(value: datetime | None, what: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise Invalid("{what}: cần ghi rõ múi giờ (ví dụ +07:00)", code="naive_time", what=what)
    return value.astimezone(UTC)


# --- broadcasts ---------------------------------------------------------------------------------


class BroadcastIn(Schema):
    text: str = Field(max_length=4000)
    commune_codes: list[CommuneCode] = Field(default_factory=list, max_length=200)
    tags: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=20)
    language: str | None = Field(default=None, max_length=8)
    window: Literal["7d", "48h"] = "7d"
    link_url: str | None = Field(default=None, max_length=500)
    send_at: ApiDateTime | None = None
    urgent: bool = False
    mode: Literal["cs", "article"] = "cs"
    article_id: str | None = Field(default=None, max_length=64)


class BroadcastOut(BaseModel):
    id: int
    status: str
    text: str
    commune_codes: list[int]
    tags: list[str]
    urgent: bool
    send_at: datetime | None
    reachable: int
    preview: dict[str, Any]
    totals: dict[str, Any]


def _broadcast_out(session: Any, item: Any) -> BroadcastOut:
    return BroadcastOut(
        id=item.id,
        status=item.status,
        text=item.text,
        commune_codes=list(item.commune_codes or []),
        tags=list(item.tags or []),
        urgent=item.urgent,
        send_at=item.send_at,
        reachable=int((item.preview or {}).get("reachable", 0)),
        preview=item.preview or {},
        totals=broadcasts.totals(session, broadcast=item),
    )


@router.post("/broadcasts", status_code=201, responses=WRITE_ERRORS)
def create_broadcast(
    actor: ApiActor, session: SessionDep, settings: SettingsDep, body: BroadcastIn
) -> BroadcastOut:
    """Queue a broadcast to the followers of `commune_codes` (all of the caller's communes when
    empty); `reachable` is how many Zalo lets us reach now (free within 48 h of their last
    interaction, paid up to 7 days). Sending starts at `send_at` (now when null), never during
    quiet hours (22:00–06:00) unless `urgent`."""
    audience = broadcasts.check_audience(
        actor=actor,
        commune_codes=body.commune_codes,
        tags=body.tags,
        language=body.language,
        window=body.window,
        province_code=settings.province,
    )
    item, _preview = broadcasts.do_create_broadcast(
        session,
        actor=actor,
        settings=settings,
        text=body.text,
        audience=audience,
        link_url=body.link_url,
        send_at=_aware(body.send_at, "send_at"),
        urgent=body.urgent,
        mode=body.mode,
        article_id=body.article_id,
    )
    return _broadcast_out(session, item)


class AudienceIn(Schema):
    commune_codes: list[CommuneCode] = Field(default_factory=list, max_length=200)
    tags: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=20)
    language: str | None = Field(default=None, max_length=8)
    window: Literal["7d", "48h"] = "7d"


@router.post("/broadcasts/preview", responses=WRITE_ERRORS)
def preview_broadcast(
    actor: ApiActor, session: SessionDep, settings: SettingsDep, body: AudienceIn
) -> dict[str, Any]:
    """How many followers an audience has, how many are reachable, and the estimated cost."""
    audience = broadcasts.check_audience(
        actor=actor,
        commune_codes=body.commune_codes,
        tags=body.tags,
        language=body.language,
        window=body.window,
        province_code=settings.province,
    )
    return broadcasts.preview_audience(session, audience=audience, settings=settings).as_dict()


@router.get("/broadcasts")
def list_broadcasts(actor: ApiActor, session: SessionDep) -> list[BroadcastOut]:
    """Broadcasts the caller may see, newest first."""
    return [_broadcast_out(session, b) for b in broadcasts.list_broadcasts(session, actor=actor)]


@router.get("/broadcasts/{broadcast_id}")
def get_broadcast(actor: ApiActor, session: SessionDep, broadcast_id: ObjectId) -> BroadcastOut:
    """A broadcast with its totals per status (waiting, queued, sent, delivered, seen,
    unreachable, failed, cancelled…), overall and per commune."""
    item = broadcasts.access_broadcast(session, actor=actor, broadcast_id=broadcast_id)
    return _broadcast_out(session, item)


@router.get("/broadcasts/{broadcast_id}/recipients")
def broadcast_recipients(
    actor: ApiActor, session: SessionDep, broadcast_id: ObjectId, status: str | None = None
) -> list[dict[str, Any]]:
    """Per-recipient status and reason (first 200)."""
    item = broadcasts.access_broadcast(session, actor=actor, broadcast_id=broadcast_id)
    return [
        {
            "contact_id": r.contact_id,
            "commune_code": r.commune_code,
            "status": r.status,
            "reason": r.reason,
            "paid": r.paid,
        }
        for r in broadcasts.list_recipients(session, broadcast=item, status=status)
    ]


@router.post("/broadcasts/{broadcast_id}/{action}", responses=WRITE_ERRORS)
def broadcast_action(
    actor: ApiActor,
    session: SessionDep,
    broadcast_id: ObjectId,
    action: Literal["pause", "resume", "cancel"],
) -> BroadcastOut:
    """Pause (queued, untried deliveries are held back), resume, or cancel a broadcast."""
    item = broadcasts.access_broadcast(session, actor=actor, broadcast_id=broadcast_id)
    if action == "pause":
        broadcasts.do_pause(session, actor=actor, broadcast=item)
    elif action == "resume":
        broadcasts.do_resume(session, actor=actor, broadcast=item)
    else:
        broadcasts.do_cancel(session, actor=actor, broadcast=item)
    session.flush()
    return _broadcast_out(session, item)


# --- consultations ------------------------------------------------------------------------------


class ConsultationIn(Schema):
    title: str = Field(max_length=300)
    summary: str = Field(default="", max_length=10_000)
    kind: Literal["vote", "opinion"]
    options: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=10
    )
    commune_codes: list[CommuneCode] = Field(default_factory=list, max_length=200)
    opens_at: ApiDateTime
    closes_at: ApiDateTime


class ConsultationOut(BaseModel):
    id: int
    title: str
    kind: str
    options: list[str]
    commune_codes: list[int]
    opens_at: datetime
    closes_at: datetime
    public_url: str


def _consultation_out(item: Any) -> ConsultationOut:
    return ConsultationOut(
        id=item.id,
        title=item.title,
        kind=item.kind,
        options=list(item.options or []),
        commune_codes=list(item.commune_codes or []),
        opens_at=item.opens_at,
        closes_at=item.closes_at,
        public_url=f"/y-kien/{item.id}",
    )


@router.post("/consultations", status_code=201, responses=WRITE_ERRORS)
def create_consultation(
    actor: ApiActor, session: SessionDep, settings: SettingsDep, body: ConsultationIn
) -> ConsultationOut:
    """Open a consultation: opinions, or a vote among `options`, in `commune_codes`."""
    opens = _aware(body.opens_at, "opens_at")
    closes = _aware(body.closes_at, "closes_at")
    assert opens is not None and closes is not None  # noqa: PT018
    item = consultations.do_create_consultation(
        session,
        actor=actor,
        settings=settings,
        title=body.title,
        summary=body.summary,
        kind=body.kind,
        options=body.options,
        commune_codes=body.commune_codes,
        opens_at=opens,
        closes_at=closes,
    )
    return _consultation_out(item)


@router.get("/consultations/{consultation_id}")
def get_consultation(
    actor: ApiActor, session: SessionDep, consultation_id: ObjectId
) -> ConsultationOut:
    item = consultations.access_consultation(session, actor=actor, consultation_id=consultation_id)
    return _consultation_out(item)


@router.get("/consultations/{consultation_id}/results")
def consultation_results(
    actor: ApiActor, session: SessionDep, settings: SettingsDep, consultation_id: ObjectId
) -> dict[str, Any]:
    """Counts per option and per commune with turnout (one answer per participant; the latest
    before closing counts). Staff see exact counts; the public page suppresses those under 5.
    An opinion consultation adds "opinions": themes, stance (for/against/other), sentiment and
    the main arguments of each side, in aggregate, quotes PII-masked."""
    item = consultations.access_consultation(session, actor=actor, consultation_id=consultation_id)
    result = scoped_results(actor, consultations.results(session, consultation=item))
    opinions = consultation_analysis.opinions_block(
        session, consultation=item, settings=settings, actor=actor
    )
    return result if opinions is None else {**result, "opinions": opinions}


# --- polls --------------------------------------------------------------------------------------


class PollIn(Schema):
    question: str = Field(max_length=500)
    options: list[Annotated[str, Field(max_length=200)]] = Field(max_length=10)
    multiple: bool = False
    commune_codes: list[CommuneCode] = Field(default_factory=list, max_length=200)
    closes_at: ApiDateTime | None = None


class PollOut(BaseModel):
    id: int
    question: str
    options: list[str]
    multiple: bool
    commune_codes: list[int]
    closes_at: datetime | None
    public_url: str


def _poll_out(item: Any) -> PollOut:
    return PollOut(
        id=item.id,
        question=item.question,
        options=list(item.options or []),
        multiple=item.multiple,
        commune_codes=list(item.commune_codes or []),
        closes_at=item.closes_at,
        public_url=f"/tham-do/{item.id}",
    )


@router.post("/polls", status_code=201, responses=WRITE_ERRORS)
def create_poll(
    actor: ApiActor, session: SessionDep, settings: SettingsDep, body: PollIn
) -> PollOut:
    """A quick single- or multiple-choice poll in `commune_codes`."""
    item = polls.do_create_poll(
        session,
        actor=actor,
        settings=settings,
        question=body.question,
        options=body.options,
        multiple=body.multiple,
        commune_codes=body.commune_codes,
        closes_at=_aware(body.closes_at, "closes_at"),
    )
    return _poll_out(item)


@router.get("/polls/{poll_id}/results")
def poll_results(actor: ApiActor, session: SessionDep, poll_id: ObjectId) -> dict[str, Any]:
    """Live counts per option, overall and per commune (exact for staff)."""
    item = polls.access_poll(session, actor=actor, poll_id=poll_id)
    return scoped_results(actor, polls.results(session, poll=item))


# --- a citizen's outreach fields (and commune) ------------------------------------------------

ContactId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]


class ContactPatch(Schema):
    """Outreach fields staff may set; absent fields are left as they are."""

    commune_code: int | None = Field(default=None, ge=1, le=MAX_DB_INT)
    tags: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None, max_length=20)
    language: str | None = Field(default=None, max_length=8)
    broadcast_opt_out: bool | None = None


class ContactPatched(ContactDetail):
    tags: list[str]
    language: str | None
    broadcast_opt_out: bool


@router.patch("/contacts/{contact_id}", responses=WRITE_ERRORS)
def patch_contact(
    actor: ApiActor,
    session: SessionDep,
    settings: SettingsDep,
    contact_id: ContactId,
    body: ContactPatch,
) -> ContactPatched:
    """Set a citizen's commune (`null` sends them back to triage), broadcast tags (replacing
    the old ones), language, or broadcast opt-out (an opted-out citizen never gets one)."""
    contact = privacy.access_contact(session, actor=actor, contact_id=contact_id)
    outreach.do_update_contact(
        session,
        actor=actor,
        contact=contact,
        province_code=settings.province,
        commune_code=body.commune_code,
        set_commune="commune_code" in body.model_fields_set,
        tags=body.tags,
        language=body.language,
        broadcast_opt_out=body.broadcast_opt_out,
    )
    conversation = privacy.conversation_of(session, contact)
    detail = ContactDetail.build(
        contact,
        conversation_id=conversation.id if conversation is not None else None,
        erased=privacy.is_erased(contact),
    )
    return ContactPatched(
        **detail.model_dump(),
        tags=outreach.contact_tags(session, contact),
        language=contact.language,
        broadcast_opt_out=contact.broadcast_opt_out_at is not None,
    )
