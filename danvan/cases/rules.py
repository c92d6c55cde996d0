"""The deployment's rules for cases: the status lifecycle, SLAs in working days, case codes and
the Vietnamese notices sent to citizens. Pure functions over `Settings` (no database), except
`next_code`, which bumps the period's counter in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from danvan.cases.models import CaseCounter
from danvan.kernel.settings import Settings
from danvan.kernel.workdays import WorkCalendar

OPEN, ANSWERED, CLOSED = "open", "answered", "closed"
KINDS = (OPEN, ANSWERED, CLOSED)

DEFAULT_STATUSES: tuple[dict[str, object], ...] = (
    {"code": "received", "vi": "Đã tiếp nhận", "en": "Received", "kind": OPEN, "public": True},
    {
        "code": "assigned",
        "vi": "Đã phân công xử lý",
        "en": "Assigned",
        "kind": OPEN,
        "public": True,
    },
    {"code": "in_progress", "vi": "Đang xử lý", "en": "In progress", "kind": OPEN, "public": True},
    {
        "code": "transferred",
        "vi": "Đã chuyển đơn vị khác",
        "en": "Transferred",
        "kind": OPEN,
        "public": True,
    },
    {"code": "answered", "vi": "Đã trả lời", "en": "Answered", "kind": ANSWERED, "public": True},
    {"code": "closed", "vi": "Đã kết thúc", "en": "Closed", "kind": CLOSED, "public": True},
    {"code": "duplicate", "vi": "Trùng lặp", "en": "Duplicate", "kind": CLOSED, "public": True},
    {
        "code": "declined",
        "vi": "Không thụ lý",
        "en": "Declined",
        "kind": CLOSED,
        "public": True,
        "needs_reason": True,
    },
)
# Statuses the code itself moves cases to; a deployment's list must keep them.
REQUIRED = ("assigned", "transferred", "answered", "closed", "duplicate")

DEFAULT_SLA = {
    "default": [1, 10],  # acknowledge within 1 working day, answer within 10
    "land": [2, 30],
    "security": [1, 5],
    "health": [1, 7],
}


@dataclass(frozen=True)
class Status:
    code: str
    vi: str
    en: str
    kind: str
    public: bool = True
    needs_reason: bool = False

    def name(self, locale: str = "vi") -> str:
        return self.en if locale == "en" else self.vi


class RulesError(ValueError):
    pass


def statuses(settings: Settings) -> tuple[Status, ...]:
    raw = settings.case_statuses or list(DEFAULT_STATUSES)
    try:
        found = tuple(
            Status(
                code=str(s["code"]),
                vi=str(s.get("vi", s["code"])),
                en=str(s.get("en", s["code"])),
                kind=str(s.get("kind", OPEN)),
                public=bool(s.get("public", True)),
                needs_reason=bool(s.get("needs_reason", False)),
            )
            for s in raw
        )
    except (KeyError, TypeError) as exc:
        raise RulesError(f"DANVAN_CASE_STATUSES is malformed: {exc}") from exc
    codes = [s.code for s in found]
    if len(set(codes)) != len(codes) or any(s.kind not in KINDS for s in found):
        raise RulesError("DANVAN_CASE_STATUSES: codes must be unique, kinds open|answered|closed")
    missing = [code for code in REQUIRED if code not in codes]
    if missing or found[0].kind != OPEN:
        raise RulesError(f"DANVAN_CASE_STATUSES must start open and keep {', '.join(REQUIRED)}")
    return found


def status_of(settings: Settings, code: str) -> Status | None:
    return next((s for s in statuses(settings) if s.code == code), None)


def status_name(settings: Settings, code: str, locale: str = "vi") -> str:
    status = status_of(settings, code)
    return status.name(locale) if status else code


def calendar(settings: Settings) -> WorkCalendar:
    return WorkCalendar(
        timezone=settings.timezone,
        extra_days_off=settings.case_extra_days_off,
        extra_working_days=settings.case_extra_working_days,
    )


def sla(settings: Settings, category: str) -> tuple[int, int]:
    table = {**DEFAULT_SLA, **settings.case_sla}
    ack, answer = table.get(category) or table["default"]
    return int(ack), int(answer)


def due_dates(
    settings: Settings, *, category: str, received_at: datetime
) -> tuple[datetime, datetime]:
    """(acknowledge by, answer by): ends of working days in the deployment's zone."""
    ack, answer = sla(settings, category)
    cal = calendar(settings)
    return cal.add_working_days(received_at, ack), cal.add_working_days(received_at, answer)


