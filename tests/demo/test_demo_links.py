"""The links the demo sends citizens point at the port it serves (`danvan demo --port 8123`),
unless DANVAN_BASE_URL names another address."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from danvan.cases import rules
from danvan.demo import served_url, set_environment
from danvan.kernel.settings import Settings


@pytest.fixture
def clean_env() -> Iterator[None]:
    """No DANVAN_* setting but the clock; the whole environment restored afterwards (the
    demo's set-up adds variables)."""
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith("DANVAN_") and key != "DANVAN_CLOCK_START":
            del os.environ[key]
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.usefixtures("clean_env")
def test_links_to_citizens_use_the_port_served() -> None:
    set_environment(host="127.0.0.1", port=8123, standin_port=8124)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.base_url == "http://127.0.0.1:8123"
    assert settings.zalo_oa_api_base == "http://127.0.0.1:8124"
    assert (
        rules.lookup_url(settings, "TQ-2612-0001") == "http://127.0.0.1:8123/tra-cuu/TQ-2612-0001"
    )


@pytest.mark.usefixtures("clean_env")
def test_a_base_url_given_wins() -> None:
    os.environ["DANVAN_BASE_URL"] = "https://demo.example.vn"
    set_environment(host="127.0.0.1", port=8123, standin_port=8124)
    assert Settings(_env_file=None).base_url == "https://demo.example.vn"  # type: ignore[call-arg]


def test_a_wildcard_host_is_reached_on_the_loopback() -> None:
    assert served_url("0.0.0.0", 8123) == "http://127.0.0.1:8123"  # noqa: S104
    assert served_url("::", 9000) == "http://127.0.0.1:9000"
    assert served_url("192.168.1.20", 8000) == "http://192.168.1.20:8000"
    assert served_url("::1", 8000) == "http://[::1]:8000"
