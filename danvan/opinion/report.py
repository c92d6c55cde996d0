"""A situation report as a file: gathered (`situation`), rendered (`render_docs`,
`render_sheets`) under an official heading (`kernel/letterhead.py`), and audited."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.kernel.letterhead import Letterhead, check_letterhead, default_letterhead
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings, get_settings
from danvan.opinion import render_docs, render_sheets
from danvan.opinion.rollups import zone
from danvan.opinion.situation import Situation, access_situation, build_situation

RENDERERS: dict[str, Callable[[Situation, Letterhead], bytes]] = {
    "docx": render_docs.to_docx,
    "xlsx": render_sheets.to_xlsx,
    "pdf": render_docs.to_pdf,
    "html": render_docs.to_html,
}


def report_letterhead(
    settings: Settings,
    *,
    actor: Actor,
    day: date,
    province_code: int,
    commune_code: int | None = None,
    choices: Mapping[str, str | None] | None = None,
) -> Letterhead:
    """The heading of `actor`'s report: the default for their scope (an officer's one commune:
    its People's Committee; otherwise the deployment's body) with what they chose at export."""
    base = default_letterhead(
        settings,
        day=day,
        province_code=province_code,
        officer_communes=None if actor.is_admin else sorted(actor.user.commune_codes),
        commune_code=commune_code,
    )
    return check_letterhead(base, choices or {})


def do_situation_report(
    session: Session,
    *,
    actor: Actor,
    province_code: int,
    tz_name: str,
    period: str,
    fmt: str,
    commune_code: int | None = None,
    wide: bool = False,
    public: bool = False,
    record: bool = True,
    settings: Settings | None = None,
    letterhead: Mapping[str, str | None] | None = None,
) -> tuple[bytes, str]:
    """The report file's bytes and a file name; the audit log records who made which.
    `letterhead`: what the person exporting chose of the heading (issuer, number, signer…)."""
    view, parsed = access_situation(
        actor,
        province_code=province_code,
        period=period,
        fmt=fmt,
        commune_code=commune_code,
        wide=wide,
        public=public,
    )
    head = report_letterhead(
        settings or get_settings(),
        actor=actor,
        day=utcnow().astimezone(zone(tz_name)).date(),
        province_code=province_code,
        commune_code=view.commune_code,
        choices=letterhead,
    )
    situation = build_situation(
        session, view=view, period=parsed, province_code=province_code, tz_name=tz_name
    )
    data = RENDERERS[fmt](situation, head)
    if record:
        audit.record(
            session,
            actor=actor if actor.user.id is not None else None,
            action="report.situation",
            object_type="report",
            detail={
                "period": period,
                "format": fmt,
                "commune": commune_code,
                "wide": wide,
                "public": public,
                "issuer": head.issuer,
                "number": head.number_line(),
            },
            via=actor.via,
        )
    suffix = f"-{commune_code}" if commune_code else ""
    return data, f"bao-cao-tinh-hinh-{parsed.key}{suffix}.{fmt}"
