"""Background jobs of the opinion area, run by the worker (see `danvan.kernel.jobs`), in this
order: labelling new messages, relabelling history after the model set changed, then the
daily rollups, then emerging issues (whose baselines
read the rollups), then the alerts by Zalo to staff who opted in."""

from __future__ import annotations

from datetime import timedelta

from danvan.kernel.jobs import Job
from danvan.opinion.alerts import run_staff_alerts
from danvan.opinion.emerging import run_emerging
from danvan.opinion.labels import run_pending, run_relabel
from danvan.opinion.quotes import run_quotes
from danvan.opinion.rollups import run_rollups

JOBS: list[Job] = [
    # On a fresh machine the default set is trained in a background thread first (a few
    # minutes, see opinion/labels.py); the job itself is a quick batch.
    Job("analysis", every=timedelta(seconds=5), run=run_pending),
    # After a retrain or rollback: history relabelled with the set in use, a batch at a time,
    # once no new message waits (progress shown on the dashboard).
    Job("analysis-relabel", every=timedelta(seconds=10), run=run_relabel),
    # Quotes of messages labelled before quotes were stored (revision 0012), masked a batch at
    # a time; new messages are masked as they are labelled. Pages quote nothing unmasked.
    Job("analysis-quotes", every=timedelta(seconds=10), run=run_quotes),
    # Every 15 s: a freshly labelled backlog (a new demo, a relabel) reaches the dashboard soon;
    # a run with nothing past its cursor reads one index range.
    Job("opinion-rollups", timedelta(seconds=15), run_rollups),
    Job("emerging-issues", timedelta(minutes=1), run_emerging),
    # After the issues, so that an alert raised in this cycle goes out in it.
    Job("staff-zalo-alerts", timedelta(seconds=30), run_staff_alerts),
]
