"""The worker's background jobs: intervals, one runner at a time across workers, failures
contained, and `--once` running jobs until they have nothing left."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from danvan.kernel import leases
from danvan.kernel.db import Database
from danvan.kernel.jobs import Job, JobRunner, registry
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings


class Counter:
    """A job with `left` units of work, done `batch` at a time."""

    def __init__(self, left: int, batch: int = 2) -> None:
        self.left = left
        self.batch = batch
        self.calls = 0

    def __call__(self, database: Database, settings: Settings, now: datetime) -> int:
        self.calls += 1
        done = min(self.left, self.batch)
        self.left -= done
        return done


def test_every_area_job_has_a_unique_name() -> None:
    names = [job.name for job in registry()]
    assert len(names) == len(set(names))


def test_a_job_runs_again_only_after_its_interval(database: Database, settings: Settings) -> None:
    work = Counter(left=10)
    runner = JobRunner(
        database, settings, holder="w1", jobs=[Job("count", timedelta(minutes=1), work)]
    )
    now = utcnow()
    assert runner.run_due(now) == 2
    assert runner.run_due(now + timedelta(seconds=30)) == 0
    assert work.calls == 1
    assert runner.run_due(now + timedelta(seconds=61)) == 2
    assert runner.run_due(now + timedelta(seconds=62), force=True) == 2
    assert work.calls == 3


def test_a_job_leased_by_another_worker_is_skipped(database: Database, settings: Settings) -> None:
    work = Counter(left=10)
    jobs = [Job("count", timedelta(seconds=1), work)]
    with database.session() as session:
        assert leases.take_lease(
            session, name="job:count", holder="other-worker", ttl=timedelta(minutes=5)
        )
    runner = JobRunner(database, settings, holder="w1", jobs=jobs)
    assert runner.run_due(utcnow(), force=True) == 0
    assert work.calls == 0
    # Once the other worker lets go, this one takes over (and lets go after its run).
    with database.session() as session:
        leases.release_lease(session, name="job:count", holder="other-worker")
    assert runner.run_due(utcnow(), force=True) == 2
    with database.session() as session:
        lease = leases.get_lease(session, name="job:count")
        assert lease is not None
        assert lease.until <= utcnow()


def test_a_failing_job_does_not_stop_the_others(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(database: Database, settings: Settings, now: datetime) -> int:
        raise RuntimeError("boom")

    work = Counter(left=3)
    runner = JobRunner(
        database,
        settings,
        holder="w1",
        jobs=[
            Job("broken", timedelta(seconds=1), broken),
            Job("count", timedelta(seconds=1), work),
        ],
    )
    assert runner.run_due(utcnow()) == 2
    assert "job broken failed" in caplog.text
    with database.session() as session:
        lease = leases.get_lease(session, name="job:broken")
        assert lease is not None
        assert lease.until <= utcnow()


def test_worker_once_runs_jobs_until_they_are_done(database: Database, settings: Settings) -> None:
    from danvan.inbox.worker import Worker

    work = Counter(left=7, batch=2)
    worker = Worker(database, settings, senders={}, worker_id="w-once")
    worker.jobs = JobRunner(
        database, settings, holder="w-once", jobs=[Job("count", timedelta(hours=1), work)]
    )
    worker.run(once=True)
    assert work.left == 0
    assert work.calls == 5  # 2+2+2+1, then a call that found nothing
