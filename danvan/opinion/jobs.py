"""Background jobs of this area, run by the worker (see `danvan.kernel.jobs`): the daily rollups
first, then emerging issues (whose baselines read the rollups), then the alerts by Zalo
to staff who opted in."""

from __future__ import annotations

from datetime import timedelta

from danvan.kernel.jobs import Job
from danvan.opinion.alerts import run_staff_alerts
from danvan.opinion.emerging import run_emerging
from danvan.opinion.rollups import run_rollups

JOBS: list[Job] = [
    Job("opinion-rollups", timedelta(minutes=1), run_rollups),
    Job("emerging-issues", timedelta(minutes=1), run_emerging),
    # After the issues, so that an alert raised in this cycle goes out in it.
    Job("staff-zalo-alerts", timedelta(seconds=30), run_staff_alerts),
]
