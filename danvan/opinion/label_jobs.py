"""Background jobs of the opinion classifiers (see `danvan.kernel.jobs`)."""

from __future__ import annotations

from datetime import timedelta

from danvan.kernel.jobs import Job
from danvan.opinion.labels import run_pending

JOBS: list[Job] = [
    # On a fresh machine the default set is trained in a background thread first (a few
    # minutes, see core/analysis.py); the job itself is a quick batch.
    Job("analysis", every=timedelta(seconds=5), run=run_pending),
]
