"""Consultations (lấy ý kiến nhân dân): opinions, or a decision by vote among options.

One answer per participant: a person known by phone ("phone:84…": a Zalo contact who shared
their phone, a resident listed with one, so the same person voting in Zalo and on the web counts
once), else a Zalo identity ("zalo_oa:<user id>") or an entry of a resident list a commune
imported from XLSX ("resident:<id>", for the web page). A new answer replaces the
earlier one until closing; after closing every answer is refused with a clear message. Results
are counted per commune with turnout (against the commune's resident list when there is one),
published on a public page once closed with every count under `PUBLIC_MIN` suppressed, and sent
back to each Zalo participant as the result in their commune.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.inbox.models import Contact, Conversation, Delivery, Direction, Message
from danvan.inbox.outbox import enqueue
from danvan.kernel import geo
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import clean, fold
from danvan.outreach.broadcasts import LOCAL
from danvan.outreach.models import Broadcast, Consultation, ConsultationAnswer, Resident

PUBLIC_MIN = 5  # counts below this are never shown in anything public
MAX_TITLE = 300
MAX_SUMMARY = 10_000
MAX_OPINION = 2000
MAX_OPTIONS = 10
MAX_OPTION = 200
MAX_RESIDENT_ROWS = 50_000
KINDS = ("vote", "opinion")
MAX_BUTTONS = 5  # under one Zalo OA message (see channels.zalo_oa.outbound.MAX_BUTTONS)

# Codes a citizen types or a Zalo button sends back: "#YK12 2" (option 2 of consultation 12),
# "#YK12 góp ý", "#YK12 <an opinion>", "#TD5 1,3" (poll 5). The "#" keeps ordinary words out.
CODE_PREFIXES = {"YK": "consultation", "TD": "poll"}
_CODE = re.compile(r"\s*#\s*(YK|TD)\s*(\d{1,9})(?!\d)[\s:.,;-]*(.*)", re.IGNORECASE | re.DOTALL)


def item_code(kind: str, item_id: int) -> str:
    """The code of a consultation ("#YK12") or a poll ("#TD5")."""
    prefix = next(p for p, k in CODE_PREFIXES.items() if k == kind)
    return f"#{prefix}{item_id}"


def parse_code(text: str) -> tuple[str, int, str] | None:
    """(kind, id, the rest of the text) of a message starting with a code, else None."""
    found = _CODE.match(text)
    if found is None:
        return None
    return CODE_PREFIXES[found.group(1).upper()], int(found.group(2)), found.group(3).strip()


def query_button(title: str, payload: str) -> dict[str, str]:
    """A Zalo OA button that sends `payload` back as the citizen's message."""
    return {"type": "oa.query.show", "title": title[:100], "payload": payload}


def link_button(title: str, url: str) -> dict[str, str]:
    return {"type": "oa.open.url", "title": title[:100], "payload": url}


def _fmt(when: datetime) -> str:
    return when.astimezone(LOCAL).strftime("%H:%M ngày %d/%m/%Y")


# --- staff ----------------------------------------------------------------------------------


def check_communes(actor: Actor, codes: list[int], *, province_code: int) -> list[int]:
    result = sorted(set(codes))
    if not result:
        if actor.is_admin:
            raise Invalid("Chọn ít nhất một xã", code="no_commune")
        result = sorted(actor.user.commune_codes)
    for code in result:
        commune = geo.get_commune(code)
        if commune is None or commune.province_code != province_code:
            raise Invalid("Mã xã {number} không thuộc tỉnh", code="bad_commune", number=code)
        if not actor.sees_commune(code):
            raise Invalid("Không có quyền với {commune}", code="out_of_scope", commune=commune.name)
    return result


def check_options(options: list[str], *, required: bool) -> list[str]:
    values = [clean(o) for o in options if clean(o)]
    if required and len(values) < 2:
        raise Invalid("Cần ít nhất hai phương án", code="few_options")
    if len(values) > MAX_OPTIONS:
        raise Invalid("Tối đa {limit} phương án", code="many_options", limit=MAX_OPTIONS)
    if any(len(v) > MAX_OPTION for v in values):
        raise Invalid("Mỗi phương án tối đa {limit} ký tự", code="long_option", limit=MAX_OPTION)
    if len({fold(v) for v in values}) != len(values):
        raise Invalid("Các phương án phải khác nhau", code="same_options")
    return values


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
    _forget_open_items()
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


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number, problem)


