"""Consultations (lấy ý kiến nhân dân): opinions, or a decision by vote among options.

One answer per participant: a person known by phone ("phone:84…": a Zalo contact who shared
their phone, a resident listed with one, so the same person voting in Zalo and on the web counts
once), else a Zalo identity ("zalo_oa:<user id>") or an entry of a resident list a commune
imported from XLSX ("resident:<id>", on the web page with the slip code danvan issued). A new
answer replaces the earlier one until closing; after closing every answer is refused with a
clear message. Results are counted per commune with turnout where the commune has a resident
list (its listed residents who answered over those listed), published on a public page once
closed with every count under `PUBLIC_MIN` suppressed, and sent back to each Zalo participant
as the result in their commune.

This module creates and finds consultations, records answers, counts the results and sends them
back; beside it: `residents` (resident lists from XLSX), `slips` (voting-slip codes and the web
page's answers), `participants` (who an answer counts for), `announcements` (the broadcast
announcing one), `minutes` (the DOCX minutes), and `inbound` and `flow` (answers given in Zalo).
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.inbox.models import Contact, Conversation
from danvan.inbox.notices import Estimate, estimate, send_notice
from danvan.kernel import geo
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.numbers import ratio
from danvan.kernel.settings import Settings
from danvan.kernel.text import clean, fold
from danvan.outreach.broadcasts import LOCAL
from danvan.outreach.codes import link_button
from danvan.outreach.items import PUBLIC_MIN, check_communes, check_options, forget_open_items
from danvan.outreach.models import Consultation, ConsultationAnswer, Resident

MAX_TITLE = 300
MAX_SUMMARY = 10_000
MAX_OPINION = 2000
KINDS = ("vote", "opinion")


def format_local(when: datetime) -> str:
    """A time as citizens read it, in Vietnam's time ("14:30 ngày 01/12/2026")."""
    return when.astimezone(LOCAL).strftime("%H:%M ngày %d/%m/%Y")


# --- staff ----------------------------------------------------------------------------------


def do_create_consultation(
    session: Session,
    *,
    actor: Actor,
    settings: Settings,
    title: str,
    summary: str,
    kind: str,
    options: list[str],
    commune_codes: list[int],
    opens_at: datetime,
    closes_at: datetime,
) -> Consultation:
    actor.require_write()
    title = clean(title)
    if not title or len(title) > MAX_TITLE:
        raise Invalid("Tiêu đề bắt buộc, tối đa {limit} ký tự", code="bad_title", limit=MAX_TITLE)
    summary = clean(summary)
    if len(summary) > MAX_SUMMARY:
        raise Invalid("Tóm tắt tối đa {limit} ký tự", code="too_long", limit=MAX_SUMMARY)
    if kind not in KINDS:
        raise Invalid("Hình thức phải là vote (biểu quyết) hoặc opinion (góp ý)", code="bad_kind")
    values = check_options(options, required=kind == "vote") if kind == "vote" else []
    if opens_at.tzinfo is None or closes_at.tzinfo is None:
        raise Invalid("Thời gian phải có múi giờ", code="naive_time")
    if closes_at <= opens_at:
        raise Invalid("Thời điểm kết thúc phải sau thời điểm bắt đầu", code="bad_dates")
    codes = check_communes(actor, commune_codes, province_code=settings.province)
    consultation = Consultation(
        title=title,
        summary=summary,
        kind=kind,
        options=values,
        commune_codes=codes,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=actor.user.id,
    )
    session.add(consultation)
    session.flush()
    forget_open_items()
    audit.record(
        session,
        actor=actor,
        action="consultation_create",
        object_type="consultation",
        object_id=consultation.id,
        detail={"kind": kind, "communes": codes},
    )
    return consultation


def _sees(actor: Actor, item: Consultation) -> bool:
    return actor.sees_any_commune(item.commune_codes)


def access_consultation(session: Session, *, actor: Actor, consultation_id: int) -> Consultation:
    item = session.get(Consultation, consultation_id)
    if item is None or not _sees(actor, item):
        raise NotFound("Không tìm thấy đợt lấy ý kiến")
    return item


def list_consultations(session: Session, *, actor: Actor) -> list[Consultation]:
    rows = session.scalars(select(Consultation).order_by(Consultation.id.desc()).limit(500))
    return [c for c in rows if _sees(actor, c)]


def get_public(session: Session, consultation_id: int) -> Consultation:
    item = session.get(Consultation, consultation_id)
    if item is None:
        raise NotFound("Không tìm thấy đợt lấy ý kiến")
    return item


