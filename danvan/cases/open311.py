"""Open311 GeoReport v2: services are the case categories, requests are cases.

Partner systems authenticate with an API key (admin-made, only its SHA-256 kept). Reading is
open, as the standard intends, but without a key a request shows only what the public page
shows (no description, no coordinates); with a key it shows the description and location too.
danvan keeps no reporter identity from partners (first_name, phone… are ignored): the sending
system keeps its own citizen's data, which is what Decree 13's minimisation asks.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.cases import intake, tracking
from danvan.cases import rules as rules
from danvan.cases.models import Case, Open311Key
from danvan.inbox.conversations import check_text
from danvan.kernel import geo, taxonomy
from danvan.kernel.errors import CoreError, Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import clean, shorten

KEY_PREFIX = "o311_"
MAX_DESCRIPTION = 4000  # GeoReport's own limit


class Open311Error(CoreError):
    """An error in GeoReport's shape: [{"code": <http status>, "description": ...}]."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description, code=str(status))
        self.status = status


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def do_create_key(session: Session, *, actor: Actor, name: str) -> tuple[Open311Key, str]:
    actor.require_admin()
    name = check_text(name, limit=100, what="Tên hệ thống")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = Open311Key(name=name, key_hash=_hash(raw))
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="open311_key_create",
        object_type="open311_key",
        object_id=key.id,
    )
    return key, raw


def do_revoke_key(session: Session, *, actor: Actor, key_id: int) -> None:
    actor.require_admin()
    key = session.get(Open311Key, key_id)
    if key is None:
        raise NotFound("Không tìm thấy khoá")
    key.revoked_at = key.revoked_at or utcnow()
    audit.record(
        session,
        actor=actor,
        action="open311_key_revoke",
        object_type="open311_key",
        object_id=key.id,
    )


def key_for(session: Session, raw: str | None) -> Open311Key | None:
    if not raw or len(raw) > 200:
        return None
    key = session.scalar(select(Open311Key).where(Open311Key.key_hash == _hash(raw.strip())))
    if key is None or key.revoked_at is not None:
        return None
    key.last_used_at = utcnow()
    return key


def services(locale: str = "vi") -> list[dict[str, Any]]:
    return [
        {
            "service_code": topic.code,
            "service_name": topic.name(locale),
            "description": topic.name(locale),
            "metadata": False,
            "type": "realtime",
            "keywords": topic.code,
            "group": "phan-anh",
        }
        for topic in taxonomy.topics()
    ]


def _iso(value: datetime | None) -> str | None:
    return value.astimezone().isoformat(timespec="seconds") if value else None


def request_dict(session: Session, *, settings: Settings, case: Case, full: bool) -> dict[str, Any]:
    """One service request in GeoReport's fields. Without a key (`full` False) only what the
    public page shows: the public title, never the citizen's description; every text masked."""
    notes = tracking.public_text(case, "answer" if case.public_answer else "reason")
    if case.merged_into_id:
        into = session.get(Case, case.merged_into_id)
        notes = f"Trùng với {into.code}" if into else notes
    return {
        "service_request_id": case.code,
        "status": "open" if case.status_kind == rules.OPEN else "closed",
        "status_notes": notes or rules.status_name(settings, case.status),
        "service_name": taxonomy.topic_name(case.category),
        "service_code": case.category,
        "description": tracking.public_text(case, "description")
        if full
        else tracking.public_title(case),
        "agency_responsible": case.unit.name if case.unit else geo.commune_name(case.commune_code),
        "service_notice": "",
        "requested_datetime": _iso(case.received_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(case.due_at),
        "address": (case.location if full else "") or geo.commune_name(case.commune_code),
        "address_id": str(case.commune_code) if case.commune_code else "",
        "zipcode": "",
        "lat": case.latitude if full else None,
        "long": case.longitude if full else None,
        "media_url": "",
    }


def find_requests(
    session: Session,
    *,
    ids: list[str],
    service_code: str | None,
    status: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int = 200,
) -> list[Case]:
    stmt = select(Case)
    if ids:
        stmt = stmt.where(Case.code.in_([i.strip().upper() for i in ids[:50]]))
    if service_code:
        stmt = stmt.where(Case.category.in_([c.strip() for c in service_code.split(",")][:20]))
    if status in ("open", "closed"):
        stmt = stmt.where(
            Case.status_kind == rules.OPEN if status == "open" else Case.status_kind != rules.OPEN
        )
    if start is not None:
        stmt = stmt.where(Case.received_at >= start)
    if end is not None:
        stmt = stmt.where(Case.received_at <= end)
    return list(
        session.scalars(stmt.order_by(Case.received_at.desc(), Case.id.desc()).limit(limit))
    )


def do_post_request(
    session: Session,
    *,
    settings: Settings,
    key: Open311Key,
    fields: dict[str, str],
) -> Case:
    """A partner's new service request becomes a case of the commune its address names
    (`address_string`, or `address_id` = commune code, or `attribute[commune_code]`)."""
    service_code = fields.get("service_code", "")
    if service_code not in {t.code for t in taxonomy.topics()}:
        raise Open311Error(400, "service_code not found")
    description = clean(fields.get("description", ""))
    if not description:
        raise Open311Error(400, "description is required")
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description is longer than {MAX_DESCRIPTION} characters")
    commune_code: int | None = None
    for name in ("address_id", "attribute[commune_code]"):
        value = fields.get(name, "").strip()
        if value.isdigit() and geo.get_commune(int(value)) is not None:
            commune_code = int(value)
    address = clean(fields.get("address_string", ""))[:300]
    if commune_code is None and address:
        for part in [address, *reversed(address.split(","))]:
            found = geo.match_commune(part, settings.province)
            if found is not None:
                commune_code = found.code
                break
    if commune_code is None:
        raise Open311Error(400, "address_string or address_id must name a commune of the province")
    latitude = _coordinate(fields.get("lat"), 90)
    longitude = _coordinate(fields.get("long"), 180)
    try:
        return intake.do_create_case(
            session,
            actor=None,
            settings=settings,
            title=shorten(description.split("\n", 1)[0], 120),
            category=service_code,
            commune_code=commune_code,
            description=description,
            location=address,
            latitude=latitude,
            longitude=longitude,
            source="open311",
            via=f"open311:{key.name}"[:16],
        )
    except Invalid as exc:
        raise Open311Error(400, exc.message) from exc


def _coordinate(value: str | None, limit: int) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        raise Open311Error(400, "lat/long must be numbers") from None
    if not -limit <= number <= limit:
        raise Open311Error(400, "lat/long out of range")
    return number
