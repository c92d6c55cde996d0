"""Where the research datasets are (VSFC, ViCTSD, ViHSD: `vsfc/`, `victsd/`, `vihsd/`, each with
train.csv and dev.csv), for the NLP benchmarks and the engine tests on real data.

One place decides: the `--data DIR` flag of a benchmark, else `DANVAN_DATA_DIR`, else
`../shared/data` next to the checkout. No other folder is guessed."""

from __future__ import annotations

import os
from pathlib import Path

ENV = "DANVAN_DATA_DIR"
CHECKOUT = Path(__file__).resolve().parents[2]
DEFAULT = CHECKOUT.parent / "shared" / "data"
HINT = (
    "pass --data DIR or set DANVAN_DATA_DIR to the folder with vsfc/, victsd/ and vihsd/ "
    "(default: ../shared/data next to the checkout)"
)


class DataMissing(Exception):
    """The datasets are not where the flag, the setting or the default says."""


def data_dir(explicit: str | Path | None = None) -> Path:
    """The datasets' folder: `explicit` (a --data flag), else DANVAN_DATA_DIR, else the default."""
    given = explicit or os.environ.get(ENV)
    folder = Path(given).expanduser() if given else DEFAULT
    if not (folder / "vsfc" / "train.csv").is_file():
        source = "--data" if explicit else ENV if given else "the default"
        raise DataMissing(f"no datasets in {folder} ({source}): {HINT}")
    return folder.resolve()
