"""Background jobs of the opinion classifiers (see `danvan.jobs`)."""

from __future__ import annotations

from danvan.jobs import Job

JOBS: list[Job] = []
