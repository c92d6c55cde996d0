"""The situation report: what people raised over a period, gathered once and rendered as
DOCX, XLSX, PDF or HTML (`danvan.opinion.render`).

`access_situation` picks the view (scope) and checks the period; `build_situation` reads the
figures (rollups, issues, a few masked quotes, case figures); `do_situation_report` renders and
records the audit entry. Figures outside the actor's own scope are suppressed under 5.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.inbox.models import Message
from danvan.kernel import areas, geo, taxonomy
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.numbers import change, percent
from danvan.opinion import rollup_reads
from danvan.opinion.models import ALL_COMMUNES, NO_COMMUNE, EmergingIssue, MessageAnalysis
from danvan.opinion.quotes import shown
from danvan.opinion.rollups import day_bounds, zone
from danvan.opinion.scope import View, province_title, view_for

FORMATS = ("docx", "xlsx", "pdf", "html")
TOP_CONCERNS = 8
QUOTES_PER_TOPIC = 2
QUOTE_TOPICS = 4
QUOTE_MAX = 300
ISSUES_SHOWN = 10

SENTIMENT_VI = {"negative": "Tiêu cực", "neutral": "Trung lập", "positive": "Tích cực"}
KIND_VI = {
    "question": "Hỏi",
    "complaint": "Phản ánh, khiếu nại",
    "suggestion": "Kiến nghị, đề xuất",
    "praise": "Khen ngợi",
    "information": "Cung cấp thông tin",
    "other": "Khác",
}
CHANNEL_VI = {"zalo_oa": "Zalo OA", "zalo_bot": "Zalo Bot", "web": "Cổng góp ý (web)"}


@dataclass(frozen=True)
class Period:
    """A report period: a month, an ISO week, a quarter or a year, in local days."""

    start: date  # first local day
    end: date  # day after the last
    label: str  # "tháng 11 năm 2026", "tuần 48 năm 2026", "quý IV năm 2026", "năm 2026"
    kind: str = "month"  # month | week | quarter | year
    key: str = ""  # as typed back: "2026-11", "2026-W48", "2026-Q4", "2026"

    def previous(self) -> Period:
        """The period of the same kind just before, so that changes compare like with like."""
        last = self.start - timedelta(days=1)
        if self.kind == "week":
            iso = last.isocalendar()
            return week(iso.year, iso.week)
        if self.kind == "quarter":
            return quarter(last.year, (last.month - 1) // 3 + 1)
        if self.kind == "year":
            return year(last.year)
        return month(last.year, last.month)


ROMAN = ("I", "II", "III", "IV")


def month(year: int, number: int) -> Period:
    start = date(year, number, 1)
    end = date(year + (number == 12), number % 12 + 1, 1)
    return Period(start, end, f"tháng {number} năm {year}", "month", f"{year}-{number:02d}")


def week(year: int, number: int) -> Period:
    """ISO week `number` of ISO year `year` (Monday to Sunday; week 1 holds 4 January)."""
    start = date.fromisocalendar(year, number, 1)
    return Period(
        start,
        start + timedelta(days=7),
        f"tuần {number} năm {year}",
        "week",
        f"{year}-W{number:02d}",
    )


def quarter(year: int, number: int) -> Period:
    start = date(year, 3 * number - 2, 1)
    end = date(year + (number == 4), (3 * number) % 12 + 1, 1)
    return Period(start, end, f"quý {ROMAN[number - 1]} năm {year}", "quarter", f"{year}-Q{number}")


def year(number: int) -> Period:
    return Period(date(number, 1, 1), date(number + 1, 1, 1), f"năm {number}", "year", f"{number}")


_PERIODS = (
    (re.compile(r"^(\d{4})-(\d{2})$"), month),
    (re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE), week),
    (re.compile(r"^(\d{4})-Q(\d)$", re.IGNORECASE), quarter),
    (re.compile(r"^(\d{4})$"), None),
)


def parse_period(text: str) -> Period:
    """`2026-11`, `2026-W48`, `2026-Q4` or `2026`; Invalid (in Vietnamese) otherwise."""
    text = text.strip()
    for pattern, make in _PERIODS:
        found = pattern.match(text)
        if found is None:
            continue
        first = int(found.group(1))
        if not 2000 <= first <= 2100:
            break
        if make is None:
            return year(first)
        number = int(found.group(2))
        try:
            return make(first, number)
        except (ValueError, IndexError):
            break  # month 13, week 54, quarter 5, week 53 of a 52-week year
    raise Invalid(
        "Kỳ báo cáo phải là tháng (2026-11), tuần ISO (2026-W48), quý (2026-Q4) hoặc năm (2026)",
        code="period",
    )


@dataclass
class Concern:
    topic: str
    name: str
    count: int | None
    previous: int | None
    change: float | None
    negative: int | None


@dataclass
class CommuneRow:
    code: int
    name: str
    total: int | None
    negative: int | None
    urgent: int | None
    top_topic: str


@dataclass
class SentimentRow:
    name: str
    count: int | None
    previous: int | None
    share: float | None  # percent of the period's messages
    previous_share: float | None
    shift: float | None  # percentage points


@dataclass
class IssueRow:
    label: str
    commune: str
    topic: str
    messages: int
    first_seen: datetime
    last_seen: datetime
    spiking: bool


@dataclass
class Quote:
    topic: str
    commune: str
    day: date
    text: str


@dataclass
class Situation:
    title: str
    period: Period
    previous: Period
    scope_name: str
    province_name: str  # "Tuyên Quang"
    issuer: str  # the issuing body, upper-case
    issued_on: date
    suppressed: bool
    overview: list[tuple[str, int | None, int | str | None, float | None]]
    concerns: list[Concern]
    communes: list[CommuneRow]
    sentiments: list[SentimentRow]
    kinds: list[tuple[str, int | None]]
    channels: list[tuple[str, int | None]]
    issues: list[IssueRow]
    quotes: list[Quote]
    cases: dict[str, Any]
    case_rows: list[dict[str, Any]]
    daily: list[tuple[date, int | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Messages of the period whose labels a person set or confirmed; the rest are estimates.
    confirmed: int | None = 0


def access_situation(
    actor: Actor,
    *,
    province_code: int,
    period: str,
    fmt: str,
    commune_code: int | None = None,
    wide: bool = False,
    public: bool = False,
) -> tuple[View, Period]:
    if fmt not in FORMATS:
        raise Invalid("Định dạng phải là docx, xlsx, pdf hoặc html", code="format")
    view = view_for(
        actor, province_code=province_code, commune_code=commune_code, wide=wide, public=public
    )
    return view, parse_period(period)


ESTIMATE = "ước tính"
# A figure the report does not compute (cases have no earlier period here) or that has no base
# (a change over too few, a share of nothing). Never "<5": that mark means a count under 5,
# hidden, and is what None stands for in the figures.
NOT_COMPUTED = "—"
CASES_SCOPE_NOTE = (
    "Số liệu vụ việc (phản ánh, kiến nghị) tính trong phạm vi xã, phường được phân công."
)


def confirmed(session: Session, *, view: View, start: datetime, end: datetime) -> int:
    """Messages received in [start, end) within the view's figures whose labels a person set
    or confirmed (corrected in a conversation, or checked in the weekly review): the figures
    on everything else are the model's estimates."""
    ma = MessageAnalysis
    query = (
        select(func.count())
        .select_from(ma)
        .where(ma.corrected_at.is_not(None), ma.received_at >= start, ma.received_at < end)
    )
    if ALL_COMMUNES not in view.codes:
        query = query.where(ma.commune_code.in_(view.codes))
    return session.scalar(query) or 0


