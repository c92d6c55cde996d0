"""Tests of the training area (a package: its module names must not clash with other
areas' `test_done_when.py` / `test_pages.py`)."""
