"""Where the test suite keeps trained classifier sets: a folder in the system's temporary
directory, never the checkout (`var/models` is the deployment's and the demo's).

Training the default set from the seed corpus takes minutes, so the folder outlives one run and
is shared by the suite's parallel workers (training takes a lock; sets are keyed by corpus and
engine version, so a change retrains). `DANVAN_TEST_MODELS_DIR` names another folder.

On a cold folder (a fresh CI machine) the suite starts training the default set in a process of
its own as it starts (`train_in_background`): the tests that need the set come last, by when it is
ready; the tests before them run meanwhile instead of waiting for it."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_SET_LOG = "default-set.log"


def test_models_dir() -> Path:
    given = os.environ.get("DANVAN_TEST_MODELS_DIR")
    if given:
        return Path(given).resolve()
    return Path(tempfile.gettempdir()) / f"danvan-test-models-{getpass.getuser()}"


TEST_MODELS_DIR = test_models_dir()


def train_in_background() -> subprocess.Popen[bytes]:
    """A process that trains the default set into the models folder unless it is there (taking
    the training lock, so a test that needs the set meanwhile waits for it, then loads it)."""
    TEST_MODELS_DIR.mkdir(parents=True, exist_ok=True)
    with (TEST_MODELS_DIR / DEFAULT_SET_LOG).open("wb") as log:
        return subprocess.Popen(  # noqa: S603 - our own argv
            [sys.executable, "-m", "danvan.testing.models", str(TEST_MODELS_DIR)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),  # the suite's settings (the encoder off)
        )


def _train(models_dir: Path) -> None:
    from danvan.kernel.taxonomy import DEFAULT_TOPICS
    from danvan.nlp import classifiers

    codes = [t.code for t in DEFAULT_TOPICS]
    if (models_dir / classifiers.default_version(codes) / "set.json").exists():
        print("the default set is already trained")
        return
    classifiers.default_set(models_dir, topic_codes=codes, log=print)
    print("the default set is trained")


if __name__ == "__main__":
    _train(Path(sys.argv[1]))
