"""Sign-in throttling that nobody can turn against someone else.

Failures are counted per (account, client address) pair: after `PAIR_FREE` failures in a row
that client waits, twice as long after each further failure (`BASE_WAIT` up to `MAX_WAIT`);
a success clears the pair. So a stranger who guesses an admin's password locks out only
themselves: the admin, from their own address, signs in as usual.

Two wider counters catch what pairs cannot. Per account, failures from all addresses in
`ACCOUNT_WINDOW`: past `ACCOUNT_CEILING` (a guessing attack spread over many addresses) every
pair gets a single free failure before it waits, which slows the attack to a crawl but still
lets any client that has not failed try. Per address, failures across accounts
(`IP_FAILURES` in `IP_WINDOW`): one address guessing many accounts is stopped.

All counters are rows of `rate_limits` (`kernel.ratelimit`), shared by every web process.
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from sqlalchemy.orm import Session

from danvan.kernel.errors import CoreError
from danvan.kernel.models import utcnow
from danvan.kernel.ratelimit import forget, hit, peek, strike

PAIR_FREE = 5
BASE_WAIT = timedelta(minutes=1)
MAX_WAIT = timedelta(hours=1)
PAIR_FORGET = timedelta(hours=24)  # failures in a row are forgotten after a quiet day
ACCOUNT_CEILING = 50
ACCOUNT_WINDOW = timedelta(hours=1)
IP_FAILURES = 20
IP_WINDOW = timedelta(minutes=15)


class Throttled(CoreError):
    """Too many failed sign-ins from this client: `wait` says how long until the next try."""

    status = 429

    def __init__(self, wait: timedelta) -> None:
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        super().__init__(
            "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút.",
            code="throttled",
            minutes=minutes,
        )
        self.wait = wait


def _digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _keys(email: str, ip: str) -> tuple[str, str, str]:
    digest = _digest(email)
    return (
        f"login:pair:{digest}:{ip[:64]}",
        f"login:account:{digest}",
        f"login:ip:{ip[:64]}",
    )


def backoff(failures: int, free: int) -> timedelta:
    """How long a client waits after `failures` in a row when `free` are allowed."""
    if failures < free:
        return timedelta(0)
    wait: timedelta = BASE_WAIT * 2 ** min(failures - free, 12)
    return min(MAX_WAIT, wait)


def login_wait(session: Session, *, email: str, ip: str) -> timedelta | None:
    """How long this client must wait before trying this account again (None: it may try)."""
    now = utcnow()
    pair_key, account_key, ip_key = _keys(email, ip)
    free = PAIR_FREE
    account = peek(session, key=account_key)
    if account and account[0] > now - ACCOUNT_WINDOW and account[1] >= ACCOUNT_CEILING:
        free = 1
    waits = []
    pair = peek(session, key=pair_key)
    if pair and pair[0] > now - PAIR_FORGET:
        waits.append(pair[0] + backoff(pair[1], free) - now)
    by_ip = peek(session, key=ip_key)
    if by_ip and by_ip[0] > now - IP_WINDOW and by_ip[1] >= IP_FAILURES:
        waits.append(by_ip[0] + IP_WINDOW - now)
    wait = max(waits, default=timedelta(0))
    return wait if wait > timedelta(0) else None


def check_login(session: Session, *, email: str, ip: str) -> None:
    """Raise `Throttled` while this client must wait before trying this account again."""
    wait = login_wait(session, email=email, ip=ip)
    if wait is not None:
        raise Throttled(wait)


def record_login_failure(session: Session, *, email: str, ip: str) -> None:
    pair_key, account_key, ip_key = _keys(email, ip)
    strike(session, key=pair_key, forget_after=PAIR_FORGET)
    hit(session, key=account_key, limit=ACCOUNT_CEILING, window=ACCOUNT_WINDOW)
    hit(session, key=ip_key, limit=IP_FAILURES, window=IP_WINDOW)


def record_login_success(session: Session, *, email: str, ip: str) -> None:
    """A right password clears this client's failures on the account (not the wider counts)."""
    forget(session, key=_keys(email, ip)[0])
