"""What Zalo says about the OA's template messages: its templates (`GET /template/all`, then
`GET /template/info/v2?template_id=` for each one's parameters and price) and its daily quota
(`GET /message/quota`), kept in `zns_templates` and `zns_account` (zalo.md §5–6, [MED]).

Field names follow the business API's camelCase (`templateId`, `listParams`, `dailyQuota`…);
they are read defensively, and a template whose parameters cannot be read is kept without them
(admins then see it cannot be mapped).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.channels.http import HttpTransport, TransportError
from danvan.channels.models import ZnsAccount, ZnsTemplate
from danvan.channels.zalo_oa.oauth import OATokenProvider, TokenUnavailable
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings

log = logging.getLogger("danvan.channels.zalo_zns")

TEMPLATES = "/template/all"
TEMPLATE_INFO = "/template/info/v2"
QUOTA = "/message/quota"
PAGE = 100
MAX_TEMPLATES = 1000
APPROVED = "ENABLE"


class CatalogError(Exception):
    """Zalo could not be read; the message says why (for the CLI and the admin page)."""


def error_of(body: Any) -> int | None:
    if not isinstance(body, dict) or "error" not in body:
        return None
    try:
        return int(body["error"])
    except (TypeError, ValueError):
        return None


def error_text(body: Any) -> str | None:
    code = error_of(body)
    return str(code) if code else None


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None


# --- the account row ---------------------------------------------------------------------------


def account(session: Session) -> ZnsAccount | None:
    return session.get(ZnsAccount, 1)


def _account_row(session: Session) -> ZnsAccount:
    row = session.get(ZnsAccount, 1, with_for_update=True)
    if row is None:
        row = ZnsAccount(id=1)
        session.add(row)
    return row


def store_quota(session: Session, quota: dict[str, Any], *, at: datetime | None = None) -> None:
    """Keep the quota Zalo reported (`dailyQuota`, `remainingQuota`; strings or numbers)."""
    row = _account_row(session)
    daily = _int(quota.get("dailyQuota", quota.get("daily_quota")))
    remaining = _int(quota.get("remainingQuota", quota.get("remaining_quota")))
    if daily is not None:
        row.daily_quota = daily
    if remaining is not None:
        row.remaining_quota = remaining
        if remaining > 0 and row.hold_code in ("quota", "-144"):
            clear_hold(session)
    row.quota_read_at = at or utcnow()


def set_hold(session: Session, *, code: str, reason: str, until: datetime) -> None:
    row = _account_row(session)
    row.hold_code = code[:32]
    row.hold_reason = reason[:300]
    row.hold_until = until


def clear_hold(session: Session) -> None:
    row = _account_row(session)
    row.hold_code = row.hold_reason = None
    row.hold_until = None


# --- reading Zalo ------------------------------------------------------------------------------


@dataclass
class SyncReport:
    templates: int = 0
    approved: int = 0
    unlisted: int = 0
    quota: dict[str, int | None] = field(default_factory=dict)


class ZnsCatalog:
    """Reads templates and quota with the OA's access token."""

    def __init__(
        self,
        *,
        settings: Settings,
        tokens: OATokenProvider,
        transport: HttpTransport | None = None,
    ) -> None:
        self.tokens = tokens
        self.transport = transport or HttpTransport(
            name="zalo_zns", base_url=settings.zalo_zns_api_base, timeout=settings.http_timeout
        )

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        try:
            token = self.tokens.current()
        except TokenUnavailable as exc:
            raise CatalogError(exc.reason) from exc
        for first_try in (True, False):
            try:
                reply = self.transport.call(
                    "GET",
                    path,
                    headers={"access_token": token.access_token},
                    params=params,
                    error_code=error_text,
                    secrets=(token.access_token,),
                )
            except TransportError as exc:
                raise CatalogError(f"Không kết nối được Zalo ({exc.code})") from exc
            code = error_of(reply.body)
            if code == 0 and isinstance(reply.body, dict):
                return reply.body.get("data")
            if code in (-124, -216, -220) and first_try:
                try:
                    token = self.tokens.refresh(stale=token)
                except TokenUnavailable as exc:
                    raise CatalogError(exc.reason) from exc
                continue
            words = reply.body.get("message") if isinstance(reply.body, dict) else None
            raise CatalogError(f"Zalo từ chối {path}: {code} {words or reply.status}")
        raise AssertionError("unreachable")  # pragma: no cover

    def templates(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        offset = 0
        while offset < MAX_TEMPLATES:
            data = self._get(TEMPLATES, {"offset": str(offset), "limit": str(PAGE)})
            page = data if isinstance(data, list) else []
            found += [t for t in page if isinstance(t, dict)]
            if len(page) < PAGE:
                break
            offset += PAGE
        return found

    def template_info(self, template_id: str) -> dict[str, Any]:
        data = self._get(TEMPLATE_INFO, {"template_id": template_id})
        return data if isinstance(data, dict) else {}

    def quota(self) -> dict[str, Any]:
        data = self._get(QUOTA)
        return data if isinstance(data, dict) else {}

    def close(self) -> None:
        self.transport.close()
        self.tokens.close()


def _params(info: dict[str, Any]) -> list[dict[str, Any]]:
    params = info.get("listParams") or info.get("params") or []
    if isinstance(params, str):  # some answers carry it JSON-encoded
        try:
            params = json.loads(params)
        except ValueError:
            params = []
    shaped = []
    for param in params if isinstance(params, list) else []:
        if isinstance(param, dict) and isinstance(param.get("name"), str) and param["name"]:
            shaped.append(
                {
                    "name": param["name"][:64],
                    "require": bool(param.get("require", True)),
                    "type": str(param.get("type") or "STRING")[:32],
                    "max_length": _int(param.get("maxLength")),
                }
            )
    return shaped


@dataclass
class Fetched:
    """What Zalo said: each template as listed with its details, and the quota."""

    templates: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    quota: dict[str, Any] = field(default_factory=dict)


def fetch(catalog: ZnsCatalog) -> Fetched:
    """Read every template, its parameters, and the quota. HTTP only: call it with no
    transaction open (the token store opens its own)."""
    fetched = Fetched()
    seen: set[str] = set()
    for item in catalog.templates():
        template_id = str(item.get("templateId") or item.get("template_id") or "").strip()
        if template_id and template_id not in seen:
            seen.add(template_id)
            fetched.templates.append((item, catalog.template_info(template_id)))
    fetched.quota = catalog.quota()
    return fetched


def store_templates(session: Session, fetched: Fetched) -> SyncReport:
    """Keep what Zalo said. Templates no longer listed are kept, marked unlisted (mappings
    that name them then show as broken)."""
    report = SyncReport()
    now = utcnow()
    seen: set[str] = set()
    for item, info in fetched.templates:
        template_id = str(item.get("templateId") or item.get("template_id") or "").strip()
        seen.add(template_id)
        row = session.get(ZnsTemplate, template_id) or ZnsTemplate(template_id=template_id)
        row.name = str(info.get("templateName") or item.get("templateName") or "")[:200]
        row.status = str(info.get("status") or item.get("status") or "")[:32]
        row.quality = str(info.get("templateQuality") or item.get("templateQuality") or "")[:16]
        row.params = _params(info)
        row.price_vnd = _int(info.get("price"))
        row.listed = True
        row.synced_at = now
        session.add(row)
        report.templates += 1
        report.approved += row.status == APPROVED
    for row in session.scalars(select(ZnsTemplate).where(ZnsTemplate.listed.is_(True))):
        if row.template_id not in seen:
            row.listed = False
            report.unlisted += 1
    store_quota(session, fetched.quota, at=now)
    standing = account(session)
    report.quota = {
        "daily": standing.daily_quota if standing else None,
        "remaining": standing.remaining_quota if standing else None,
    }
    log.info(
        "ZNS templates synced: %d (%d approved), %d no longer listed; quota %s",
        report.templates,
        report.approved,
        report.unlisted,
        report.quota,
    )
    return report
