"""Where the test suite keeps trained classifier sets: a folder in the system's temporary
directory, never the checkout (`var/models` is the deployment's and the demo's).

Training the default set from the seed corpus takes minutes, so the folder outlives one run and
is shared by the suite's parallel workers (training takes a lock; sets are keyed by corpus and
engine version, so a change retrains). `DANVAN_TEST_MODELS_DIR` names another folder."""

from __future__ import annotations

import getpass
import os
import tempfile
from pathlib import Path


def test_models_dir() -> Path:
    given = os.environ.get("DANVAN_TEST_MODELS_DIR")
    if given:
        return Path(given).resolve()
    return Path(tempfile.gettempdir()) / f"danvan-test-models-{getpass.getuser()}"


TEST_MODELS_DIR = test_models_dir()
