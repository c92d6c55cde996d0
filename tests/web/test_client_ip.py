"""The one client-IP helper (rate limits, audit, login throttle) believes X-Forwarded-For only
from the reverse proxies DANVAN_TRUSTED_PROXIES names, reading the chain right to left."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from starlette.requests import Request

from danvan.kernel.settings import Settings
from danvan.web.deps import client_ip


def _request(peer: str, *forwarded: str, proxies: list[str] | None = None) -> Request:
    settings = Settings(_env_file=None, **({"trusted_proxies": proxies} if proxies else {}))  # type: ignore[arg-type]
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded],
        "client": (peer, 50000),
        "app": SimpleNamespace(state=SimpleNamespace(settings=settings)),
    }
    return Request(scope)


def test_a_direct_client_is_its_peer_address_whatever_it_claims() -> None:
    assert client_ip(_request("203.0.113.7")) == "203.0.113.7"
    assert client_ip(_request("203.0.113.7", "1.2.3.4")) == "203.0.113.7"


@pytest.mark.parametrize(
    ("peer", "forwarded", "proxies", "client"),
    [
        # nginx on the same machine (the default: 127.0.0.1 and ::1).
        ("127.0.0.1", ["198.51.100.9"], None, "198.51.100.9"),
        ("::1", ["198.51.100.9"], None, "198.51.100.9"),
        # A client that forges the header gets its forgery skipped: the proxy appended the
        # real address last.
        ("127.0.0.1", ["6.6.6.6, 198.51.100.9"], None, "198.51.100.9"),
        ("127.0.0.1", ["6.6.6.6", "198.51.100.9"], None, "198.51.100.9"),
        # Two proxies of our own (a load balancer, then nginx) are both skipped.
        ("10.0.0.2", ["6.6.6.6, 198.51.100.9, 10.0.0.1"], ["10.0.0.0/24"], "198.51.100.9"),
        # A proxy we do not trust is the client, whatever it forwards.
        ("10.0.0.2", ["198.51.100.9"], None, "10.0.0.2"),
        # Garbage where the address should be: the proxy's own address, not the garbage.
        ("127.0.0.1", ["not-an-ip"], None, "127.0.0.1"),
        ("127.0.0.1", [], None, "127.0.0.1"),
    ],
)
def test_x_forwarded_for_is_read_right_to_left_past_trusted_proxies(
    peer: str, forwarded: list[str], proxies: list[str] | None, client: str
) -> None:
    assert client_ip(_request(peer, *forwarded, proxies=proxies)) == client
