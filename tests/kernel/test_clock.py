"""The product's one clock: a fixed start for demos and tests, frozen instants, and the system
clock by default."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from danvan.kernel import clock
from danvan.kernel.models import utcnow

AT = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_frozen_clock_stops_at_its_instant_and_restores_the_one_before() -> None:
    before = clock.now()
    with clock.frozen(AT):
        assert clock.now() == AT
        assert utcnow() == AT
    assert clock.now() >= before
    assert abs(clock.now() - before) < timedelta(minutes=5)


def test_a_started_clock_runs_forward_from_its_start() -> None:
    with clock.running_from(AT):
        first = clock.now()
        second = clock.now()
    assert AT <= first <= second < AT + timedelta(minutes=1)


def test_starting_again_at_the_same_instant_does_not_move_the_clock_back() -> None:
    previous = clock.set_clock(clock.SystemClock())
    try:
        clock.start_at(AT)
        running = clock.set_clock(clock.FrozenClock(AT))  # peek at the clock in force
        clock.set_clock(running)
        clock.start_at(AT)
        assert clock.set_clock(running) is running
        clock.start_at(None)
        assert clock.now().year >= 2026  # back on the system clock
    finally:
        clock.set_clock(previous)


def test_the_cli_starts_its_clock_at_the_configured_instant() -> None:
    probe = (
        "import danvan.cli as c, danvan.kernel.clock as k; "
        "k.start_at(c.get_settings().clock_start); print(k.now().isoformat())"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env={"DANVAN_CLOCK_START": "2025-03-04T12:06:07+07:00", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("2025-03-04T05:06:")


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"), clock.frozen(datetime(2025, 1, 1)):  # noqa: DTZ001
        pass
