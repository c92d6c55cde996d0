"""Quick polls: single or multiple choice, one answer per participant (replaced when answered
again while open), live results with a breakdown by commune, counts under 5 suppressed in
anything public, XLSX export for staff."""

from __future__ import annotations

import hashlib
import hmac
import io
import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.inbox.models import Contact
from danvan.kernel import geo
from danvan.kernel.documents import append_row
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import clean, fold
from danvan.outreach.codes import MAX_BUTTONS, item_code, link_button, query_button
from danvan.outreach.items import (
    PUBLIC_MIN,
    check_communes,
    check_options,
    forget_open_items,
    network,
    scoped_results,
)
from danvan.outreach.models import Broadcast, Poll, PollAnswer

MAX_QUESTION = 500
# Web answers per poll from one network (IPv4 /24, IPv6 /64: what one household, office or
# subscriber holds): beyond this many, new ones are refused, whatever the cookie or browser
# string (both are the client's to change). A shared office or a mobile carrier's NAT can put
# several honest people behind one network, hence more than one. Best effort, and said so on the
# results pages (web polls are indicative): the Zalo answer is the one-per-person path.
WEB_DEVICE_LIMIT = 20
WEB_NETWORK_V4 = 24
WEB_NETWORK_V6 = 64


def web_device(*, secret: str, poll_id: int, ip: str) -> str:
    """A keyed hash of (poll, client network): unlinkable across polls, and not reversible
    without the deployment's secret key; the address itself is not stored."""
    where = network(ip, v4=WEB_NETWORK_V4, v6=WEB_NETWORK_V6)
    message = f"{poll_id}|{where}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def do_create_poll(
    session: Session,
    *,
    actor: Actor,
    settings: Settings,
    question: str,
    options: list[str],
    multiple: bool,
    commune_codes: list[int],
    closes_at: datetime | None = None,
) -> Poll:
    actor.require_write()
    text = clean(question)
    if not text or len(text) > MAX_QUESTION:
        raise Invalid(
            "Câu hỏi bắt buộc, tối đa {limit} ký tự", code="bad_question", limit=MAX_QUESTION
        )
    values = check_options(options, required=True)
    codes = check_communes(actor, commune_codes, province_code=settings.province)
    if closes_at is not None and closes_at.tzinfo is None:
        raise Invalid("Thời gian phải có múi giờ", code="naive_time")
    poll = Poll(
        question=text,
        options=values,
        multiple=multiple,
        commune_codes=codes,
        closes_at=closes_at,
        created_by=actor.user.id,
    )
    session.add(poll)
    session.flush()
    forget_open_items()
    audit.record(
        session,
        actor=actor,
        action="poll_create",
        object_type="poll",
        object_id=poll.id,
        detail={"communes": codes, "multiple": multiple},
    )
    return poll


def _sees(actor: Actor, poll: Poll) -> bool:
    return actor.sees_any_commune(poll.commune_codes)


def access_poll(session: Session, *, actor: Actor, poll_id: int) -> Poll:
    poll = session.get(Poll, poll_id)
    if poll is None or not _sees(actor, poll):
        raise NotFound("Không tìm thấy thăm dò")
    return poll


def list_polls(session: Session, *, actor: Actor) -> list[Poll]:
    rows = session.scalars(select(Poll).order_by(Poll.id.desc()).limit(500))
    return [p for p in rows if _sees(actor, p)]


def get_public(session: Session, poll_id: int) -> Poll:
    poll = session.get(Poll, poll_id)
    if poll is None:
        raise NotFound("Không tìm thấy thăm dò")
    return poll


def is_open(poll: Poll, now: datetime) -> bool:
    return poll.opens_at <= now and (poll.closes_at is None or now < poll.closes_at)


