"""Announcing a consultation: a broadcast to the followers of its communes, its text with every
code written out and its Zalo buttons (one per option, or "Góp ý")."""

from __future__ import annotations

from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.outreach.codes import MAX_BUTTONS, item_code, link_button, query_button
from danvan.outreach.consultations import check_open, format_local
from danvan.outreach.models import Broadcast, Consultation


def announcement_text(consultation: Consultation, *, base_url: str) -> str:
    """The announcement: every code is written out, so that it works without buttons too
    (Zalo Bot, or an old Zalo app)."""
    code = item_code("consultation", consultation.id)
    lines = [f"Lấy ý kiến nhân dân: {consultation.title}"]
    if consultation.summary:
        lines.append(consultation.summary[:600])
    if consultation.kind == "vote":
        lines.append("Bấm nút bên dưới hoặc nhắn mã phương án bạn chọn:")
        lines.extend(
            f"{n}. {option} — nhắn: {code} {n}" for n, option in enumerate(consultation.options, 1)
        )
    else:
        lines.append(
            f"Bấm “Góp ý” (hoặc nhắn: {code} góp ý) rồi nhắn ý kiến của bạn; "
            "cũng có thể góp ý trên trang web."
        )
    lines.append(f"Hạn chót: {format_local(consultation.closes_at)}.")
    lines.append(f"{base_url.rstrip('/')}/y-kien/{consultation.id}")
    return "\n".join(lines)[:2000]


def announcement_buttons(consultation: Consultation, *, base_url: str) -> list[dict[str, str]]:
    """Zalo OA buttons of the announcement: one per option (a vote) or "Góp ý", then the web
    page when there is room."""
    code = item_code("consultation", consultation.id)
    if consultation.kind == "vote":
        buttons = [
            query_button(f"{n}. {option}", f"{code} {n}")
            for n, option in enumerate(consultation.options, 1)
        ]
    else:
        buttons = [query_button("Góp ý", f"{code} góp ý")]
    if len(buttons) < MAX_BUTTONS:
        buttons.append(
            link_button("Xem chi tiết", f"{base_url.rstrip('/')}/y-kien/{consultation.id}")
        )
    return buttons[:MAX_BUTTONS]


def do_announce(
    session: Session, *, actor: Actor, settings: Settings, consultation: Consultation
) -> Broadcast:
    """Announce the consultation with a broadcast to the followers of its communes."""
    from danvan.outreach import broadcasts

    actor.require_write()
    check_open(consultation, utcnow())
    audience = broadcasts.check_audience(
        actor=actor,
        commune_codes=list(consultation.commune_codes),
        tags=[],
        language=None,
        window="7d",
        province_code=settings.province,
    )
    broadcast, _preview = broadcasts.do_create_broadcast(
        session,
        actor=actor,
        settings=settings,
        text=announcement_text(consultation, base_url=settings.base_url),
        audience=audience,
        consultation_id=consultation.id,
        buttons=announcement_buttons(consultation, base_url=settings.base_url),
    )
    return broadcast
