"""The real corpus's build (danvan.nlp.real.build): dedup, NFC, split by group."""

from __future__ import annotations

import csv
import json
import re
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


def test_a_group_keeps_its_side_when_labels_change_and_pages_are_added(tmp_path: Path) -> None:
    rows = [_row(i, f"g{i // 3}", f"Tin nhắn số {i} về đường thôn") for i in range(90)]
    _write(tmp_path / "collected_a.csv", rows)
    build(tmp_path)
    sides = {r.group: "dev" for r in read_real(tmp_path / "dev.csv")}
    sides.update({r.group: "train" for r in read_real(tmp_path / "train.csv")})
    # Relabel every message of one dev group, and add a part with new pages.
    moved = next(g for g, side in sides.items() if side == "dev")
    relabelled = [
        {**r, "topic": "security", "kind": "praise"} if r["group"] == moved else r for r in rows
    ]
    _write(tmp_path / "collected_a.csv", relabelled)
    new = [_row(100 + i, f"n{i // 3}", f"Phản ánh mới số {i} về điện") for i in range(30)]
    _write(tmp_path / "collected_b.csv", new)
    build(tmp_path)
    train, dev = read_real(tmp_path / "train.csv"), read_real(tmp_path / "dev.csv")
    after = {r.group: "dev" for r in dev} | {r.group: "train" for r in train}
    assert {g: after[g] for g in sides} == sides
    assert {r.topic for r in dev if r.group == moved} == {"security"}
    new_sides = [after[f"n{i}"] for i in range(10)]
    # New pages are dealt, not all to one side.
    assert "dev" in new_sides
    assert "train" in new_sides
    # Without the earlier outputs, everything is split anew (and may move).
    (tmp_path / "train.csv").unlink()
    (tmp_path / "dev.csv").unlink()
    build(tmp_path)
    assert len(read_real(tmp_path / "train.csv")) + len(read_real(tmp_path / "dev.csv")) == 120


def test_the_shipped_real_corpus_has_no_group_in_both_splits() -> None:
    train, dev = read_real(REAL_DIR / "train.csv"), read_real(REAL_DIR / "dev.csv")
    assert train
    assert dev
    assert not {r.group for r in train} & {r.group for r in dev}


def test_the_shipped_real_corpus_carries_no_phone_email_or_id_number() -> None:
    """Personal data is masked before a text enters a collected file (PROVENANCE.md, "Method")."""
    phone = re.compile(r"(?<![\d.,])(?:\+?84|0)\d{2,3}[ .-]?\d{3}[ .-]?\d{3,4}(?![\d.,])")
    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    id_number = re.compile(r"(?<![\d.,])(?:\d{9}|\d{12})(?![\d.,])")
    rows = read_real(REAL_DIR / "train.csv") + read_real(REAL_DIR / "dev.csv")
    patterns = (phone, email, id_number)
    leaks = [r.id for r in rows if any(p.search(r.text) for p in patterns)]
    assert not leaks, leaks


def test_the_relabelling_record_matches_the_collected_files() -> None:
    """Each change in relabel_e.json is in the collected files, under a rule it states."""
    record = json.loads((REAL_DIR / "relabel_e.json").read_text(encoding="utf-8"))
    rows: dict[str, dict[str, str]] = {}
    for path in sorted(REAL_DIR.glob("collected_*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows.update((r["id"], r) for r in csv.DictReader(handle))
    assert record["changes"]
    for change in record["changes"]:
        row, original = rows[change["id"]], rows[change["original"]]
        assert change["rule"] in record["rules"], change
        assert change["old"] != change["new"], change
        assert row[change["field"]] == change["new"] == original[change["field"]], change
        assert row["group"] == original["group"], change
