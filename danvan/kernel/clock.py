"""The one clock of the product: every "now" (timestamps, deadlines, report periods, the demo's
weeks of history, job intervals) is read from `now()`.

By default it is the system clock. `DANVAN_CLOCK_START` (an ISO instant with its offset) starts
the process's clock at that instant and lets it run from there, so that a demo or a test suite
sees the same calendar whatever today's date is; `frozen()` stops it at one instant for a test.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class StartedClock:
    """Starts at `start` when created and runs at the speed of the system's monotonic clock."""

    start: datetime
    _origin: float = field(default_factory=time.monotonic, compare=False)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._origin)


@dataclass(frozen=True)
class FrozenClock:
    at: datetime

    def now(self) -> datetime:
        return self.at


_current: Clock = SystemClock()


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return _current.now().astimezone(UTC)


def timestamp() -> float:
    """Seconds since the epoch by the product's clock (session ages and the like)."""
    return now().timestamp()


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("the clock needs a timezone-aware instant")
    return at.astimezone(UTC)


def set_clock(clock: Clock) -> Clock:
    """Make `clock` the process's clock; returns the one it replaces."""
    global _current
    previous, _current = _current, clock
    return previous


def start_at(start: datetime | None) -> None:
    """Run the clock from `start` (None: the system clock). Calling it again with the instant
    already in force changes nothing, so that the CLI, the app factory and the worker may each
    apply the setting without moving the clock back."""
    if start is None:
        if not isinstance(_current, SystemClock):
            set_clock(SystemClock())
        return
    start = _aware(start)
    if isinstance(_current, StartedClock) and _current.start == start:
        return
    set_clock(StartedClock(start))


@contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """Make `clock` the process's clock for the duration of the block, then the one before."""
    previous = set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)


def frozen(at: datetime) -> contextlib.AbstractContextManager[Clock]:
    """Stop the clock at `at` for the duration of the block (tests)."""
    return using(FrozenClock(_aware(at)))


def running_from(start: datetime) -> contextlib.AbstractContextManager[Clock]:
    """Run the clock from `start` for the duration of the block (tests)."""
    return using(StartedClock(_aware(start)))
