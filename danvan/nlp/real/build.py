"""Builds the real corpus's `train.csv` and `dev.csv` from the collected files.

    python -m danvan.nlp.real.build [--dir danvan/nlp/real] [--dev-share 0.3] [--seed 12]

Deterministic: the same collected files give byte-identical outputs.

1. Reads every `collected_*.csv` of the directory (sorted by name; columns `COLUMNS`).
2. Cleans each text (NFC, control characters out, whitespace collapsed) and checks its labels
   (topic: a code of the taxonomy; sentiment, kind: the taxonomy's; urgent, abusive: yes/no).
   Rows with an empty text or a bad label are dropped and counted.
3. Drops duplicates: two rows whose texts are the same once cleaned and lower-cased are one
   message; the first is kept (files in name order, rows in file order). A message's variants
   made by the collectors (`variant`: typed without diacritics, shortened as in a chat) are
   other texts and are kept, in their original's group, so never on the other side of the
   split.
4. Splits by group (a source page, a thread): no group has rows in both files. Groups are
   shuffled with the fixed seed (not sorted by size: dev would get the large threads), then
   dealt in that order; each goes to dev when that brings
   dev's size and label counts (every value of every label, each count relative to its total;
   the size weighing as much as all of them) closer to `dev_share` of the whole, else to
   train: stratified as far as whole groups allow.
5. A group keeps its side: the groups of the `train.csv` and `dev.csv` already in the directory
   stay where they are (relabelling a message or adding a part never moves a page between
   train and dev, so figures on dev stay comparable); only new groups are dealt as in 4, after
   the kept ones are counted. Delete both files to split everything anew.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from danvan.kernel.taxonomy import DEFAULT_TOPICS, KINDS, SENTIMENTS
from danvan.kernel.text import clean
from danvan.nlp.real import COLUMNS, REAL_DIR, real_rows

SEED = 12
DEV_SHARE = 0.3
LABELS = ("topic", "sentiment", "kind", "urgent", "abusive")
_SPACES = re.compile(r"\s+")


def _valid(row: dict[str, str]) -> bool:
    topics = {t.code for t in DEFAULT_TOPICS}
    return (
        bool(row["text"])
        and row["topic"] in topics
        and row["sentiment"] in SENTIMENTS
        and row["kind"] in KINDS
        and row["urgent"] in ("yes", "no")
        and row["abusive"] in ("yes", "no")
    )


def collect(paths: Sequence[Path]) -> tuple[list[dict[str, str]], Counter[str]]:
    """Cleaned, valid, de-duplicated rows of the collected files, and what was dropped."""
    dropped: Counter[str] = Counter()
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    for path in paths:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for raw in csv.DictReader(handle):
                row = {c: _SPACES.sub(" ", clean(raw.get(c) or "")) for c in COLUMNS}
                for label in ("urgent", "abusive", "topic", "sentiment", "kind"):
                    row[label] = row[label].lower()
                row["group"] = row["group"] or row["source_url"] or row["id"]
                row["variant"] = row["variant"] or "original"
                if not _valid(row):
                    dropped["invalid"] += 1
                    continue
                key = row["text"].lower()
                if key in seen:
                    dropped["duplicate"] += 1
                    continue
                seen.add(key)
                out.append(row)
    return out, dropped


def split(
    rows: Sequence[dict[str, str]],
    *,
    dev_share: float = DEV_SHARE,
    seed: int = SEED,
    kept: dict[str, bool] | None = None,
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Train and dev rows; `kept`: groups whose side is already decided (True: dev)."""
    kept = kept or {}
    by_group: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_group.setdefault(row["group"], []).append(row)
    names = sorted(by_group)
    random.Random(seed).shuffle(names)
    # Kept groups first (in the same shuffled order), so the new ones are dealt against them.
    names = [n for n in names if n in kept] + [n for n in names if n not in kept]
    total: Counter[str] = Counter(f"{lab}={r[lab]}" for r in rows for lab in LABELS)
    total["rows"] = len(rows)
    dev_counts: Counter[str] = Counter()
    dev_groups: set[str] = set()

    def distance(counts: Counter[str]) -> float:
        # The size of dev weighs as much as all the label counts together.
        labels = sum((counts[k] / n - dev_share) ** 2 for k, n in total.items() if k != "rows")
        return labels + len(total) * (counts["rows"] / total["rows"] - dev_share) ** 2

    for name in names:
        group: Counter[str] = Counter(f"{lab}={r[lab]}" for r in by_group[name] for lab in LABELS)
        group["rows"] = len(by_group[name])
        to_dev = kept[name] if name in kept else distance(dev_counts + group) < distance(dev_counts)
        if to_dev:
            dev_counts += group
            dev_groups.add(name)
    train = [r for r in rows if r["group"] not in dev_groups]
    dev = [r for r in rows if r["group"] in dev_groups]
    return train, dev


def to_csv(rows: Sequence[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def build(directory: Path = REAL_DIR, *, dev_share: float = DEV_SHARE, seed: int = SEED) -> str:
    paths = sorted(directory.glob("collected_*.csv"))
    rows, dropped = collect(paths)
    # An earlier build's pages keep their side.
    kept = {r.group: False for r in real_rows("train.csv", directory)}
    kept.update({r.group: True for r in real_rows("dev.csv", directory)})
    train, dev = split(rows, dev_share=dev_share, seed=seed, kept=kept)
    (directory / "train.csv").write_text(to_csv(train), encoding="utf-8")
    (directory / "dev.csv").write_text(to_csv(dev), encoding="utf-8")
    lines = [
        f"read {', '.join(p.name for p in paths)}: {len(rows)} messages kept "
        f"({dropped['duplicate']} duplicates, {dropped['invalid']} invalid rows dropped)",
        f"train {len(train)} messages in {len({r['group'] for r in train})} groups, "
        f"dev {len(dev)} in {len({r['group'] for r in dev})} groups",
    ]
    for label in LABELS:
        counts = Counter(r[label] for r in rows)
        shares = ", ".join(
            f"{v} {sum(1 for r in dev if r[label] == v)}/{n}" for v, n in sorted(counts.items())
        )
        lines.append(f"{label} (dev/all): {shares}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=REAL_DIR)
    parser.add_argument("--dev-share", type=float, default=DEV_SHARE)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    print(build(args.dir, dev_share=args.dev_share, seed=args.seed))


if __name__ == "__main__":
    main()
