"""Sign-in throttling by account and client together: nobody locks someone else out.

Client A's failures make A wait (longer after each further failure), never client B; many
clients failing on one account slow each of them, and still let a client that has not failed
sign in with the right password."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from danvan.accounts import throttle
from danvan.accounts.models import AuditEntry
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.testing.staff import Staff


def test_failures_from_client_a_do_not_block_the_right_password_from_client_b(
    personas, staff_client: Callable[..., Staff]
) -> None:
    attacker = staff_client(ip="203.0.113.7")
    for target in (personas.admin, personas.officer_a):
        for _ in range(12):
            attacker.login(target.user.email, "guessing away")
        assert attacker.login(target.user.email, target.password).status_code == 429
        owner = staff_client(ip="198.51.100.20")
        assert owner.login(target.user.email, target.password).status_code == 303
        assert owner.get("/inbox").status_code == 200


def test_a_client_waits_longer_after_each_further_failure(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    staff = staff_client(ip="203.0.113.8")
    email = personas.officer_a.user.email
    at = clock.now()
    with clock.frozen(at):
        for _ in range(throttle.PAIR_FREE):
            assert staff.login(email, "wrong password").status_code == 400
    for minutes in (1, 2, 4, 8):
        with clock.frozen(at):
            refused = staff.login(email, personas.officer_a.password)
            assert refused.status_code == 429
            assert f"Vui lòng thử lại sau {minutes} phút." in refused.text
        # Just before the wait is over: still refused; after it, one more (wrong) try.
        with clock.frozen(at + timedelta(minutes=minutes, seconds=-1)):
            assert staff.login(email, "wrong password").status_code == 429
        at += timedelta(minutes=minutes)
        with clock.frozen(at):
            assert staff.login(email, "wrong password").status_code == 400
    # After the wait, the right password works and clears this client's count.
    with clock.frozen(at + timedelta(minutes=16)):
        assert staff.login(email, personas.officer_a.password).status_code == 303
        assert staff.login(email, "wrong password").status_code == 400
    with database.session() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "login_throttled")
        ).all()
        assert entries
        assert all(e.ip == "203.0.113.8" for e in entries)
        assert entries[0].detail["email"] == email


def test_an_attack_from_many_addresses_slows_them_but_not_a_client_that_has_not_failed(
    personas, staff_client: Callable[..., Staff]
) -> None:
    email = personas.admin.user.email
    bots = [staff_client(ip=f"192.0.2.{n}") for n in range(1, 14)]
    failures = 0
    while failures < throttle.ACCOUNT_CEILING:
        for bot in bots[: (throttle.ACCOUNT_CEILING - failures + 3) // 4 + 1]:
            for _ in range(4):  # under the per-client limit
                if failures < throttle.ACCOUNT_CEILING:
                    assert bot.login(email, "guess").status_code == 400
                    failures += 1
        bots = bots[1:] + bots[:1]
    # The account is under attack: a bot that already failed waits at once...
    assert bots[0].login(email, "guess again").status_code == 429
    # ... a fresh address may try once, then waits too.
    newcomer = staff_client(ip="192.0.2.200")
    assert newcomer.login(email, "guess").status_code == 400
    assert newcomer.login(email, personas.admin.password).status_code == 429
    # The admin, who has not failed, signs in.
    admin = staff_client(ip="198.51.100.1")
    assert admin.login(email, personas.admin.password).status_code == 303
