"""Admin configuration of template messages: which approved ZNS template carries each notice
kind, and which notice field fills each of its parameters. Templates come from Zalo
(`danvan zalo templates sync`); a kind left without one is reported, never guessed."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.channels.models import ZnsAccount, ZnsTemplate
from danvan.channels.zalo_oa.oauth import OATokenProvider, ZaloOAuthClient
from danvan.channels.zalo_zns.catalog import (
    APPROVED,
    CatalogError,
    Fetched,
    SyncReport,
    ZnsCatalog,
    fetch,
    store_templates,
)
from danvan.inbox.models import NoticeTemplate, OutboxItem, OutboxStatus
from danvan.inbox.notices import FIELDS, KINDS
from danvan.kernel.db import Database
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings

log = logging.getLogger("danvan.notices")

# Vietnamese names of the kinds (the admin page translates them through the catalog).
KIND_NAMES = {
    "case_received": "Tiếp nhận phản ánh",
    "case_answered": "Trả lời phản ánh",
    "case_needs_info": "Đề nghị bổ sung thông tin",
    "case_updated": "Cập nhật tình trạng phản ánh",
    "consultation_result": "Kết quả lấy ý kiến",
    "training_reminder": "Nhắc lịch tập huấn",
}


@dataclass
class KindStatus:
    kind: str
    name: str
    fields: tuple[str, ...]
    template_id: str | None = None
    template_name: str = ""
    params: dict[str, str] = field(default_factory=dict)
    price_vnd: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.template_id is not None and not self.problems


def _problems(template: ZnsTemplate | None, template_id: str, params: dict[str, Any]) -> list[str]:
    if template is None:
        return [f"Mẫu {template_id} không có trong danh sách đã đồng bộ từ Zalo"]
    problems = []
    if not template.listed:
        problems.append(f"Mẫu {template_id} không còn trên Zalo")
    if template.status != APPROVED:
        problems.append(f"Mẫu {template_id} chưa được Zalo duyệt ({template.status})")
    for param in template.params or []:
        if param.get("require", True) and not params.get(str(param.get("name"))):
            problems.append(f"Tham số {param.get('name')} chưa được gán trường")
    return problems


def report(session: Session) -> list[KindStatus]:
    """Every notice kind with its template and what is wrong with it (no template, not
    approved, a required parameter unmapped)."""
    mappings = {m.kind: m for m in session.scalars(select(NoticeTemplate))}
    statuses = []
    for kind in KINDS:
        status = KindStatus(kind, KIND_NAMES[kind], FIELDS[kind])
        mapping = mappings.get(kind)
        if mapping is None:
            status.problems.append(
                "Chưa chọn mẫu tin: thông báo ngoài thời hạn sẽ thành việc gọi điện"
            )
        else:
            template = session.get(ZnsTemplate, mapping.template_id)
            status.template_id = mapping.template_id
            status.template_name = template.name if template else ""
            status.price_vnd = template.price_vnd if template else None
            status.params = {str(k): str(v) for k, v in (mapping.params or {}).items()}
            status.problems = _problems(template, mapping.template_id, status.params)
        statuses.append(status)
    return statuses


def templates(session: Session) -> list[ZnsTemplate]:
    return list(
        session.scalars(
            select(ZnsTemplate).order_by(ZnsTemplate.listed.desc(), ZnsTemplate.template_id)
        )
    )


def account(session: Session) -> ZnsAccount | None:
    return session.get(ZnsAccount, 1)


def check_mapping(
    session: Session, *, kind: str, template_id: str, params: dict[str, str]
) -> dict[str, str]:
    if kind not in FIELDS:
        raise Invalid("Loại thông báo không hợp lệ", code="kind")
    template = session.get(ZnsTemplate, template_id.strip())
    if template is None or not template.listed:
        raise Invalid("Không có mẫu tin này; hãy đồng bộ mẫu từ Zalo", code="template")
    if template.status != APPROVED:
        raise Invalid("Mẫu tin chưa được Zalo duyệt", code="not_approved")
    names = {str(p.get("name")) for p in template.params or []}
    cleaned: dict[str, str] = {}
    for name, field_name in params.items():
        if not field_name:
            continue
        if name not in names:
            raise Invalid("Mẫu tin không có tham số {name}", code="param", name=name)
        if field_name not in FIELDS[kind]:
            raise Invalid(
                "Trường {field} không có trong loại thông báo này", code="field", field=field_name
            )
        cleaned[name] = field_name
    missing = [
        p for p in template.params or [] if p.get("require", True) and p.get("name") not in cleaned
    ]
    if missing:
        raise Invalid(
            "Tham số bắt buộc chưa được gán: {names}",
            code="required",
            names=", ".join(str(p.get("name")) for p in missing),
        )
    return cleaned


def do_map_kind(
    session: Session, *, actor: Actor | None, kind: str, template_id: str, params: dict[str, str]
) -> NoticeTemplate:
    """Map `kind` to an approved template (admins; `actor` None: the CLI). Audited."""
    if actor is not None:
        actor.require_admin()
    cleaned = check_mapping(session, kind=kind, template_id=template_id, params=params)
    row = session.get(NoticeTemplate, kind) or NoticeTemplate(kind=kind)
    row.template_id = template_id.strip()
    row.params = cleaned
    row.updated_by_id = actor.user.id if actor else None
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="notice_template",
        object_type="notice_kind",
        object_id=kind,
        detail={"kind": kind, "template_id": row.template_id, "params": cleaned},
        via=None if actor else "cli",
    )
    return row


def do_unmap_kind(session: Session, *, actor: Actor, kind: str) -> None:
    actor.require_admin()
    row = session.get(NoticeTemplate, kind)
    if row is not None:
        session.delete(row)
        audit.record(
            session,
            actor=actor,
            action="notice_template_removed",
            object_type="notice_kind",
            object_id=kind,
            detail={"kind": kind},
        )


def do_sync(session: Session, *, actor: Actor | None, fetched: Fetched) -> SyncReport:
    """Keep the OA's templates and quota as read from Zalo (admins, or the CLI)."""
    if actor is not None:
        actor.require_admin()
    result = store_templates(session, fetched)
    audit.record(
        session,
        actor=actor,
        action="zns_sync",
        object_type="zns",
        detail={"templates": result.templates, "approved": result.approved},
        via=None if actor else "cli",
    )
    return result


