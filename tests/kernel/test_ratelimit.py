from datetime import timedelta

from danvan.kernel.db import Database
from danvan.kernel.ratelimit import hit


def test_hits_beyond_the_limit_are_refused_until_the_window_ends(database: Database) -> None:
    with database.session() as session:
        results = [hit(session, key="ip:1", limit=3, window=timedelta(hours=1)) for _ in range(5)]
    assert results == [True, True, True, False, False]
    with database.session() as session:
        # A window of zero length has always ended: the counter starts again.
        assert hit(session, key="ip:1", limit=3, window=timedelta(0))


def test_keys_are_counted_apart(database: Database) -> None:
    with database.session() as session:
        assert hit(session, key="a", limit=1, window=timedelta(hours=1))
        assert hit(session, key="b", limit=1, window=timedelta(hours=1))
        assert not hit(session, key="a", limit=1, window=timedelta(hours=1))
