"""The seed corpus the project writes for its own classifiers: its shape, its diversity, and
that the committed files are exactly what the generator writes."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from danvan.kernel.geo import province
from danvan.kernel.taxonomy import DEFAULT_TOPICS, KINDS, SENTIMENTS
from danvan.kernel.text import fold
from danvan.nlp.classifiers import SEED_DIR, seed_rows
from danvan.nlp.seed import generate

ROWS = seed_rows()


def test_the_committed_files_are_what_the_generator_writes() -> None:
    train, heldout = generate.generate()
    for name, rows in (("train.csv", train), ("heldout.csv", heldout)):
        with (SEED_DIR / name).open(encoding="utf-8", newline="") as handle:
            assert list(csv.DictReader(handle)) == rows, f"{name}: run the generator again"


def test_every_label_is_one_the_product_knows() -> None:
    assert {r.topic for r in ROWS} == {t.code for t in DEFAULT_TOPICS}
    assert {r.sentiment for r in ROWS} == set(SENTIMENTS)
    assert {r.kind for r in ROWS} == set(KINDS)


@pytest.mark.parametrize("topic", [t.code for t in DEFAULT_TOPICS])
def test_each_topic_has_hundreds_of_messages(topic: str) -> None:
    assert sum(1 for r in ROWS if r.topic == topic) >= 200


@pytest.mark.parametrize(
    ("task", "label", "at_least"),
    [
        ("urgent", True, 300),
        ("abusive", True, 100),
        ("sentiment", "positive", 300),
        ("kind", "suggestion", 300),
        ("kind", "other", 150),
    ],
)
def test_rare_labels_are_not_an_afterthought(task: str, label: object, at_least: int) -> None:
    assert sum(1 for r in ROWS if getattr(r, task) == label) >= at_least


def test_messages_are_written_the_way_citizens_type() -> None:
    texts = [r.text for r in ROWS]
    no_marks = [t for t in texts if fold(t) == t.lower() and any(ch.isalpha() for ch in t)]
    assert len(no_marks) / len(texts) > 0.2  # typed without diacritics
    words = Counter(w.strip(",.?!").lower() for t in texts for w in t.split())
    for short in ("ko", "k", "dc", "đc", "vs", "j"):
        assert words[short] >= 5, short
    lengths = sorted(len(t) for t in texts)
    assert lengths[len(lengths) // 10] < 50 < 150 < lengths[-len(lengths) // 20]


def test_messages_come_from_many_communes_of_the_province() -> None:
    names = {fold(c.short_name).lower() for c in province(8).communes}
    corpus = "\n".join(fold(r.text).lower() for r in ROWS)
    seen = {name for name in names if name in corpus}
    assert len(seen) >= 60


def test_the_held_out_file_shares_no_message_with_the_training_file() -> None:
    train = {fold(r.text).lower() for r in seed_rows("train.csv")}
    heldout = [fold(r.text).lower() for r in seed_rows("heldout.csv")]
    assert len(heldout) >= 500
    assert not train.intersection(heldout)


def test_the_corpus_has_its_provenance() -> None:
    text = (Path(SEED_DIR) / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "danvan" in text
    assert "shared/data" in text
