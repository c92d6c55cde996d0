"""A file is read whole by the next person who changes it: none in danvan/ grows past 600 lines
(migrations, which are written once, and seed data, which is prose, aside)."""

from __future__ import annotations

from pathlib import Path

import danvan

PACKAGE = Path(danvan.__file__).parent
LIMIT = 600
ASIDE = ("migrations/versions/", "nlp/seed/")


def test_no_file_in_danvan_is_over_600_lines() -> None:
    too_long = {
        path.relative_to(PACKAGE).as_posix(): n
        for path in PACKAGE.rglob("*.py")
        if not any(a in path.relative_to(PACKAGE).as_posix() for a in ASIDE)
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert too_long == {}
