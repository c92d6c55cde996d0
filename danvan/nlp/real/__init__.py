"""The real corpus: messages real citizens wrote to public authorities, labelled by the project
(PROVENANCE.md). `python -m danvan.nlp.real.build` turns the collected files into `train.csv`
(trained on, with the seed corpus) and `dev.csv` (held out for bench/real.py), split by source
page."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

REAL_DIR = Path(__file__).parent
COLUMNS = (
    "id",
    "text",
    "topic",
    "sentiment",
    "kind",
    "urgent",
    "abusive",
    "variant",
    "group",
    "source_type",
    "source_url",
)


@dataclass(frozen=True)
class RealRow:
    id: str
    text: str
    topic: str
    sentiment: str
    kind: str
    urgent: bool
    abusive: bool
    group: str
    variant: str = "original"


def yes(value: str) -> bool:
    """A yes/no label cell of a corpus file (the seed's and the real one's)."""
    return value.strip().lower() in ("yes", "1", "true", "có")


def read_real(path: Path) -> list[RealRow]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            RealRow(
                id=r["id"],
                text=r["text"],
                topic=r["topic"],
                sentiment=r["sentiment"],
                kind=r["kind"],
                urgent=yes(r["urgent"]),
                abusive=yes(r["abusive"]),
                group=r.get("group") or r["id"],
                variant=r.get("variant") or "original",
            )
            for r in csv.DictReader(handle)
        ]


def real_rows(part: str, directory: Path = REAL_DIR) -> list[RealRow]:
    """The rows of `train.csv` or `dev.csv`; empty when the corpus is not built."""
    path = directory / part
    return read_real(path) if path.exists() else []
