"""Background jobs of accounts, run by the worker (see `danvan.kernel.jobs`): deleting ended
sign-in sessions."""

from __future__ import annotations

from datetime import timedelta

from danvan.accounts.sessions import clean_sessions
from danvan.kernel.jobs import Job

JOBS: list[Job] = [Job("sessions_cleanup", every=timedelta(hours=1), run=clean_sessions)]
