"""A situation report as a file: gathered (`situation`), rendered (`render`) and audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.opinion import render
from danvan.opinion.situation import access_situation, build_situation


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
) -> tuple[bytes, str]:
    """The report file's bytes and a file name; the audit log records who made which."""
    view, parsed = access_situation(
        actor,
        province_code=province_code,
        period=period,
        fmt=fmt,
        commune_code=commune_code,
        wide=wide,
        public=public,
    )
    situation = build_situation(
        session, view=view, period=parsed, province_code=province_code, tz_name=tz_name
    )
    data = render.RENDERERS[fmt](situation)
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
            },
            via=actor.via,
        )
    suffix = f"-{commune_code}" if commune_code else ""
    return data, f"bao-cao-tinh-hinh-{parsed.key}{suffix}.{fmt}"
