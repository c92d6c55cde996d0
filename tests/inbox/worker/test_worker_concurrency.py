"""Several workers: on PostgreSQL they share the outbox without ever sending a row twice; on
SQLite one worker holds the lease and a second one refuses to start. The polling worker stops
cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from outbox_helpers import delivered

from danvan.devtools.zalo_standin.protocol import MESSAGE_CS
from danvan.devtools.zalo_standin.state import StandinState
from danvan.inbox.worker import SQLITE_LEASE, WorkerAlreadyRunning, run
from danvan.kernel.db import Database
from danvan.kernel.leases import get_lease, take_lease
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings


def wait_for(condition, what: str) -> None:
    """Wait for something another thread does (not a timing assertion: generous deadline)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def test_several_workers_on_postgresql_send_each_row_exactly_once(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("several workers need PostgreSQL")
    n = 40
    ids = [make_reply(f"Trả lời {i}", user_id=f"84210000{i:05d}") for i in range(n)]
    counts: list[int] = []
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            counts.append(run(database, settings, once=True, worker_id=name))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(counts) == n
    requests = zalo.requests_to(MESSAGE_CS)
    assert len(requests) == n
    assert len({r.headers["x-idempotency-key"] for r in requests}) == n
    assert len(zalo.messages()) == n
    states = [delivered(database, i) for i in ids]
    assert {s.item.status for s in states} == {"sent"}
    assert {len(s.attempts) for s in states} == {1}  # no row was ever claimed twice


def test_a_second_worker_on_sqlite_refuses_to_start_with_a_clear_message(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("the single-worker lease is for SQLite")
    message_id = make_reply()
    with database.session() as session:
        assert take_lease(
            session, name=SQLITE_LEASE, holder="other-worker", ttl=timedelta(seconds=60)
        )

    with pytest.raises(WorkerAlreadyRunning) as refused:
        run(database, settings, once=True, worker_id="second")

    assert "other-worker" in str(refused.value.code)
    assert "SQLite allows one worker" in str(refused.value.code)
    assert zalo.requests == []
    assert delivered(database, message_id).item.status == "pending"


def test_the_sqlite_lease_of_a_dead_worker_is_taken_over_once_it_expires(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("the single-worker lease is for SQLite")
    make_reply()
    with database.session() as session:
        take_lease(
            session,
            name=SQLITE_LEASE,
            holder="dead-worker",
            ttl=timedelta(seconds=60),
            now=utcnow() - timedelta(minutes=5),
        )

    assert run(database, settings, once=True, worker_id="next") == 1

    with database.session() as session:
        lease = get_lease(session, name=SQLITE_LEASE)
        assert lease is not None
        assert lease.holder == "next"
        assert lease.until <= utcnow()  # released on exit


def test_while_a_polling_worker_runs_on_sqlite_another_cannot_start(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("the single-worker lease is for SQLite")
    stop = threading.Event()
    results: list[int] = []
    first = threading.Thread(
        target=lambda: results.append(
            run(database, settings, once=False, worker_id="first", stop=stop)
        )
    )
    first.start()
    try:

        def first_holds_the_lease() -> bool:
            with database.session() as session:
                lease = get_lease(session, name=SQLITE_LEASE)
                return lease is not None and lease.holder == "first" and lease.until > utcnow()

        wait_for(first_holds_the_lease, "the first worker's lease")
        with pytest.raises(WorkerAlreadyRunning):
            run(database, settings, once=True, worker_id="second")
        # The running worker picks up a new reply by itself.
        make_reply()
        wait_for(lambda: len(zalo.messages()) == 1, "the polling worker to send")
    finally:
        stop.set()
        first.join(timeout=30)
    assert results == [1]


def test_sigterm_stops_the_polling_worker_after_the_item_in_hand(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    message_id = make_reply()
    handler_before = signal.getsignal(signal.SIGTERM)

    def stop_when_sent() -> None:
        wait_for(lambda: delivered(database, message_id).item.status == "sent", "the send")
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=stop_when_sent)
    killer.start()
    processed = run(database, settings, once=False, worker_id="polling")
    killer.join()

    assert processed == 1
    assert len(zalo.requests_to(MESSAGE_CS)) == 1
    assert signal.getsignal(signal.SIGTERM) == handler_before
