"""The project's evaluation set for person-name masking (`pii_names.csv`) and how it is scored.

Each row is a short citizen-style message, the person names in it (" | "-separated, each
occurrence listed; "Lâm#1" means the first occurrence only, when the same word is also a place
further on), a kind (address, fullname, intro, nodiac, lower, common, mixed, place, org, none)
and a part: "tuning" rows were written first and the rules were adjusted while looking at them;
"unseen" rows were written afterwards and measured as they came, so their figures are honest.
Used by bench/pii.py (figures) and tests/nlp/test_pipeline.py (a quality floor).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from danvan.kernel.text import nfc

NAMES_CSV = Path(__file__).with_name("pii_names.csv")

Span = tuple[int, int]


@dataclass(frozen=True)
class NameExample:
    text: str
    spans: tuple[Span, ...]  # the exact character spans to mask, in order
    kind: str
    part: str  # "tuning" (the rules were adjusted on these) or "unseen" (written after that)


def _occurrences(text: str, name: str) -> list[Span]:
    pattern = re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)")
    return [m.span() for m in pattern.finditer(text)]


def _spans_of(text: str, names: Sequence[str]) -> tuple[Span, ...]:
    """Gold spans from the names column; refuses a row whose names do not match its text."""
    spans: list[Span] = []
    for name in dict.fromkeys(names):
        base, _, nth = name.partition("#")
        found = _occurrences(text, base)
        if nth:
            spans.append(found[int(nth) - 1])
        elif len(found) != names.count(name):
            raise ValueError(f"{name!r} occurs {len(found)} times in {text!r}")
        else:
            spans.extend(found)
    return tuple(sorted(spans))


def load_name_examples(path: Path = NAMES_CSV) -> list[NameExample]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = []
    for row in rows:
        text = nfc(row["text"])
        names = [n.strip() for n in row["names"].split("|") if n.strip()]
        out.append(
            NameExample(text=text, spans=_spans_of(text, names), kind=row["kind"], part=row["part"])
        )
    return out


@dataclass(frozen=True)
class NameScores:
    precision: float  # exact spans
    recall: float
    f1: float
    covered: float  # share of gold names whose every character is masked (privacy recall)
    leaked: float  # share of messages with a name where some name stays visible
    overmasked: float  # share of messages where something that is not a name is masked
    messages: int
    names: int


def _covers(predicted: Iterable[Span], start: int, end: int) -> bool:
    hidden: set[int] = set()
    for s, e in predicted:
        hidden.update(range(s, e))
    return all(i in hidden for i in range(start, end))


def score(examples: Sequence[NameExample], predict: Callable[[str], list[Span]]) -> NameScores:
    tp = fp = fn = covered = leaked = overmasked = with_names = 0
    for example in examples:
        predicted = predict(example.text)
        gold = set(example.spans)
        found = set(predicted)
        tp += len(gold & found)
        fp += len(found - gold)
        fn += len(gold - found)
        covered_here = [_covers(predicted, s, e) for s, e in example.spans]
        covered += sum(covered_here)
        if example.spans:
            with_names += 1
            leaked += not all(covered_here)
        gold_chars = {i for s, e in example.spans for i in range(s, e)}
        if any(
            i not in gold_chars and not example.text[i].isspace()
            for s, e in predicted
            for i in range(s, e)
        ):
            overmasked += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    names = sum(len(e.spans) for e in examples)
    return NameScores(
        precision=precision,
        recall=recall,
        f1=f1,
        covered=covered / names if names else 1.0,
        leaked=leaked / with_names if with_names else 0.0,
        overmasked=overmasked / len(examples) if examples else 0.0,
        messages=len(examples),
        names=names,
    )