def check_document(filename: str, data: bytes, *, max_bytes: int) -> str:
    """The document's type ("pdf" or "docx") from its content, not its name."""
    if not data:
        raise Invalid("Tệp rỗng", code="empty_file")
    if len(data) > max_bytes:
        raise Invalid(
            "Tệp lớn {size} KiB, tối đa {limit} KiB",
            code="too_large",
            size=len(data) // 1024,
            limit=max_bytes // 1024,
        )
    name = filename.lower()
    if data.startswith(b"%PDF-") and name.endswith(".pdf"):
        return "pdf"
    if data.startswith(b"PK\x03\x04") and name.endswith(".docx"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            pass
    raise Invalid("Chỉ nhận tệp PDF hoặc DOCX hợp lệ", code="bad_type")


def do_attach_document(
    session: Session,
    *,
    actor: Actor,
    settings: Settings,
    consultation: Consultation,
    filename: str,
    data: bytes,
) -> None:
    actor.require_write()
    kind = check_document(filename, data, max_bytes=settings.outreach_max_document_bytes)
    consultation.document = data
    consultation.document_type = kind
    consultation.document_name = clean(filename).replace("/", "_")[-200:] or f"tai-lieu.{kind}"
    audit.record(
        session,
        actor=actor,
        action="consultation_document",
        object_type="consultation",
        object_id=consultation.id,
        detail={"type": kind, "bytes": len(data)},
    )


# --- answers --------------------------------------------------------------------------------


def phone_key(phone: str | None) -> str | None:
    """The participant key of a Vietnamese phone number, "phone:84…", whatever way it was
    written (0912 345 678, +84 912…, 84912…, or 912345678 when a spreadsheet dropped the 0).
    None when it does not look like a phone number: the person is then known by identity."""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    if digits.startswith("84") and len(digits) in (11, 12):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    if not 9 <= len(national) <= 10 or national.startswith("0"):
        return None
    return f"phone:84{national}"


def check_open(consultation: Consultation, now: datetime) -> None:
    if now < consultation.opens_at:
        raise Invalid(
            "Đợt lấy ý kiến chưa mở (mở lúc {at})",
            code="not_open",
            at=format_local(consultation.opens_at),
        )
    if now >= consultation.closes_at:
        raise Invalid(
            "Đợt lấy ý kiến đã kết thúc lúc {at}; ý kiến gửi sau thời điểm này không được ghi nhận",
            code="closed",
            at=format_local(consultation.closes_at),
        )


def check_answer(
    consultation: Consultation,
    *,
    commune_code: int | None,
    option_index: int | None,
    opinion: str | None,
    now: datetime,
) -> str | None:
    """Check an answer before it is recorded; the opinion's text, cleaned (None: none)."""
    check_open(consultation, now)
    if commune_code not in (consultation.commune_codes or []):
        raise Invalid("Xã của bạn không thuộc phạm vi lấy ý kiến này", code="out_of_scope")
    text = clean(opinion or "") or None
    if text is not None and len(text) > MAX_OPINION:
        raise Invalid("Ý kiến tối đa {limit} ký tự", code="too_long", limit=MAX_OPINION)
    if consultation.kind == "vote":
        if option_index is None or not 0 <= option_index < len(consultation.options):
            raise Invalid("Hãy chọn một phương án", code="no_option")
    elif not text:
        raise Invalid("Hãy nhập ý kiến của bạn", code="empty")
    return text


def do_answer(
    session: Session,
    *,
    consultation: Consultation,
    participant: str,
    commune_code: int | None,
    channel: str,
    option_index: int | None = None,
    opinion: str | None = None,
    contact_id: int | None = None,
    resident_id: int | None = None,
    now: datetime | None = None,
) -> ConsultationAnswer:
    """Record (or replace) one participant's answer."""
    now = now or utcnow()
    text = check_answer(
        consultation,
        commune_code=commune_code,
        option_index=option_index,
        opinion=opinion,
        now=now,
    )
    answer = session.scalar(
        select(ConsultationAnswer)
        .where(
            ConsultationAnswer.consultation_id == consultation.id,
            ConsultationAnswer.participant == participant,
        )
        .with_for_update()
    )
    if answer is None:
        answer = ConsultationAnswer(
            consultation_id=consultation.id,
            participant=participant,
            channel=channel,
            created_at=now,
        )
        session.add(answer)
    answer.contact_id = contact_id
    answer.resident_id = resident_id
    answer.commune_code = commune_code
    answer.option_index = option_index if consultation.kind == "vote" else None
    answer.opinion = text
    answer.channel = channel
    answer.updated_at = now
    session.flush()
    return answer


def match_option(consultation: Consultation, text: str) -> int | None:
    """The option a Zalo reply names: its number ("1") or its words, with or without accents."""
    folded = fold(text).strip(" .!")
    for prefix in ("chon ", "phuong an ", "pa "):
        folded = folded.removeprefix(prefix)
    if folded.isdigit() and 1 <= int(folded) <= len(consultation.options):
        return int(folded) - 1
    for index, option in enumerate(consultation.options):
        if folded == fold(option):
            return index
    return None


# --- results --------------------------------------------------------------------------------


def _suppress(count: int, public: bool) -> int | None:
    return None if public and count < PUBLIC_MIN else count


def listed_answered(session: Session, *, consultation: Consultation) -> dict[int, int]:
    """Per commune of the consultation, how many residents of its list answered (once each,
    whatever the channel): by their slip code on the web (the answer names the resident), or
    in Zalo with the phone the list gives them (the answer is the phone's). The numerator of
    the turnout, whose denominator is the same list: never above 100 %."""
    codes = list(consultation.commune_codes or [])
    if not codes:
        return {}
    by_slip = session.execute(
        select(Resident.id, Resident.commune_code)
        .join(ConsultationAnswer, ConsultationAnswer.resident_id == Resident.id)
        .where(
            ConsultationAnswer.consultation_id == consultation.id,
            Resident.commune_code.in_(codes),
        )
    ).all()
    answered: dict[int, int] = {int(rid): int(code) for rid, code in by_slip}
    phones = set(
        session.scalars(
            select(ConsultationAnswer.participant).where(
                ConsultationAnswer.consultation_id == consultation.id,
                ConsultationAnswer.participant.like("phone:%"),
            )
        )
    )
    if phones:
        for rid, code, phone in session.execute(
            select(Resident.id, Resident.commune_code, Resident.phone).where(
                Resident.commune_code.in_(codes), Resident.phone.is_not(None)
            )
        ):
            if phone_key(phone) in phones:
                answered[int(rid)] = int(code)
    counts: dict[int, int] = {}
    for code in answered.values():
        counts[code] = counts.get(code, 0) + 1
    return counts


def results(
    session: Session, *, consultation: Consultation, public: bool = False
) -> dict[str, Any]:
    """Counts per option and per commune, with the turnout of each commune that has a resident
    list: its listed residents who answered over the residents listed (None without a list:
    the counts alone say it). `public`: counts under 5 are None, and so is a turnout that
    would tell one."""
    answers = session.execute(
        select(ConsultationAnswer.commune_code, ConsultationAnswer.option_index, func.count())
        .where(ConsultationAnswer.consultation_id == consultation.id)
        .group_by(ConsultationAnswer.commune_code, ConsultationAnswer.option_index)
    ).all()
    eligible = dict(
        session.execute(
            select(Resident.commune_code, func.count())
            .where(Resident.commune_code.in_(consultation.commune_codes or []))
            .group_by(Resident.commune_code)
        ).all()
    )
    from_lists = listed_answered(session, consultation=consultation)
    communes: dict[int, dict[str, Any]] = {
        code: {"participants": 0, "options": [0] * len(consultation.options)}
        for code in consultation.commune_codes or []
    }
    overall = [0] * len(consultation.options)
    total = 0
    for code, index, count in answers:
        bucket = communes.setdefault(
            code or 0, {"participants": 0, "options": [0] * len(consultation.options)}
        )
        bucket["participants"] += count
        total += count
        if index is not None and 0 <= index < len(overall):
            bucket["options"][index] += count
            overall[index] += count
    by_commune = []
    for code, bucket in sorted(communes.items()):
        listed = int(eligible.get(code, 0))
        participants = bucket["participants"]
        answered = from_lists.get(code, 0)
        turnout = ratio(answered, listed)
        hidden = public and (participants < PUBLIC_MIN or answered < PUBLIC_MIN)
        by_commune.append(
            {
                "commune_code": code,
                "commune": geo.commune_name(code),
                "participants": _suppress(participants, public),
                "residents_listed": listed,
                "listed_answered": None if hidden else answered,
                # A share of one (0..1) like before; shown in percent by `kernel.numbers`.
                "turnout": None if hidden or turnout is None else round(turnout / 100, 4),
                "options": [
                    {"option": consultation.options[i], "count": _suppress(n, public)}
                    for i, n in enumerate(bucket["options"])
                ],
            }
        )
    return {
        "id": consultation.id,
        "title": consultation.title,
        "kind": consultation.kind,
        "closed": utcnow() >= consultation.closes_at,
        "participants": _suppress(total, public),
        "options": [
            {"option": option, "count": _suppress(overall[i], public)}
            for i, option in enumerate(consultation.options)
        ],
        "by_commune": by_commune,
        "suppressed_below": PUBLIC_MIN if public else None,
    }


def commune_result_text(consultation: Consultation, result: dict[str, Any], code: int) -> str:
    row = next((r for r in result["by_commune"] if r["commune_code"] == code), None)
    name = geo.commune_name(code) or "xã của bạn"
    lines = [f"Kết quả lấy ý kiến “{consultation.title}” tại {name}:"]
    if row is None or not row["participants"]:
        lines.append("Chưa đủ số người tham gia để công bố.")
    else:
        lines.append(f"Số người tham gia: {row['participants']}.")
        for option in row["options"]:
            count = option["count"]
            lines.append(f"- {option['option']}: {'dưới 5' if count is None else count}")
    lines.append("Cảm ơn bạn đã tham gia.")
    return "\n".join(lines)


def send_closed_results(
    session: Session, *, settings: Settings, now: datetime, limit: int = 200
) -> int:
    """Send each Zalo participant of a closed consultation the result in their commune (the
    public, suppressed figures). Each consultation is marked once all its messages are queued."""
    base_url = settings.base_url.rstrip("/")
    closed = session.scalars(
        select(Consultation)
        .where(Consultation.closes_at <= now, Consultation.results_sent_at.is_(None))
        .order_by(Consultation.id)
        .limit(5)
    )
    done = 0
    for consultation in closed:
        result = results(session, consultation=consultation, public=True)
        answers = session.execute(
            select(ConsultationAnswer, Contact)
            .join(Contact, Contact.id == ConsultationAnswer.contact_id)
            .where(ConsultationAnswer.consultation_id == consultation.id)
            .order_by(ConsultationAnswer.id)
        ).all()
        for answer, contact in answers:
            if contact.channel not in ("zalo_oa", "zalo_bot") or answer.commune_code is None:
                continue
            conversation = session.scalar(
                select(Conversation).where(Conversation.contact_id == contact.id)
            )
            if conversation is None:
                continue
            # The inbox's notice plan picks the channel: Zalo within its window, else a
            # template message to a shared phone, else a call task for the commune's staff.
            url = f"{base_url}/y-kien/{consultation.id}"
            send_notice(
                session,
                settings=settings,
                conversation=conversation,
                text=commune_result_text(consultation, result, answer.commune_code),
                kind="consultation_result",
                fields={
                    "title": consultation.title,
                    "result_url": url,
                    "date": f"{now.astimezone(LOCAL):%d/%m/%Y}",
                },
                ref=f"consultation:{consultation.id}",
                buttons=[link_button("Xem kết quả", url)],
            )
            done += 1
        consultation.results_sent_at = now
        audit.record(
            session,
            actor=None,
            action="consultation_results_sent",
            object_type="consultation",
            object_id=consultation.id,
            detail={"messages": done},
            via="worker",
        )
        done += 1
    return done


def results_estimate(
    session: Session,
    *,
    settings: Settings,
    consultation: Consultation,
    communes: list[int] | None = None,
) -> Estimate:
    """How the results would reach the Zalo participants when the consultation closes (by the
    notice plan), and what the template messages among them cost: shown before the bulk send.
    `communes`: the participants of those communes only (a staff member's scope, so that the
    figure counts the same people as the results beside it); None: all."""
    contacts = list(
        session.scalars(
            select(Contact)
            .join(ConsultationAnswer, ConsultationAnswer.contact_id == Contact.id)
            .where(
                ConsultationAnswer.consultation_id == consultation.id,
                ConsultationAnswer.commune_code.is_not(None),
                Contact.channel.in_(("zalo_oa", "zalo_bot")),
                *([] if communes is None else [ConsultationAnswer.commune_code.in_(communes)]),
            )
        ).unique()
    )
    at = max(consultation.closes_at, utcnow())
    fields = {"title": consultation.title, "result_url": "-", "date": "-"}
    return estimate(
        session,
        settings=settings,
        contacts=contacts,
        kind="consultation_result",
        fields=fields,
        at=at,
    )
