"""Background jobs of the training area, run by the worker (see `danvan.kernel.jobs`): the words
of trainees' end-of-course feedback, masked and segmented for the course report (the NLP stack
stays out of web processes)."""

from __future__ import annotations

from datetime import timedelta

from danvan.kernel.jobs import Job
from danvan.training.feedback_terms import run_feedback_terms

JOBS: list[Job] = [
    Job("training.feedback_terms", timedelta(seconds=15), run_feedback_terms),
]