def period(settings: Settings, at: datetime) -> str:
    """`TQ-2611`: the prefix and the local year and month of `at`."""
    local = at.astimezone(ZoneInfo(settings.timezone))
    return f"{settings.case_code_prefix}-{local:%y%m}"


def next_code(session: Session, *, settings: Settings, at: datetime) -> str:
    """The next code of `at`'s month. One atomic upsert on the counter row: concurrent
    transactions queue on that row (PostgreSQL) or on the write lock (SQLite)."""
    key = period(settings, at)
    dialect = session.get_bind().dialect.name
    table = cast(Table, CaseCounter.__table__)
    stmt: object
    if dialect == "postgresql":
        pg = postgresql.insert(table).values(period=key, value=1)
        stmt = pg.on_conflict_do_update(
            index_elements=["period"], set_={"value": table.c.value + 1}
        )
    elif dialect == "sqlite":
        lite = sqlite.insert(table).values(period=key, value=1)
        stmt = lite.on_conflict_do_update(
            index_elements=["period"], set_={"value": table.c.value + 1}
        )
    else:  # pragma: no cover - only the two supported backends
        stmt = insert(table).values(period=key, value=1)
    value = session.execute(stmt.returning(table.c.value)).scalar_one()
    return f"{key}-{value:04d}"


# --- Notices to citizens (Vietnamese: the citizen's channel speaks Vietnamese) ----------------


def lookup_url(settings: Settings, code: str) -> str:
    return f"{settings.base_url.rstrip('/')}/tra-cuu/{code}"


def status_notice(
    settings: Settings,
    *,
    code: str,
    status: Status,
    answer: str = "",
    reason: str = "",
    feedback_link: str = "",
) -> str:
    """The message telling a citizen their case moved to `status`."""
    lines = [f"Phản ánh mã {code} của bạn: {status.vi}."]
    if answer:
        lines.append(f"Trả lời: {answer}")
    if reason:
        lines.append(f"Lý do: {reason}")
    lines.append(f"Theo dõi tại: {lookup_url(settings, code)}")
    if feedback_link:
        lines.append(
            f"Nếu chưa hài lòng, trong {settings.case_reopen_days} ngày bạn có thể đề nghị "
            f"xem xét lại tại: {feedback_link}"
        )
    return "\n".join(lines)


def created_notice(settings: Settings, *, code: str, due_at: datetime) -> str:
    due = due_at.astimezone(ZoneInfo(settings.timezone))
    return (
        f"Phản ánh của bạn đã được tiếp nhận với mã {code}. Hạn trả lời: {due:%d/%m/%Y}.\n"
        f"Theo dõi tại: {lookup_url(settings, code)}"
    )


def merged_notice(settings: Settings, *, code: str, into: str) -> str:
    return (
        f"Phản ánh mã {code} của bạn trùng nội dung với phản ánh {into} và đã được gộp để xử lý "
        f"chung. Theo dõi tại: {lookup_url(settings, into)}"
    )


def rating_notice(settings: Settings, *, code: str, link: str) -> str:
    return (
        f"Phản ánh mã {code} đã kết thúc. Bạn hài lòng với kết quả giải quyết ở mức nào "
        f"(1 đến 5 sao)? Bạn có thể trả lời tin nhắn này bằng một số từ 1 đến 5, hoặc đánh giá "
        f"tại: {link}"
    )
