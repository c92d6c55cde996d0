"""The real corpus's build (danvan.nlp.real.build): dedup, NFC, split by group."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

from danvan.nlp.real import COLUMNS, REAL_DIR, read_real
from danvan.nlp.real.build import build

TOPICS = ("roads", "health", "land", "security", "welfare")


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def _row(i: int, group: str, text: str, **labels: str) -> dict[str, str]:
    return {
        "id": f"t{i:03d}",
        "text": text,
        "topic": labels.get("topic", TOPICS[i % len(TOPICS)]),
        "sentiment": labels.get("sentiment", ("negative", "neutral", "positive")[i % 3]),
        "kind": labels.get("kind", ("complaint", "question", "suggestion")[i % 3]),
        "urgent": labels.get("urgent", "yes" if i % 7 == 0 else "no"),
        "abusive": "no",
        "variant": "original",
        "group": group,
        "source_type": "portal",
        "source_url": f"https://example.vn/{group}",
    }


def test_the_split_keeps_each_group_on_one_side_and_is_deterministic(tmp_path: Path) -> None:
    rows = [_row(i, f"g{i // 3}", f"Tin nhắn số {i} về đường thôn") for i in range(90)]
    # The same message twice (once in NFD): kept once, in NFC.
    rows.append(_row(90, "g99", unicodedata.normalize("NFD", "Tin nhắn số 1 về đường thôn")))
    rows.append(_row(91, "g98", "   "))  # no text: dropped
    _write(tmp_path / "collected_a.csv", rows[:50])
    _write(tmp_path / "collected_b.csv", rows[50:])
    report = build(tmp_path)
    train, dev = read_real(tmp_path / "train.csv"), read_real(tmp_path / "dev.csv")
    assert not {r.group for r in train} & {r.group for r in dev}
    assert len(train) + len(dev) == 90, report
    assert 0.2 <= len(dev) / 90 <= 0.4
    assert all(unicodedata.is_normalized("NFC", r.text) for r in train + dev)
    assert {r.topic for r in dev} == set(TOPICS)  # stratified as far as groups allow
    first = (tmp_path / "dev.csv").read_bytes()
    build(tmp_path)
    assert (tmp_path / "dev.csv").read_bytes() == first


def test_the_shipped_real_corpus_has_no_group_in_both_splits() -> None:
    train, dev = read_real(REAL_DIR / "train.csv"), read_real(REAL_DIR / "dev.csv")
    assert train
    assert dev
    assert not {r.group for r in train} & {r.group for r in dev}
