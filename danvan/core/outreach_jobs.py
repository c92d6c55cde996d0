"""Background jobs of this area, run by the worker (see `danvan.jobs`)."""

from __future__ import annotations

from danvan.jobs import Job

JOBS: list[Job] = []
