"""Fixtures for the NLP tests: where the shared research datasets are, if they are here."""

from __future__ import annotations

from pathlib import Path

import pytest

from danvan.testing import data


def shared_data() -> Path | None:
    """The datasets' folder as the benchmarks find it (DANVAN_DATA_DIR, else ../shared/data
    next to the checkout), None when they are not there."""
    try:
        return data.data_dir()
    except data.DataMissing:
        return None


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    found = shared_data()
    if found is None:
        pytest.skip(
            f"the research datasets are not here (the engine tests on real data need them): "
            f"{data.HINT}"
        )
    return found
