"""`python -m danvan.migrations` rewrites the initial migration from the models (pre-release)."""

from danvan.migrations import regenerate_initial

regenerate_initial()
