from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from danvan.kernel.workdays import WorkCalendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(y: int, m: int, d: int, h: int = 9) -> datetime:
    return datetime(y, m, d, h, tzinfo=VN)


def test_a_friday_case_with_one_working_day_is_due_monday_evening() -> None:
    due = WorkCalendar().add_working_days(at(2026, 11, 27), 1)  # Friday
    assert due == datetime(2026, 11, 30, 17, 0, tzinfo=VN)  # Monday


def test_tet_2027_is_skipped() -> None:
    # Tết Đinh Mùi: 4–10 Feb 2027 are days off; received Wed 3 Feb.
    due = WorkCalendar().add_working_days(at(2027, 2, 3), 1)
    assert due.date() == date(2027, 2, 11)


def test_the_year_end_and_new_years_day_are_crossed() -> None:
    # Thu 31 Dec 2026 + 2 working days: Fri 1 Jan is a holiday, then the weekend.
    due = WorkCalendar().add_working_days(at(2026, 12, 31), 2)
    assert due.date() == date(2027, 1, 5)


def test_the_local_date_decides_not_utc() -> None:
    # 23:30 on Friday in Hà Nội is still Friday 16:30 UTC; 00:30 Saturday local is Friday UTC.
    calendar = WorkCalendar()
    friday_night = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
    saturday_early = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)
    assert calendar.local_date(friday_night) == date(2026, 11, 27)
    assert calendar.local_date(saturday_early) == date(2026, 11, 28)
    assert calendar.add_working_days(friday_night, 1).date() == date(2026, 11, 30)
    assert calendar.add_working_days(saturday_early, 1).date() == date(2026, 11, 30)
    assert calendar.add_working_days(saturday_early, 2).date() == date(2026, 12, 1)


def test_compensatory_days_are_configurable() -> None:
    saturday = date(2026, 12, 5)
    calendar = WorkCalendar(extra_working_days=[saturday], extra_days_off=[date(2026, 12, 7)])
    assert calendar.is_working_day(saturday)
    assert not calendar.is_working_day(date(2026, 12, 7))
    due = calendar.add_working_days(at(2026, 12, 4), 2)
    assert due.date() == date(2026, 12, 8)  # Sat 5 (worked), Mon 7 off, Tue 8


def test_zero_days_means_today_or_the_next_working_day() -> None:
    calendar = WorkCalendar(day_ends_at=time(16, 30))
    assert calendar.add_working_days(at(2026, 11, 30), 0) == datetime(
        2026, 11, 30, 16, 30, tzinfo=VN
    )
    assert calendar.add_working_days(at(2026, 11, 28), 0).date() == date(2026, 11, 30)


def test_working_days_between_counts_only_working_days() -> None:
    calendar = WorkCalendar()
    assert (
        calendar.working_days_between(at(2026, 11, 27), at(2026, 11, 27) + timedelta(days=7)) == 5
    )


def test_naive_datetimes_and_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        WorkCalendar().add_working_days(datetime(2026, 11, 27, 9), 1)  # noqa: DTZ001
    with pytest.raises(ValueError, match=">= 0"):
        WorkCalendar().add_working_days(at(2026, 11, 27), -1)
