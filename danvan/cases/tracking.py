"""The citizen's side of a case, reached by its code: the public status page's view, the code
lookup, and the signed rating link with the rating it records."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.cases import rules as rules
from danvan.cases.access import timeline
from danvan.cases.events import add_event
from danvan.cases.masking import masked_texts
from danvan.cases.models import Case
from danvan.kernel import geo, taxonomy
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.ratelimit import hit
from danvan.kernel.settings import Settings
from danvan.kernel.text import clean

MAX_RATING_COMMENT = 1000
# Anonymous reads of cases (/tra-cuu, keyless Open311), found or not, per client and window:
# codes are sequential, so this is what keeps anyone from walking them all.
LOOKUPS_PER_WINDOW = 60
LOOKUP_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class PublicStep:
    at: datetime
    kind: str
    status: str | None


@dataclass(frozen=True)
class PublicCase:
    """What anyone holding the code may see: no name, phone, staff name or internal note."""

    code: str
    title: str
    category: str
    commune_name: str
    status: str
    status_kind: str
    received_at: datetime
    due_at: datetime
    answered_at: datetime | None
    closed_at: datetime | None
    answer: str
    reason: str
    merged_into: str | None
    steps: list[PublicStep] = field(default_factory=list)
    rated: bool = False


def public_text(case: Case, field: str) -> str:
    """A case's text on its way to a public surface ("answer", "reason", "description"), masked
    all the same (a second line of defence: staff may paste a citizen's words): names, phones,
    ID numbers, e-mails, as the worker masked them (danvan.cases.masking). Empty while the
    worker has not masked it yet: never shown unmasked."""
    masked = masked_texts(case)
    return masked[field] if masked is not None else ""


def public_title(case: Case, locale: str = "vi") -> str:
    """The title anyone may read: the one staff wrote or approved, masked; until then (and
    until the worker masked it) a neutral one built from the category and the commune, never
    the citizen's (or partner's) words."""
    masked = masked_texts(case)
    if case.public_title and masked is not None and masked["title"]:
        return masked["title"]
    return neutral_title(case, locale)


def neutral_title(case: Case, locale: str = "vi") -> str:
    """ "Giao thông – Xã Minh Quang": the category and the commune, nobody's words."""
    category = taxonomy.topic_name(case.category, locale)
    commune = geo.commune_name(case.commune_code) if case.commune_code else ""
    return f"{category} – {commune}" if commune else category


def public_view(
    session: Session, *, settings: Settings, case: Case, locale: str = "vi"
) -> PublicCase:
    into = session.get(Case, case.merged_into_id) if case.merged_into_id else None
    steps = [
        PublicStep(
            at=e.at,
            kind=e.kind,
            status=rules.status_name(settings, e.to_status, locale) if e.to_status else None,
        )
        for e in timeline(session, case=case, public_only=True)
        if e.kind != "replied"
    ]
    return PublicCase(
        code=case.code,
        title=public_title(case, locale),
        category=taxonomy.topic_name(case.category, locale),
        commune_name=geo.commune_name(case.commune_code),
        status=rules.status_name(settings, case.status, locale),
        status_kind=case.status_kind,
        received_at=case.received_at,
        due_at=case.due_at,
        answered_at=case.answered_at,
        closed_at=case.closed_at,
        answer=public_text(case, "answer"),
        reason=public_text(case, "reason"),
        merged_into=into.code if into else None,
        steps=steps,
        rated=case.rating is not None,
    )


def lookup_allowed(session: Session, client: str) -> bool:
    """Count one anonymous read of cases by `client` (an IP); False past the limit. The public
    page and keyless Open311 share the count, so neither is a way around the other."""
    return hit(
        session, key=f"case_lookup:{client[:64]}", limit=LOOKUPS_PER_WINDOW, window=LOOKUP_WINDOW
    )


def normalize_code(text: str) -> str | None:
    code = clean(text).upper().replace(" ", "")
    if not 6 <= len(code) <= 32 or not all(ch.isalnum() or ch == "-" for ch in code):
        return None
    return code


def find_by_code(session: Session, code: str) -> Case | None:
    canonical = normalize_code(code)
    if canonical is None:
        return None
    return session.scalar(select(Case).where(Case.code == canonical))


def rating_token(settings: Settings, case: Case) -> str:
    """Proves the holder got the rating request (the code alone is guessable)."""
    message = f"case-rating:{case.id}:{case.code}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def rating_link(settings: Settings, case: Case) -> str:
    return f"{rules.lookup_url(settings, case.code)}/phan-hoi?t={rating_token(settings, case)}"


def do_rate(
    session: Session, *, settings: Settings, case: Case, token: str, rating: int, comment: str
) -> None:
    """The citizen's 1–5 rating of an ended case (once)."""
    if not hmac.compare_digest(token, rating_token(settings, case)):
        raise NotFound("Không tìm thấy phản ánh")
    if case.status_kind == rules.OPEN:
        raise Invalid("Phản ánh chưa được trả lời", code="open")
    if case.rating is not None:
        raise Invalid("Bạn đã đánh giá phản ánh này", code="already_rated")
    if rating not in range(1, 6):
        raise Invalid("Điểm đánh giá từ 1 đến 5", code="rating")
    comment = clean(comment)
    if len(comment) > MAX_RATING_COMMENT:
        raise Invalid("Nhận xét dài quá {limit} ký tự", code="too_long", limit=MAX_RATING_COMMENT)
    record_rating(session, case, rating=rating, comment=comment, via="public")


def record_rating(session: Session, case: Case, *, rating: int, comment: str, via: str) -> None:
    """Store the citizen's rating (from their web page or their Zalo reply)."""
    comment = clean(comment)[:MAX_RATING_COMMENT]
    case.rating = rating
    case.rating_comment = comment
    case.rated_at = utcnow()
    add_event(session, case, kind="rated", actor=None, detail={"rating": rating, "via": via})
    audit.record(
        session, actor=None, action="case_rate", object_type="case", object_id=case.id, via=via
    )
