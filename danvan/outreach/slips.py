"""Voting slips: the code a listed resident types on a consultation's web page (/y-kien/{id}).

- **Codes are danvan's, random and unguessable**: 10 characters of Crockford's base32 (no I, L,
  O or U; 50 bits from `secrets`), printed in groups as `K7QD-3MXA-9P`. Typing is forgiving:
  case, spaces and dashes do not matter, and O, I and L are read as 0, 1 and 1.
- **Only a keyed hash is stored** (HMAC-SHA256 under the deployment's secret key): a copy of the
  database does not give the codes, and 50 bits cannot be tried offline without the key. The
  code itself exists once, in the slips list handed to staff when it is issued (`do_issue`).
  Rotating `DANVAN_SECRET_KEY` voids every slip: issue them again.
- **Wrong codes are limited** (`kernel.ratelimit`): per client network and per consultation; a
  client over its limit is refused before its code is even looked up.
- **A changed vote is visible and audited**: a resident who already answered is told what and
  when, and asked to confirm; the confirmation says it was changed; the audit log records who
  (the resident's list entry) and what changed (option, opinion), never the values.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.kernel import geo, ratelimit
from danvan.kernel.documents import append_row
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.outreach.consultations import check_answer, do_answer, phone_key
from danvan.outreach.items import check_communes, network
from danvan.outreach.models import Consultation, ConsultationAnswer, Resident

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
LENGTH = 10  # 50 bits
GROUPS = (4, 4, 2)
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})

# Wrong codes: a client network (IPv4 address, IPv6 /64) gets this many per window across
# consultations; a consultation this many from all clients together (a spread-out guessing run
# stops there too: the web page then waits, Zalo answers go on).
WRONG_PER_CLIENT = 10
WRONG_PER_CONSULTATION = 200
WRONG_WINDOW = timedelta(minutes=30)


def new_code() -> str:
    """A fresh slip code, "K7QD-3MXA-9P"."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    parts, start = [], 0
    for size in GROUPS:
        parts.append(raw[start : start + size])
        start += size
    return "-".join(parts)


def canonical(text: str) -> str | None:
    """The code as stored (hashed): upper case, no spaces or dashes, O/I/L read as 0/1/1;
    None when it cannot be a slip code."""
    raw = "".join(ch for ch in text.upper() if ch not in " -.\t").translate(_READ_AS)
    if len(raw) != LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def code_hash(secret_key: str, code: str) -> str:
    """The keyed hash stored for a (canonical) slip code."""
    message = f"danvan.outreach.slip|{code}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def issue_code(resident: Resident, *, secret_key: str, now: datetime | None = None) -> str:
    """Give `resident` a new slip code (any earlier one stops working); the code, to print."""
    code = new_code()
    canon = canonical(code)
    assert canon is not None
    resident.code_hash = code_hash(secret_key, canon)
    resident.code_issued_at = now or utcnow()
    return code


def do_issue(
    session: Session, *, actor: Actor, settings: Settings, commune_code: int, again: bool = False
) -> list[tuple[Resident, str]]:
    """Issue slip codes to a commune's listed residents who have none (`again`: to every one
    of them, voiding the earlier slips): each resident and their new code, in list order."""
    actor.require_write()
    check_communes(actor, [commune_code], province_code=settings.province)
    query = select(Resident).where(Resident.commune_code == commune_code)
    if not again:
        query = query.where(Resident.code_hash.is_(None))
    now = utcnow()
    issued = [
        (resident, issue_code(resident, secret_key=settings.secret_key, now=now))
        for resident in session.scalars(query.order_by(Resident.id))
    ]
    audit.record(
        session,
        actor=actor,
        action="resident_slips_issue",
        object_type="commune",
        object_id=commune_code,
        detail={"issued": len(issued), "again": again},
    )
    return issued


