"""Fixtures for the NLP tests: where the shared research datasets are, if they are here."""

from __future__ import annotations

from pathlib import Path

import pytest

# CI has the datasets at ../shared/data next to the checkout; this machine at /work/shared/data.
DATA_CANDIDATES = [
    Path(__file__).resolve().parents[2] / "../shared/data",
    Path("/work/shared/data"),
]


def shared_data() -> Path | None:
    for candidate in DATA_CANDIDATES:
        if (candidate / "vsfc" / "train.csv").is_file():
            return candidate.resolve()
    return None


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    found = shared_data()
    if found is None:
        pytest.skip(
            "the research datasets are not here (looked for ../shared/data next to the checkout "
            "and /work/shared/data); the engine tests on real data need them"
        )
    return found