def certainty_note(checked: int | None, total: int | None) -> str:
    """The sentence saying how sure the label figures are."""
    share = _pct(checked, total)
    done = (
        f"cán bộ đã kiểm tra, xác nhận nhãn của {checked if checked is not None else '<5'}"
        f"/{total if total is not None else '<5'} tin nhắn"
        + (f" ({percent(share)})" if share is not None else "")
    )
    return (
        "Số liệu theo lĩnh vực, sắc thái, loại ý kiến và mức khẩn cấp do mô hình máy tự phân "
        f"loại nên là số {ESTIMATE} (ghi “{ESTIMATE}”); {done}."
    )


def _pct(part: int | None, whole: int | None) -> float | None:
    if part is None or whole is None or whole == 0:
        return None
    return round(100.0 * part / whole, 1)


def build_situation(
    session: Session, *, view: View, period: Period, province_code: int, tz_name: str
) -> Situation:
    tz = zone(tz_name)
    previous = period.previous()
    now_t = rollup_reads.totals(session, codes=view.codes, start=period.start, end=period.end)
    prev_t = rollup_reads.totals(session, codes=view.codes, start=previous.start, end=previous.end)
    c = view.count
    names = {t.code: t.vi for t in taxonomy.topics()}

    total, total_prev = now_t[("total", "")], prev_t[("total", "")]
    negative = now_t[("sentiment", "negative")]
    urgent = now_t[("urgent", "1")]
    start_utc, _ = day_bounds(period.start, tz)
    end_utc, _ = day_bounds(period.end, tz)

    # What other areas add (cases: received, open, overdue, by commune), through their
    # `report_sections` hook (kernel/areas.py).
    sections = {
        area.name: figures(
            session, actor=view.actor, start=start_utc, end=end_utc, commune_code=view.commune_code
        )
        for area, figures in areas.hooked("report_sections")
    }
    cases: dict[str, Any] = sections.get("cases", {})
    prev_start, _ = day_bounds(previous.start, tz)
    checked = c(confirmed(session, view=view, start=start_utc, end=end_utc))
    checked_prev = c(confirmed(session, view=view, start=prev_start, end=start_utc))
    raw: list[tuple[str, int | None, int | str | None]] = [
        ("Tổng số ý kiến, tin nhắn tiếp nhận", c(total), c(total_prev)),
        (
            f"Ý kiến mang sắc thái tiêu cực ({ESTIMATE})",
            c(negative),
            c(prev_t[("sentiment", "negative")]),
        ),
        (
            f"Ý kiến khẩn cấp (nguy hiểm tính mạng, tài sản) ({ESTIMATE})",
            c(urgent),
            c(prev_t[("urgent", "1")]),
        ),
        ("Tin nhắn đã được cán bộ kiểm tra, xác nhận nhãn", checked, checked_prev),
        (
            "Phản ánh, kiến nghị được tiếp nhận thành vụ việc",
            c(int(cases.get("received") or 0)),
            NOT_COMPUTED,
        ),
        ("Vụ việc còn đang xử lý", c(int(cases.get("open") or 0)), NOT_COMPUTED),
        ("Vụ việc quá hạn", c(int(cases.get("overdue") or 0)), NOT_COMPUTED),
    ]
    overview = [(label, n, p, change(n, p) if isinstance(p, int) else None) for label, n, p in raw]

    concerns = []
    for topic, n_now in sorted(
        ((v, n) for (d, v), n in now_t.items() if d == "topic"), key=lambda kv: (-kv[1], kv[0])
    )[:TOP_CONCERNS]:
        before = prev_t[("topic", topic)]
        concerns.append(
            Concern(
                topic=topic,
                name=names.get(topic, topic),
                count=c(n_now),
                previous=c(before),
                change=change(c(n_now), c(before)),
                negative=c(now_t[("topic_sentiment", f"{topic}:negative")]),
            )
        )

    sentiments = []
    for sentiment in taxonomy.SENTIMENTS:
        s_now, s_before = c(now_t[("sentiment", sentiment)]), c(prev_t[("sentiment", sentiment)])
        share, share_p = _pct(s_now, c(total)), _pct(s_before, c(total_prev))
        shift = None if share is None or share_p is None else round(share - share_p, 1)
        sentiments.append(
            SentimentRow(SENTIMENT_VI[sentiment], s_now, s_before, share, share_p, shift)
        )

    kinds = [(KIND_VI.get(k, k), c(now_t[("kind", k)])) for k in taxonomy.KINDS]
    channels = [(name, c(now_t[("channel", k)])) for k, name in CHANNEL_VI.items()]

    per = rollup_reads.by_commune(
        session,
        codes=None if view.communes is None else list(view.communes),
        start=period.start,
        end=period.end,
        dims=("total", "sentiment", "urgent", "topic"),
    )
    communes = []
    for code, counts in sorted(per.items(), key=lambda kv: -kv[1][("total", "")]):
        topics = sorted(
            ((v, n) for (d, v), n in counts.items() if d == "topic"), key=lambda kv: -kv[1]
        )
        communes.append(
            CommuneRow(
                code=code,
                name="Chưa xác định xã" if code == NO_COMMUNE else geo.commune_name(code),
                total=c(counts[("total", "")]),
                negative=c(counts[("sentiment", "negative")]),
                urgent=c(counts[("urgent", "1")]),
                top_topic=names.get(topics[0][0], topics[0][0]) if topics else "",
            )
        )

    daily_counts = rollup_reads.daily(
        session, codes=view.codes, start=period.start, end=period.end, dim="total"
    )
    daily = []
    day = period.start
    while day < period.end:
        daily.append((day, c(daily_counts.get((day, ""), 0))))
        day += timedelta(days=1)

    ei = EmergingIssue
    issue_rows = session.scalars(
        select(ei)
        .where(
            view.messages(ei.commune_code),
            ei.last_seen_at >= start_utc,
            ei.first_seen_at < end_utc,
        )
        .order_by(ei.spiking.desc(), ei.message_count.desc(), ei.id)
        .limit(ISSUES_SHOWN)
    ).all()
    issues = [
        IssueRow(
            label=i.label,
            commune=geo.commune_name(i.commune_code) or "Chưa xác định xã",
            topic=names.get(i.topic, i.topic),
            messages=i.message_count,
            first_seen=i.first_seen_at,
            last_seen=i.last_seen_at,
            spiking=i.spiking,
        )
        for i in issue_rows
    ]

    quotes = _quotes(
        session,
        view=view,
        topics=[x.topic for x in concerns[:QUOTE_TOPICS]],
        start=start_utc,
        end=end_utc,
        names=names,
        tz_name=tz_name,
    )
    province = province_title(province_code)
    short = province.removeprefix("Tỉnh ").removeprefix("Thành phố ")
    if view.commune_code is not None:
        issuer = f"ỦY BAN NHÂN DÂN {view.name.upper()}"
    else:
        issuer = f"ỦY BAN NHÂN DÂN {province.upper()}"
    case_rows = [
        {**row, "name": geo.commune_name(row.get("commune_code")) or "Chưa xác định xã"}
        for row in cases.get("by_commune", [])
    ]
    if view.suppress:
        case_rows = [
            {k: (c(v) if isinstance(v, int) and k != "commune_code" else v) for k, v in r.items()}
            for r in case_rows
        ]
    return Situation(
        title=f"Tình hình dư luận, ý kiến Nhân dân {period.label}",
        period=period,
        previous=previous,
        scope_name=view.name,
        province_name=short,
        issuer=issuer,
        issued_on=utcnow().astimezone(tz).date(),
        suppressed=view.suppress,
        overview=overview,
        concerns=concerns,
        communes=communes,
        sentiments=sentiments,
        kinds=kinds,
        channels=channels,
        issues=issues,
        quotes=quotes,
        cases=cases,
        case_rows=case_rows,
        daily=daily,
        confirmed=checked,
        notes=[
            certainty_note(checked, c(total)),
            *([CASES_SCOPE_NOTE] if view.communes is None and not view.actor.is_admin else []),
        ],
    )


