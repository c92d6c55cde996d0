"""The product's opinion classifiers on the held-out part of the seed corpus.

    python -m bench.classifiers [--folds 3]

Trains each task (topic, sentiment, kind, urgent, abusive) on danvan/nlp/seed/train.csv with the
parameters the product uses (danvan.nlp.classifiers.PARAMS), evaluates on heldout.csv (messages
built only from phrasings and insults that train.csv never contains), and prints per task the
engine's figures next to a plain TF-IDF (words 1-2 + chars 2-5) + linear SVM baseline. Also the
throughput of the five models together (one core, whole path) and the training time.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from danvan.nlp import classifiers, engine
from danvan.nlp.params import Params


def baseline(train: list[classifiers.Row], test: list[classifiers.Row], task: str) -> Any:
    from scipy.sparse import hstack  # type: ignore[import-untyped]
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
    from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    x_train = hstack(
        [words.fit_transform([r.text for r in train]), chars.fit_transform([r.text for r in train])]
    ).tocsr()
    x_test = hstack(
        [words.transform([r.text for r in test]), chars.transform([r.text for r in test])]
    ).tocsr()
    model = LinearSVC(C=1.0).fit(x_train, [r.label(task) for r in train])
    gold = [r.label(task) for r in test]
    return engine.metrics(gold, list(model.predict(x_test)), sorted(set(gold)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=classifiers.PARAMS.folds)
    args = parser.parse_args()
    params = Params(folds=args.folds)
    train = classifiers.seed_rows("train.csv")
    test = classifiers.seed_rows("heldout.csv")
    print(f"train {len(train)} messages, held-out {len(test)} messages, folds {args.folds}")
    started = time.perf_counter()
    model_set = classifiers.train_set(train, version="bench", params=params)
    seconds = time.perf_counter() - started
    results = model_set.evaluate(test)
    summary: dict[str, Any] = {"training_seconds": round(seconds, 1)}
    for task in classifiers.TASKS:
        ours = results[task]
        base = baseline(train, test, task)
        line = {
            "macro_f1": ours["macro_f1"],
            "weighted_f1": ours["weighted_f1"],
            "accuracy": ours["accuracy"],
            "baseline_macro_f1": base["macro_f1"],
            "per_class_f1": {k: v["f1"] for k, v in ours["per_class"].items()},
        }
        summary[task] = line
        print(task, json.dumps(line, ensure_ascii=False))
    texts = [r.text for r in test]
    with engine.single_core():
        started = time.process_time()
        model_set.classify(texts)
        elapsed = time.process_time() - started
    summary["messages_per_second_all_five"] = round(len(texts) / elapsed, 1)
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