def do_answer(
    session: Session,
    *,
    poll: Poll,
    participant: str,
    commune_code: int | None,
    choices: list[int],
    channel: str,
    contact_id: int | None = None,
    device: str | None = None,
    now: datetime | None = None,
) -> PollAnswer:
    """Record (or replace) one participant's answer. `device` (web): a new participant is
    refused once `WEB_DEVICE_LIMIT` answers came from the same network (see `web_device`)."""
    now = now or utcnow()
    if not is_open(poll, now):
        raise Invalid("Thăm dò đã kết thúc, không nhận thêm trả lời", code="closed")
    if commune_code not in (poll.commune_codes or []):
        raise Invalid("Xã của bạn không thuộc phạm vi thăm dò này", code="out_of_scope")
    picked = sorted(set(choices))
    if not picked or any(not 0 <= c < len(poll.options) for c in picked):
        raise Invalid("Hãy chọn phương án", code="no_option")
    if not poll.multiple and len(picked) > 1:
        raise Invalid("Chỉ được chọn một phương án", code="single_choice")
    answer = session.scalar(
        select(PollAnswer).where(
            PollAnswer.poll_id == poll.id, PollAnswer.participant == participant
        )
    )
    if answer is None:
        if device is not None:
            same = session.scalar(
                select(func.count()).where(
                    PollAnswer.poll_id == poll.id, PollAnswer.device == device
                )
            )
            if (same or 0) >= WEB_DEVICE_LIMIT:
                raise Invalid(
                    "Đã có nhiều câu trả lời từ mạng này cho thăm dò này; bạn có thể trả lời "
                    "qua Zalo của UBND",
                    code="device_limit",
                )
        answer = PollAnswer(
            poll_id=poll.id,
            participant=participant,
            created_at=now,
            channel=channel,
            device=device,
        )
        session.add(answer)
    answer.commune_code = commune_code
    answer.choices = picked
    answer.contact_id = contact_id
    answer.channel = channel
    session.flush()
    return answer


def results(session: Session, *, poll: Poll, public: bool = False) -> dict[str, Any]:
    """Counts per option, overall and per commune; `public`: counts under 5 are None."""
    width = len(poll.options)
    overall = [0] * width
    communes: dict[int, list[int]] = {c: [0] * width for c in poll.commune_codes or []}
    respondents: dict[int, int] = dict.fromkeys(poll.commune_codes or [], 0)
    total = 0
    for code, choices in session.execute(
        select(PollAnswer.commune_code, PollAnswer.choices).where(PollAnswer.poll_id == poll.id)
    ):
        key = code or 0
        bucket = communes.setdefault(key, [0] * width)
        respondents[key] = respondents.get(key, 0) + 1
        total += 1
        for index in choices or []:
            if 0 <= index < width:
                bucket[index] += 1
                overall[index] += 1

    def shown(count: int) -> int | None:
        return None if public and count < PUBLIC_MIN else count

    return {
        "id": poll.id,
        "question": poll.question,
        "multiple": poll.multiple,
        "open": is_open(poll, utcnow()),
        "respondents": shown(total),
        "options": [{"option": o, "count": shown(overall[i])} for i, o in enumerate(poll.options)],
        "by_commune": [
            {
                "commune_code": code,
                "commune": geo.commune_name(code),
                "respondents": shown(respondents.get(code, 0)),
                "options": [
                    {"option": o, "count": shown(counts[i])} for i, o in enumerate(poll.options)
                ],
            }
            for code, counts in sorted(communes.items())
        ],
        "suppressed_below": PUBLIC_MIN if public else None,
    }


