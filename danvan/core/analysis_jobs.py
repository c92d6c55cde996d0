"""Background jobs of the opinion classifiers (see `danvan.jobs`)."""

from __future__ import annotations

from datetime import timedelta

from danvan.core.analysis import run_pending
from danvan.jobs import Job

JOBS: list[Job] = [
    # On a fresh machine the default set is trained in a background thread first (a few
    # minutes, see core/analysis.py); the job itself is a quick batch.
    Job("analysis", every=timedelta(seconds=5), run=run_pending),
]
