"""Tests of the cases area (a package: its module names must not clash with other areas'
`test_done_when.py`). Shared helpers live in `tests.cases.case_helpers` (imported as
`cases.case_helpers`), fixtures in `conftest.py`."""