def _quotes(
    session: Session,
    *,
    view: View,
    topics: list[str],
    start: datetime,
    end: datetime,
    names: dict[str, str],
    tz_name: str,
) -> list[Quote]:
    """A few messages per top concern, PII masked (the quotes the worker stored; a message not
    masked yet is left out): complaints and suggestions of some length first (they say most),
    the most recent among them."""
    ma = MessageAnalysis
    tz = zone(tz_name)
    quotes: list[Quote] = []
    for topic in topics:
        rows = session.execute(
            select(Message.text, ma.quote, ma.commune_code, ma.received_at)
            .join(Message, Message.id == ma.message_id)
            .where(
                view.messages(ma.commune_code),
                ma.quote.is_not(None),
                ma.topic == topic,
                ma.received_at >= start,
                ma.received_at < end,
                ma.abusive.is_(False),
                func.length(Message.text) >= 30,
                or_(ma.kind == "complaint", ma.kind == "suggestion", ma.sentiment == "negative"),
            )
            .order_by(ma.received_at.desc())
            .limit(QUOTES_PER_TOPIC)
        ).all()
        for text, quote, commune, at in rows:
            masked = shown(quote, text, QUOTE_MAX)
            if not masked:
                continue
            quotes.append(
                Quote(
                    topic=names.get(topic, topic),
                    commune=geo.commune_name(commune) or "Chưa xác định xã",
                    day=at.astimezone(tz).date(),
                    text=masked,
                )
            )
    return quotes
