"""Case deadlines in working days, in the deployment's time zone, and case codes."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from danvan.cases import rules as rules
from danvan.cases.models import CaseCounter
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def vn(y: int, m: int, d: int, h: int = 17) -> datetime:
    """A moment given in Vietnam's local time (UTC+7), as UTC."""
    return (
        datetime(y, m, d, h - 7, 0, tzinfo=UTC)
        if h >= 7
        else datetime(y, m, d - 1, h + 17, 0, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("received", "category", "ack", "answer"),
    [
        # Monday morning, 1 and 10 working days: Tuesday, and Monday two weeks on.
        (vn(2026, 11, 30, 9), "roads", vn(2026, 12, 1), vn(2026, 12, 14)),
        # Friday: the weekend is skipped.
        (vn(2026, 12, 4, 9), "roads", vn(2026, 12, 7), vn(2026, 12, 18)),
        # Saturday: counting starts as on Friday.
        (vn(2026, 12, 5, 9), "roads", vn(2026, 12, 7), vn(2026, 12, 18)),
        # Year end: 1 January is a holiday.
        (vn(2026, 12, 31, 9), "roads", vn(2027, 1, 4), vn(2027, 1, 15)),
        # Friday before Tết 2026 (holidays Monday 16 – Friday 20 February).
        (vn(2026, 2, 13, 10), "roads", vn(2026, 2, 23), vn(2026, 3, 6)),
        # Land: 2 and 30 working days.
        (vn(2026, 11, 30, 9), "land", vn(2026, 12, 2), vn(2027, 1, 12)),
    ],
)
def test_due_dates_skip_weekends_and_holidays(
    received: datetime, category: str, ack: datetime, answer: datetime
) -> None:
    assert rules.due_dates(_settings(), category=category, received_at=received) == (ack, answer)


def test_the_local_date_decides_not_the_utc_date() -> None:
    # 23:30 UTC on Friday is already Saturday 06:30 in Vietnam: counted from Saturday.
    friday_utc = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)
    ack, _ = rules.due_dates(_settings(), category="roads", received_at=friday_utc)
    assert ack == vn(2026, 12, 7)
    # The same instant counted in UTC would still be Friday (due Monday as well, but one day
    # sooner for a Thursday): Thursday 23:30 UTC is Friday in Vietnam.
    thursday_utc = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    ack, _ = rules.due_dates(_settings(), category="roads", received_at=thursday_utc)
    assert ack == vn(2026, 12, 7)


def test_compensatory_days_and_sla_are_configurable() -> None:
    settings = _settings(
        case_sla={"roads": [1, 2]},
        case_extra_days_off=[date(2026, 12, 1)],
        case_extra_working_days=[date(2026, 12, 5)],
    )
    # Monday: Tuesday is a bridge day off, Wednesday counts; then Thursday.
    ack, answer = rules.due_dates(settings, category="roads", received_at=vn(2026, 11, 30, 9))
    assert (ack, answer) == (vn(2026, 12, 2), vn(2026, 12, 3))
    # Friday: the compensatory Saturday is a working day.
    ack, _ = rules.due_dates(settings, category="roads", received_at=vn(2026, 12, 4, 9))
    assert ack == vn(2026, 12, 5)


def test_statuses_are_configurable_and_checked() -> None:
    assert [s.code for s in rules.statuses(_settings())][:3] == [
        "received",
        "assigned",
        "in_progress",
    ]
    custom = [
        {"code": "moi", "vi": "Mới", "kind": "open"},
        *[s for s in rules.DEFAULT_STATUSES if s["code"] != "received"],
    ]
    assert rules.statuses(_settings(case_statuses=custom))[0].code == "moi"
    with pytest.raises(rules.RulesError):
        rules.statuses(_settings(case_statuses=[{"code": "moi", "kind": "open"}]))


def test_codes_follow_the_local_month_and_never_repeat_under_concurrency(
    database: Database, settings: Settings
) -> None:
    # 20:00 UTC on 30 November is 1 December in Vietnam.
    at = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    with database.session() as session:
        assert rules.next_code(session, settings=settings, at=at) == "TQ-2612-0001"
    codes: list[str] = []
    errors: list[BaseException] = []

    def take() -> None:
        try:
            for _ in range(5):
                with database.session() as session:
                    codes.append(rules.next_code(session, settings=settings, at=at))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(codes) == 20
    assert len(set(codes)) == 20
    with database.session() as session:
        counter = session.scalar(select(CaseCounter).where(CaseCounter.period == "TQ-2612"))
        assert counter is not None
        assert counter.value == 21