def do_import_residents(
    session: Session,
    *,
    actor: Actor,
    settings: Settings,
    commune_code: int,
    data: bytes,
) -> ImportReport:
    """Import a commune's resident list: an XLSX sheet with the columns "mã" (the code printed
    on the voting slip), "họ tên" and optionally "điện thoại" (header row first). Bad rows are
    reported one by one and skipped; good ones are stored."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    actor.require_write()
    check_communes(actor, [commune_code], province_code=settings.province)
    if len(data) > settings.outreach_max_document_bytes:
        raise Invalid("Tệp danh sách quá lớn", code="too_large")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise Invalid("Không đọc được tệp XLSX", code="bad_xlsx") from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [fold(str(c or "")) for c in next(rows, ())]
    try:
        code_col = header.index("ma")
        name_col = header.index("ho ten")
    except ValueError:
        raise Invalid("Dòng tiêu đề phải có cột “Mã” và “Họ tên”", code="bad_header") from None
    phone_col = header.index("dien thoai") if "dien thoai" in header else None
    report = ImportReport()
    existing = {
        r.code: r
        for r in session.scalars(select(Resident).where(Resident.commune_code == commune_code))
    }
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        if number > MAX_RESIDENT_ROWS:
            report.errors.append((number, f"Quá {MAX_RESIDENT_ROWS} dòng; phần còn lại bỏ qua"))
            break
        if not row or all(c is None or str(c).strip() == "" for c in row):
            continue
        code = clean(str(row[code_col] or "")) if code_col < len(row) else ""
        name = clean(str(row[name_col] or "")) if name_col < len(row) else ""
        phone = ""
        if phone_col is not None and phone_col < len(row) and row[phone_col] is not None:
            phone = "".join(ch for ch in str(row[phone_col]) if ch.isdigit())
        if not code or len(code) > 32:
            report.errors.append((number, "Thiếu mã hoặc mã dài quá 32 ký tự"))
            continue
        if not name or len(name) > 200:
            report.errors.append((number, "Thiếu họ tên hoặc họ tên dài quá 200 ký tự"))
            continue
        if phone and not 9 <= len(phone) <= 12:
            report.errors.append((number, "Số điện thoại không hợp lệ"))
            continue
        if code in seen:
            report.errors.append((number, f"Mã {code} bị trùng trong tệp"))
            continue
        seen.add(code)
        resident = existing.get(code)
        if resident is None:
            session.add(
                Resident(commune_code=commune_code, code=code, full_name=name, phone=phone or None)
            )
            report.imported += 1
        else:
            resident.full_name = name
            resident.phone = phone or None
            report.updated += 1
    audit.record(
        session,
        actor=actor,
        action="residents_import",
        object_type="commune",
        object_id=commune_code,
        detail={
            "imported": report.imported,
            "updated": report.updated,
            "errors": len(report.errors),
        },
    )
    return report


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


def participant_for(contact: Contact) -> str:
    """Who a Zalo contact is for "one answer per person": their shared phone when there is
    one, else their identity on the channel."""
    return phone_key(contact.phone) or f"{contact.channel}:{contact.external_id}"


def rekey_by_phone(session: Session, *, contact: Contact, now: datetime | None = None) -> int:
    """The contact has just shared their phone: their answers to OPEN consultations, recorded
    under their Zalo identity, become the phone's. Where the phone already answered (the same
    person in another Zalo account, or on the web with their resident code) the most recent
    answer is kept and the other deleted: one answer per person. Returns answers re-keyed."""
    key = phone_key(contact.phone)
    if key is None:
        return 0
    now = now or utcnow()
    moved = 0
    rows = session.execute(
        select(ConsultationAnswer, Consultation)
        .join(Consultation, Consultation.id == ConsultationAnswer.consultation_id)
        .where(
            ConsultationAnswer.participant == f"{contact.channel}:{contact.external_id}",
            Consultation.opens_at <= now,
            Consultation.closes_at > now,
        )
        .order_by(ConsultationAnswer.id)
    ).all()
    for answer, consultation in rows:
        other = session.scalar(
            select(ConsultationAnswer)
            .where(
                ConsultationAnswer.consultation_id == consultation.id,
                ConsultationAnswer.participant == key,
            )
            .with_for_update()
        )
        if other is not None:
            if other.updated_at > answer.updated_at:
                session.delete(answer)
                session.flush()
                continue
            session.delete(other)
            session.flush()  # the key is free before this answer takes it
        answer.participant = key
        moved += 1
    session.flush()
    return moved


def check_open(consultation: Consultation, now: datetime) -> None:
    if now < consultation.opens_at:
        raise Invalid(
            "Đợt lấy ý kiến chưa mở (mở lúc {at})",
            code="not_open",
            at=_fmt(consultation.opens_at),
        )
    if now >= consultation.closes_at:
        raise Invalid(
            "Đợt lấy ý kiến đã kết thúc lúc {at}; ý kiến gửi sau thời điểm này không được ghi nhận",
            code="closed",
            at=_fmt(consultation.closes_at),
        )


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


def answer_as_resident(
    session: Session,
    *,
    consultation: Consultation,
    commune_code: int,
    resident_code: str,
    option_index: int | None,
    opinion: str | None,
    now: datetime | None = None,
) -> ConsultationAnswer:
    """The public web page: the resident names their commune and slip code."""
    check_open(consultation, now or utcnow())
    code = clean(resident_code)[:32]
    resident = session.scalar(
        select(Resident).where(Resident.commune_code == commune_code, Resident.code == code)
    )
    if resident is None:
        raise Invalid(
            "Mã cử tri không có trong danh sách của xã; liên hệ UBND xã để được cấp mã",
            code="unknown_resident",
        )
    return do_answer(
        session,
        consultation=consultation,
        participant=phone_key(resident.phone) or f"resident:{resident.id}",
        commune_code=commune_code,
        channel="web",
        option_index=option_index,
        opinion=opinion,
        resident_id=resident.id,
        now=now,
    )


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


def answer_from_message(
    session: Session, *, contact: Contact, text: str, now: datetime | None = None
) -> ConsultationAnswer | None:
    """A Zalo message matching an option of exactly one open vote in the citizen's commune is
    their vote (a later one replaces it). Anything else is an ordinary message."""
    if contact.commune_code is None or not text or len(text) > MAX_OPTION:
        return None
    now = now or utcnow()
    candidates = [
        c
        for c in session.scalars(
            select(Consultation).where(
                Consultation.kind == "vote",
                Consultation.opens_at <= now,
                Consultation.closes_at > now,
            )
        )
        if contact.commune_code in (c.commune_codes or [])
    ]
    matches = [(c, i) for c in candidates if (i := match_option(c, text)) is not None]
    if len(matches) != 1:
        return None
    consultation, index = matches[0]
    return do_answer(
        session,
        consultation=consultation,
        participant=participant_for(contact),
        commune_code=contact.commune_code,
        channel=contact.channel,
        option_index=index,
        contact_id=contact.id,
        now=now,
    )


# --- results --------------------------------------------------------------------------------


def _suppress(count: int, public: bool) -> int | None:
    return None if public and count < PUBLIC_MIN else count


def results(
    session: Session, *, consultation: Consultation, public: bool = False
) -> dict[str, Any]:
    """Counts per option and per commune with turnout. `public`: counts under 5 are None."""
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
        turnout = round(participants / listed, 4) if listed else None
        hidden = public and participants < PUBLIC_MIN
        by_commune.append(
            {
                "commune_code": code,
                "commune": geo.commune_name(code),
                "participants": _suppress(participants, public),
                "residents_listed": listed,
                "turnout": None if hidden else turnout,
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
            message = Message(
                conversation_id=conversation.id,
                channel=contact.channel,
                direction=Direction.OUT,
                text=commune_result_text(consultation, result, answer.commune_code),
                source="system",
                delivery_status=Delivery.QUEUED,
                created_at=now,
            )
            session.add(message)
            session.flush()
            enqueue(
                session,
                message=message,
                recipient=contact.external_id,
                buttons=[link_button("Xem kết quả", f"{base_url}/y-kien/{consultation.id}")],
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


def minutes_docx(
    session: Session, *, consultation: Consultation, settings: Settings | None = None
) -> bytes:
    """Biên bản: the process (dates, scope, channels) and the outcome per commune; for an
    opinion consultation, the opinions in aggregate ("Tổng hợp ý kiến", needs `settings` for
    the classifiers)."""
    from docx import Document

    from danvan.outreach import opinions as consultation_analysis

    result = results(session, consultation=consultation)
    doc = Document()
    doc.add_heading("BIÊN BẢN KẾT QUẢ LẤY Ý KIẾN NHÂN DÂN", level=1)
    doc.add_paragraph(f"Nội dung: {consultation.title}")
    if consultation.summary:
        doc.add_paragraph(f"Tóm tắt: {consultation.summary}")
    kind = "Biểu quyết" if consultation.kind == "vote" else "Góp ý"
    doc.add_paragraph(f"Hình thức: {kind}")
    doc.add_paragraph(
        f"Thời gian: từ {_fmt(consultation.opens_at)} đến {_fmt(consultation.closes_at)}"
    )
    names = ", ".join(geo.commune_name(c) for c in consultation.commune_codes or [])
    doc.add_paragraph(f"Phạm vi: {names}")
    doc.add_paragraph(
        "Cách thức: người dân trả lời qua Zalo OA (mỗi tài khoản Zalo một phiếu) hoặc trên trang "
        "web bằng mã cử tri trong danh sách do xã lập; phiếu gửi lại thay thế phiếu trước cho "
        "đến khi kết thúc."
    )
    if consultation.document_name:
        doc.add_paragraph(f"Tài liệu kèm theo: {consultation.document_name}")
    doc.add_heading("Kết quả", level=2)
    doc.add_paragraph(f"Tổng số người tham gia: {result['participants']}")
    for option in result["options"]:
        doc.add_paragraph(f"{option['option']}: {option['count']}", style="List Bullet")
    doc.add_heading("Theo xã", level=2)
    headers = ["Xã", "Tham gia", "Danh sách", "Tỷ lệ", *consultation.options]
    table = doc.add_table(rows=1, cols=len(headers))
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    for row in result["by_commune"]:
        turnout = f"{row['turnout'] * 100:.1f}%" if row["turnout"] is not None else "—"
        values = [
            row["commune"],
            str(row["participants"]),
            str(row["residents_listed"] or "—"),
            turnout,
            *[str(o["count"]) for o in row["options"]],
        ]
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = text
    if consultation.kind == "opinion":
        count = session.scalar(
            select(func.count()).where(
                ConsultationAnswer.consultation_id == consultation.id,
                ConsultationAnswer.opinion.is_not(None),
            )
        )
        doc.add_paragraph(f"Số ý kiến góp ý nhận được: {count or 0}")
        model_set = (
            consultation_analysis.model_set_if_ready(session, settings) if settings else None
        )
        consultation_analysis.docx_section(
            doc,
            consultation_analysis.summarise(
                session, consultation=consultation, model_set=model_set
            ),
        )
    doc.add_paragraph(f"Lập lúc {_fmt(utcnow())} bởi hệ thống danvan.")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def vote_open(session: Session, now: datetime | None = None) -> bool:
    """Whether any consultation vote is open now (one indexed read)."""
    now = now or utcnow()
    found = session.scalar(
        select(Consultation.id)
        .where(
            Consultation.kind == "vote",
            Consultation.opens_at <= now,
            Consultation.closes_at > now,
        )
        .limit(1)
    )
    return found is not None


def any_open(session: Session, now: datetime | None = None) -> bool:
    """Whether any consultation (vote or opinion) is open now (one indexed read)."""
    now = now or utcnow()
    found = session.scalar(
        select(Consultation.id)
        .where(Consultation.opens_at <= now, Consultation.closes_at > now)
        .limit(1)
    )
    return found is not None


def on_inbound_message(
    session: Session, *, channel: str, user_id: str, text: str, now: datetime | None = None
) -> ConsultationAnswer | None:
    """Called by ingest for each new citizen text: a vote when it names an option of an open
    vote in their commune, acknowledged through the outbox. Cheap when no vote is open."""
    text = clean(text)
    if channel not in ("zalo_oa", "zalo_bot") or not text or len(text) > MAX_OPTION:
        return None
    now = now or utcnow()
    if not vote_open(session, now):
        return None
    contact = session.scalar(
        select(Contact).where(Contact.channel == channel, Contact.external_id == user_id)
    )
    if contact is None:
        return None
    answer = answer_from_message(session, contact=contact, text=text, now=now)
    if answer is None:
        return None
    consultation = session.get(Consultation, answer.consultation_id)
    conversation = session.scalar(select(Conversation).where(Conversation.contact_id == contact.id))
    if consultation is not None and conversation is not None and answer.option_index is not None:
        ack = Message(
            conversation_id=conversation.id,
            channel=channel,
            direction=Direction.OUT,
            text=(
                f"Đã ghi nhận lựa chọn “{consultation.options[answer.option_index]}” cho "
                f"“{consultation.title}”. Bạn có thể đổi lựa chọn trước "
                f"{_fmt(consultation.closes_at)}."
            ),
            source="system",
            delivery_status=Delivery.QUEUED,
            created_at=now,
        )
        session.add(ack)
        session.flush()
        enqueue(session, message=ack, recipient=contact.external_id)
        from danvan.outreach import flow as consultation_flow  # it imports this module

        consultation_flow.ask_phone_once(session, contact, answer, now=now)
    return answer


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
    lines.append(f"Hạn chót: {_fmt(consultation.closes_at)}.")
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


def _forget_open_items() -> None:
    from danvan.outreach.citizens import forget_open_items

    forget_open_items()
