"""Background jobs of this area, run by the worker (see `danvan.jobs`): the daily rollups
first, then emerging issues (whose baselines read the rollups)."""

from __future__ import annotations

from datetime import timedelta

from danvan.analytics.emerging import run_emerging
from danvan.analytics.rollups import run_rollups
from danvan.jobs import Job

JOBS: list[Job] = [
    Job("opinion-rollups", timedelta(minutes=1), run_rollups),
    Job("emerging-issues", timedelta(minutes=1), run_emerging),
]
