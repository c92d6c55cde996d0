"""Person-name masking on the project's evaluation set (danvan/nlp/seed/pii_names.csv).

    ./dev bench pii [--repeat 3]

The set has two parts: "tuning" (the rules were adjusted while looking at it) and "unseen"
(written afterwards, measured as it came): the unseen figures are the honest ones. For each way
of finding names (rules only, underthesea's NER only, NER with place names dropped,
and their unions) prints exact-span precision / recall / F1, "covered" (share of names whose
every character is masked), "leaked" (share of messages with a name where some name stays
visible), "over" (share of messages where something that is not a name is masked), and
messages/s: the best of --repeat passes over the set, one thread, NER's import and model loading
done before the clock starts (its cost is printed apart). Then the same per kind of message for
the shipped `name_spans`. Needs underthesea installed for the NER rows.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from danvan.nlp import names
from danvan.nlp.seed.pii import NameExample, Span, load_name_examples, score


def _union(*finders: Callable[[str], list[Span]]) -> Callable[[str], list[Span]]:
    return lambda text: names._merge_spans(s for f in finders for s in f(text))


METHODS: dict[str, Callable[[str], list[Span]]] = {
    "rules": names._rule_name_spans,
    "ner": names._ner_spans,
    "ner, places dropped": names._ner_name_spans,
    "rules + ner": _union(names._rule_name_spans, names._ner_spans),
    "rules + ner, places dropped": _union(names._rule_name_spans, names._ner_name_spans),
    "shipped (name_spans)": names.name_spans,
}


def _speed(examples: list[NameExample], find: Callable[[str], list[Span]], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for example in examples:
            find(example.text)
        best = min(best, time.process_time() - start)
    return len(examples) / best if best else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    examples = load_name_examples()
    start = time.perf_counter()
    available = names._ner_tagger() is not None
    if available:
        names._ner_spans("Anh Nguyễn Văn Nam ở xã Minh Quang")  # loads the four CRF models
    loaded = f"loaded in {time.perf_counter() - start:.1f} s" if available else "absent"
    print(
        f"{len(examples)} messages, {sum(len(e.spans) for e in examples)} names; "
        f"underthesea {loaded}"
    )
    header = f"{'method':<30} {'P':>5} {'R':>5} {'F1':>5} {'covered':>8} {'leaked':>7} {'over':>5}"
    for part in ("unseen", "tuning", "all"):
        rows = [e for e in examples if part in ("all", e.part)]
        print(f"\n{part}: {len(rows)} messages, {sum(len(e.spans) for e in rows)} names")
        print(header + (f" {'msg/s':>8}" if part == "all" else ""))
        for name, find in METHODS.items():
            if "ner" in name and not available:
                continue
            s = score(rows, find)
            rate = f" {_speed(rows, find, args.repeat):8,.0f}" if part == "all" else ""
            print(
                f"{name:<30} {s.precision:5.3f} {s.recall:5.3f} {s.f1:5.3f} {s.covered:8.3f} "
                f"{s.leaked:7.3f} {s.overmasked:5.3f}{rate}"
            )
    print("\nshipped name_spans by kind of message (all parts):")
    print(f"{'kind':<10} {'msgs':>5} {'names':>5} {'P':>5} {'R':>5} {'leaked':>7} {'over':>5}")
    for kind in dict.fromkeys(e.kind for e in examples):
        part = [e for e in examples if e.kind == kind]
        s = score(part, names.name_spans)
        print(
            f"{kind:<10} {s.messages:5d} {s.names:5d} {s.precision:5.3f} {s.recall:5.3f} "
            f"{s.leaked:7.3f} {s.overmasked:5.3f}"
        )


if __name__ == "__main__":
    main()