def slips_xlsx(commune_code: int, issued: list[tuple[Resident, str]]) -> bytes:
    """The list of issued slips to print and hand out: reference, name, code."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Ma phieu"
    append_row(sheet, [f"Mã phiếu lấy ý kiến – {geo.commune_name(commune_code)}"])
    append_row(sheet, ["STT/Mã trong danh sách", "Họ tên", "Mã phiếu"])
    for resident, code in issued:
        append_row(sheet, [resident.code, resident.full_name, code])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the web page's answers ---------------------------------------------------------------------


@dataclass(frozen=True)
class Earlier:
    """What a resident had answered before (any channel): shown to them, never stored again."""

    option_index: int | None
    opinion: bool
    at: datetime


@dataclass(frozen=True)
class WebAnswer:
    answer: ConsultationAnswer | None  # None: not recorded, the change waits for confirmation
    earlier: Earlier | None  # the answer it replaces (or would replace)
    changed: bool  # an earlier, different answer was replaced


def _over(session: Session, *, key: str, limit: int) -> bool:
    """Whether `key`'s current window already holds `limit` wrong codes (counts nothing)."""
    found = ratelimit.peek(session, key=key)
    return found is not None and found[0] > utcnow() - WRONG_WINDOW and found[1] >= limit


def _client_key(client: str) -> str:
    return f"slip-wrong:client:{network(client, v4=32, v6=64)}"


def _find(session: Session, *, settings: Settings, commune_code: int, code: str) -> Resident | None:
    canon = canonical(code)
    if canon is None:
        return None
    return session.scalar(
        select(Resident)
        .where(
            Resident.commune_code == commune_code,
            Resident.code_hash == code_hash(settings.secret_key, canon),
        )
        .limit(1)
    )


def answer_with_code(
    session: Session,
    *,
    settings: Settings,
    consultation: Consultation,
    commune_code: int,
    code: str,
    option_index: int | None,
    opinion: str | None,
    client: str,
    confirm_change: bool = False,
    now: datetime | None = None,
) -> WebAnswer:
    """The public web page: a listed resident answers with their commune and slip code. An
    earlier, different answer is replaced only with `confirm_change` (else nothing is written
    and `earlier` says what it was); a wrong code counts against the client and the
    consultation, and a client or consultation over its limit is refused before any lookup."""
    now = now or utcnow()
    text = check_answer(
        consultation, commune_code=commune_code, option_index=option_index, opinion=opinion, now=now
    )
    keys = {
        _client_key(client): WRONG_PER_CLIENT,
        f"slip-wrong:consultation:{consultation.id}": WRONG_PER_CONSULTATION,
    }
    if any(_over(session, key=key, limit=limit) for key, limit in keys.items()):
        raise Invalid(
            "Đã nhập sai mã phiếu quá nhiều lần. Vui lòng thử lại sau {minutes} phút, hoặc liên "
            "hệ UBND xã để được hỗ trợ",
            code="too_many_codes",
            minutes=int(WRONG_WINDOW.total_seconds() // 60),
        )
    resident = _find(session, settings=settings, commune_code=commune_code, code=code)
    if resident is None:
        for key, limit in keys.items():
            ratelimit.hit(session, key=key, limit=limit, window=WRONG_WINDOW)
        raise Invalid(
            "Mã phiếu không đúng hoặc không thuộc xã đã chọn. Kiểm tra lại mã trên phiếu, hoặc "
            "liên hệ UBND xã để được cấp phiếu",
            code="unknown_resident",
        )
    participant = phone_key(resident.phone) or f"resident:{resident.id}"
    before = session.scalar(
        select(ConsultationAnswer).where(
            ConsultationAnswer.consultation_id == consultation.id,
            ConsultationAnswer.participant == participant,
        )
    )
    earlier = None
    changes: list[str] = []
    if before is not None:
        earlier = Earlier(
            option_index=before.option_index,
            opinion=bool(before.opinion),
            at=before.updated_at,
        )
        new_option = option_index if consultation.kind == "vote" else None
        changes = [
            field
            for field, old, new in (
                ("option", before.option_index, new_option),
                ("opinion", before.opinion, text),
            )
            if old != new
        ]
        if not changes:
            return WebAnswer(answer=before, earlier=earlier, changed=False)
        if not confirm_change:
            return WebAnswer(answer=None, earlier=earlier, changed=False)
    answer = do_answer(
        session,
        consultation=consultation,
        participant=participant,
        commune_code=commune_code,
        channel="web",
        option_index=option_index,
        opinion=text,
        resident_id=resident.id,
        now=now,
    )
    if before is not None:
        audit.record(
            session,
            actor=None,
            action="consultation_answer_change",
            object_type="consultation",
            object_id=consultation.id,
            detail={
                "resident_id": resident.id,
                "changed": changes,
                "earlier_at": earlier.at.isoformat() if earlier else None,
                "earlier_channel": before.channel,
            },
            via="web",
        )
    return WebAnswer(answer=answer, earlier=earlier, changed=before is not None)