def export_xlsx(session: Session, *, actor: Actor, poll: Poll) -> bytes:
    """Staff export: aggregate counts per commune and option (no participant rows), in the
    actor's scope as on the poll's page (`items.scoped_results`)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    result = scoped_results(actor, results(session, poll=poll))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Ket qua"
    append_row(sheet, [poll.question])
    append_row(sheet, ["Xã", "Số người trả lời", *poll.options])
    append_row(sheet, ["Tổng", result["respondents"], *[o["count"] for o in result["options"]]])
    for row in result["by_commune"]:
        append_row(
            sheet, [row["commune"], row["respondents"], *[o["count"] for o in row["options"]]]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def parse_choices(poll: Poll, text: str) -> list[int] | None:
    """The options a Zalo reply names: numbers ("2", "1, 3", "1 và 3") or one option's words,
    with or without accents; None when it names none (or several for a single-choice poll)."""
    folded = fold(text).strip(" .!")
    for index, option in enumerate(poll.options):
        if folded == fold(option):
            return [index]
    tokens = [t for t in re.split(r"[,;/\s]+|\bva\b", folded) if t]
    if not tokens or not all(t.isdigit() and 1 <= int(t) <= len(poll.options) for t in tokens):
        return None
    picked = sorted({int(t) - 1 for t in tokens})
    if len(picked) > 1 and not poll.multiple:
        return None
    return picked


def poll_open_now(session: Session, now: datetime | None = None) -> bool:
    now = now or utcnow()
    found = session.scalar(
        select(Poll.id)
        .where(Poll.opens_at <= now, or_(Poll.closes_at.is_(None), Poll.closes_at > now))
        .limit(1)
    )
    return found is not None


def answer_from_message(
    session: Session, *, contact: Contact, text: str, now: datetime | None = None
) -> tuple[Poll, PollAnswer] | None:
    """A Zalo reply naming options of exactly one open poll in the citizen's commune."""
    if contact.commune_code is None:
        return None
    now = now or utcnow()
    candidates = [
        p
        for p in session.scalars(
            select(Poll).where(
                Poll.opens_at <= now, or_(Poll.closes_at.is_(None), Poll.closes_at > now)
            )
        )
        if contact.commune_code in (p.commune_codes or [])
    ]
    matches = [(p, c) for p in candidates if (c := parse_choices(p, text)) is not None]
    if len(matches) != 1:
        return None
    poll, choices = matches[0]
    answer = do_answer(
        session,
        poll=poll,
        participant=f"{contact.channel}:{contact.external_id}",
        commune_code=contact.commune_code,
        choices=choices,
        channel=contact.channel,
        contact_id=contact.id,
        now=now,
    )
    return poll, answer


def announcement_text(poll: Poll, *, base_url: str) -> str:
    """The question with every code written out (it works without buttons too)."""
    code = item_code("poll", poll.id)
    if poll.multiple:
        how = f"Bấm các nút bạn chọn (mỗi lần một phương án), hoặc nhắn ví dụ: {code} 1,3"
    else:
        how = "Bấm nút bên dưới hoặc nhắn mã phương án bạn chọn"
    lines = [f"Thăm dò: {poll.question}", f"{how}:"]
    lines.extend(f"{n}. {option} — nhắn: {code} {n}" for n, option in enumerate(poll.options, 1))
    lines.append(f"{base_url.rstrip('/')}/tham-do/{poll.id}")
    return "\n".join(lines)[:2000]


def announcement_buttons(poll: Poll, *, base_url: str) -> list[dict[str, str]]:
    """Zalo OA buttons: one per option (several taps add up on a multiple-choice poll)."""
    code = item_code("poll", poll.id)
    buttons = [query_button(f"{n}. {o}", f"{code} {n}") for n, o in enumerate(poll.options, 1)]
    if len(buttons) < MAX_BUTTONS:
        buttons.append(link_button("Xem kết quả", f"{base_url.rstrip('/')}/tham-do/{poll.id}"))
    return buttons[:MAX_BUTTONS]


def do_announce(session: Session, *, actor: Actor, settings: Settings, poll: Poll) -> Broadcast:
    """Ask the poll's question by broadcast to the followers of its communes."""
    from danvan.outreach import broadcasts

    actor.require_write()
    if not is_open(poll, utcnow()):
        raise Invalid("Thăm dò đã kết thúc", code="closed")
    audience = broadcasts.check_audience(
        actor=actor,
        commune_codes=list(poll.commune_codes),
        tags=[],
        language=None,
        window="7d",
        province_code=settings.province,
    )
    broadcast, _preview = broadcasts.do_create_broadcast(
        session,
        actor=actor,
        settings=settings,
        text=announcement_text(poll, base_url=settings.base_url),
        audience=audience,
        buttons=announcement_buttons(poll, base_url=settings.base_url),
    )
    return broadcast
