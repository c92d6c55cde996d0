from datetime import timedelta

from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.ratelimit import forget, hit, peek, strike


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


def test_failures_in_a_row_are_counted_from_the_last_and_forgotten(database: Database) -> None:
    day = timedelta(days=1)
    start = clock.now()
    with database.session() as session:
        with clock.frozen(start):
            assert [strike(session, key="pair", forget_after=day) for _ in range(3)] == [1, 2, 3]
        with clock.frozen(start + timedelta(hours=1)):
            assert strike(session, key="pair", forget_after=day) == 4
            assert peek(session, key="pair") == (start + timedelta(hours=1), 4)
        # A quiet day: the count starts over.
        with clock.frozen(start + timedelta(days=1, hours=1)):
            assert strike(session, key="pair", forget_after=day) == 1
        forget(session, key="pair")
        assert peek(session, key="pair") is None
        assert peek(session, key="never") is None