def sync_from_zalo(
    database: Database, settings: Settings, *, user_id: int | None, via: str
) -> SyncReport:
    """Read Zalo (no transaction open: the token store opens its own), then `do_sync` in a
    transaction of its own. `user_id`: the admin
    who asked (None: the CLI or the demo). Raises `CatalogError`."""
    tokens = OATokenProvider(database=database, oauth=ZaloOAuthClient(settings=settings))
    catalog = ZnsCatalog(settings=settings, tokens=tokens)
    try:
        fetched = fetch(catalog)
    finally:
        catalog.close()
    with database.session() as session:
        user = session.get(User, user_id) if user_id is not None else None
        actor = Actor(user, via=via) if user is not None else None
        return do_sync(session, actor=actor, fetched=fetched)


def sync_in_background(database: Database, settings: Settings, *, user_id: int, via: str) -> None:
    """For a request: run after its response (its transaction is closed by then); a failure
    is logged (the admin page shows when the templates were last read)."""
    try:
        sync_from_zalo(database, settings, user_id=user_id, via=via)
    except CatalogError as exc:
        log.warning("ZNS template sync failed: %s", exc)


def held_count(session: Session, *, actor: Actor) -> int:
    """Template messages waiting on a hold (balance or daily quota ran out): the admin menu's
    badge, so that admins see it before citizens miss their notices."""
    standing = account(session)
    if not actor.is_admin or standing is None or standing.hold_until is None:
        return 0
    if standing.hold_until <= utcnow():
        return 0
    waiting = select(func.count()).where(
        OutboxItem.channel == "zalo_zns", OutboxItem.status == OutboxStatus.PENDING
    )
    return int(session.scalar(waiting) or 0)
