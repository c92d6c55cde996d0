"""Working-day arithmetic for deadlines, in the deployment's time zone.

Weekends and Vietnamese public holidays (Tết included, with the substitute days off that the
`holidays` package knows) are not working days. A deployment can add its own days off and its
compensatory working days (a Saturday worked in exchange for a bridge day off), since the
government announces those year by year.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year).keys())


class WorkCalendar:
    def __init__(
        self,
        *,
        timezone: str = "Asia/Ho_Chi_Minh",
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        day_ends_at: time = time(17, 0),
    ) -> None:
        self.zone = ZoneInfo(timezone)
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_working_days = frozenset(extra_working_days)
        self.day_ends_at = day_ends_at

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off or day.weekday() >= 5:
            return False
        return day not in _public_holidays(day.year)

    def local_date(self, moment: datetime) -> date:
        if moment.tzinfo is None:
            raise ValueError("naive datetime")
        return moment.astimezone(self.zone).date()

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The end of the `days`-th working day after `start`'s local date (as UTC-aware).

        Received on Friday with 1 working day: due at the end of Monday (or of the next working
        day after a holiday). Received on a holiday or weekend, counting starts the same way.
        `days` = 0 means the end of the receipt day itself (or the next working day).
        """
        if days < 0:
            raise ValueError("days must be >= 0")
        day = self.local_date(start)
        if days == 0:
            while not self.is_working_day(day):
                day += timedelta(days=1)
        remaining = days
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return datetime.combine(day, self.day_ends_at, tzinfo=self.zone)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days after `start`'s local date up to and including `end`'s."""
        first, last = self.local_date(start), self.local_date(end)
        count, day = 0, first
        while day < last:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count
