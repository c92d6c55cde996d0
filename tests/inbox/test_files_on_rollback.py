"""A photo written for a row whose transaction never commits is removed (no orphan files)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from danvan.inbox.models import Label
from danvan.kernel.db import Database, remove_on_rollback


class Boom(Exception):
    pass


def _file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(b"photo")
    return path


def _register_then_fail(database: Database, path: Path) -> None:
    with database.session() as session:
        remove_on_rollback(session, path)
        raise Boom


def test_the_file_goes_when_the_transaction_rolls_back(database: Database, tmp_path: Path) -> None:
    path = _file(tmp_path, "a.jpg")
    with pytest.raises(Boom):
        _register_then_fail(database, path)
    assert not path.exists()


def test_the_file_stays_when_the_transaction_commits(database: Database, tmp_path: Path) -> None:
    path = _file(tmp_path, "b.jpg")
    with database.session() as session:
        remove_on_rollback(session, path)
    assert path.exists()
    # A later rollback of another transaction does not touch it.
    other = _file(tmp_path, "other.jpg")
    with pytest.raises(Boom):
        _register_then_fail(database, other)
    assert path.exists()
    assert not other.exists()


def _failing_savepoint(database: Database, path: Path) -> None:
    with database.session() as session:
        remove_on_rollback(session, path)
        try:
            with session.begin_nested():
                session.execute(text("SELECT 1"))
                raise Boom
        except Boom:
            pass


def test_a_savepoint_rollback_keeps_the_file(database: Database, tmp_path: Path) -> None:
    path = _file(tmp_path, "c.jpg")
    _failing_savepoint(database, path)
    assert path.exists()


def _commit_that_fails(database: Database, path: Path) -> None:
    with database.session() as session:
        remove_on_rollback(session, path)
        session.add(Label(name="duplicate"))
        session.add(Label(name="duplicate"))  # the flush at commit violates the unique name


def test_a_failed_commit_removes_the_file(database: Database, tmp_path: Path) -> None:
    """The case that matters: the code succeeded, the commit itself failed."""
    path = _file(tmp_path, "d.jpg")
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        _commit_that_fails(database, path)
    assert not path.exists()
