"""Spike detection for one commune × topic pair against its own baseline (pure functions).

The baseline is the pair's count over the previous weeks, turned into an hourly rate with a
small prior (a pair never seen before is not "infinitely" surprising at its first message).
A recent window is a spike when its count reaches a minimum, is at least `ratio` times the
expected count, and is improbable under a Poisson law with that expectation. Windows shorter
than a day are compared with a daytime rate (citizens write mostly by day).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Tunable thresholds; bench/emerging.py measures delay and false alarms with them.
WINDOWS_HOURS = (3, 24)
MIN_COUNT = 5
MIN_RATIO = 3.0
MAX_P = 1e-4
PRIOR_COUNT = 1.0  # pseudo-messages added to every baseline
DAYTIME_FACTOR = 2.0  # rate by day / average rate, for windows shorter than a day
BASELINE_DAYS = 28


@dataclass(frozen=True)
class Spike:
    window_hours: int
    observed: int
    expected: float
    p_value: float


def poisson_sf(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    # 1 - P(X <= k-1), summed in log space for stability.
    term = math.exp(-lam)
    cdf = term
    for i in range(1, k):
        term *= lam / i
        cdf += term
    return max(0.0, 1.0 - cdf) if cdf < 0.999999 else _tail(k, lam)


def _tail(k: int, lam: float) -> float:
    # Direct tail sum when 1 - cdf would lose all precision.
    log_term = -lam + k * math.log(lam) - math.lgamma(k + 1)
    total, i = 0.0, k
    term = math.exp(log_term)
    while term > 1e-300 and i < k + 10_000:
        total += term
        i += 1
        term *= lam / i
        if term < total * 1e-16:
            break
    return total


def expected_count(baseline_count: int, baseline_days: float, window_hours: int) -> float:
    rate_per_hour = (baseline_count + PRIOR_COUNT) / (max(baseline_days, 1.0) * 24)
    factor = DAYTIME_FACTOR if window_hours < 24 else 1.0
    return rate_per_hour * window_hours * factor


def detect(
    *, observed: dict[int, int], baseline_count: int, baseline_days: float = BASELINE_DAYS
) -> Spike | None:
    """The strongest spike among the windows ({hours: count}), or None."""
    best: Spike | None = None
    for hours, count in sorted(observed.items()):
        expected = expected_count(baseline_count, baseline_days, hours)
        if count < MIN_COUNT or count < MIN_RATIO * expected:
            continue
        p_value = poisson_sf(count, expected)
        if p_value > MAX_P:
            continue
        if best is None or p_value < best.p_value:
            best = Spike(window_hours=hours, observed=count, expected=expected, p_value=p_value)
    return best
