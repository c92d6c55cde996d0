"""Background jobs the worker runs besides delivering the outbox.

Each area declares its jobs in its `jobs` hook (kernel/areas.py). A job is a plain function
`(database, settings, now) -> int` that does a bounded batch of work and returns how much it did
(0 when nothing was due); it opens its own transactions. The worker runs each job at most once
per `every`, and a named lease in the database makes sure that only one worker process at a
time runs a given job, so any number of workers on any number of machines can run side by side
(no other coordination exists).

`danvan worker --once` runs every job until it returns 0, then drains the outbox, and repeats
until neither has anything left: jobs that enqueue messages (case notices, broadcasts) are
delivered by the same call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from danvan.kernel import areas, leases
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings

log = logging.getLogger("danvan.jobs")

JobFunction = Callable[[Database, Settings, datetime], int]


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: JobFunction
    # A job's lease outlives one batch comfortably; a worker that died frees it after this.
    lease: timedelta = timedelta(minutes=5)


def registry() -> list[Job]:
    """Every background job, in the order they run within a cycle: each area's `jobs` hook, in
    the order of `kernel.areas.AREAS`."""
    return [job for _area, jobs in areas.hooked("jobs") for job in jobs]


class JobRunner:
    """Runs due jobs for one worker; `run_due` is called once per worker cycle."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        holder: str,
        jobs: list[Job] | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.holder = holder
        self.jobs = registry() if jobs is None else jobs
        self._last: dict[str, datetime] = {}

    def run_due(self, now: datetime, *, force: bool = False) -> int:
        """Run the jobs whose interval has passed (all of them when `force`); work done."""

        total = 0
        for job in self.jobs:
            last = self._last.get(job.name)
            if not force and last is not None and now - last < job.every:
                continue
            name = f"job:{job.name}"
            with self.database.session() as session:
                lease = leases.take_lease(session, name=name, holder=self.holder, ttl=job.lease)
            if lease is None:
                continue  # another worker runs it now
            try:
                done = job.run(self.database, self.settings, now)
            except Exception:
                log.exception("job %s failed; it will run again next interval", job.name)
                done = 0
            finally:
                with self.database.session() as session:
                    leases.release_lease(session, name=name, holder=self.holder)
            self._last[job.name] = now
            if done:
                log.info("job %s: %d", job.name, done)
            total += done
        return total
