"""The `X-ZEvent-Signature` of Zalo OA webhooks.

The value is ``mac=<hex>`` where hex is the plain SHA-256 (not an HMAC) of
``app_id + raw_body + timestamp + OA secret key`` (zalo.md §2). Sources disagree on the key (the
OA Secret Key or the App Secret Key) and on the first id (`app_id` or `oa_id`), so `verify` tries
the documented form first and the variants after it, and says which one matched.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

PREFIX = "mac="


def mac(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    """The hex digest Zalo puts after ``mac=``."""
    digest = hashlib.sha256(app_id.encode())
    digest.update(body)
    digest.update(timestamp.encode())
    digest.update(secret.encode())
    return digest.hexdigest()


def sign(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    """The full header value, ``mac=<hex>``, as Zalo sends it (tests, benchmarks, the demo)."""
    return PREFIX + mac(app_id, body, timestamp, secret)


def verify(
    header: str, *, body: bytes, timestamp: str, candidates: Iterable[tuple[str, str, str]]
) -> str | None:
    """The name of the first `(name, id, secret)` candidate whose MAC equals the header's, or None.

    Candidates are tried in order and lazily: the documented one costs a single hash.
    """
    value = header.strip()
    if value[: len(PREFIX)].lower() != PREFIX:
        return None
    # Bytes, not str: compare_digest refuses non-ASCII str, and the header is attacker-chosen.
    given = value[len(PREFIX) :].strip().lower().encode("utf-8", "replace")
    for name, first_id, secret in candidates:
        if hmac.compare_digest(given, mac(first_id, body, timestamp, secret).encode()):
            return name
    return None
