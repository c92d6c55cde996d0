"""Cross-validation on the training splits only: how second stages of the NLP engine compare.

Step 1 (`oof`): for each task, the engine's own machinery on train.csv (features, 10-fold
bagging of its four linear models) gives every training row out-of-fold scores from fold models
that never saw it; they are cached in bench/results/cv/ with the rows' text-shape features and
an LSA projection of their TF-IDF (unsupervised, training rows only).

Step 2 (`compare`): each second-stage variant (stacker, extra inputs, objective of the class
biases) is judged by the same nested protocol as the engine's cross-validated metadata: fold k
is combined and shifted by a stacker and biases fitted on the other folds only. dev.csv is never
read here.

    .venv/bin/python -m bench.nlp_cv oof --only victsd/toxicity
    .venv/bin/python -m bench.nlp_cv compare      # stackers x inputs x objectives
    .venv/bin/python -m bench.nlp_cv engine       # the engine's own protocol, with/without shape
    .venv/bin/python -m bench.nlp_cv views        # block-wise members added to the stack
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from bench.nlp import TASKS, find_data, load

CACHE = Path(__file__).resolve().parent / "results" / "cv"


def fold_ids(folds: list[np.ndarray], n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.int64)
    for i, held in enumerate(folds):
        out[held] = i
    return out


def compute_oof(data: Path, only: list[str] | None) -> None:
    from danvan.nlp.features import block_names, featurize, fit_block, prepare_many
    from danvan.nlp.linear_models import MODELS
    from danvan.nlp.params import Params
    from danvan.nlp.tuning import stratified_folds

    params = Params()
    CACHE.mkdir(parents=True, exist_ok=True)
    for folder, column, _positive, _pub in TASKS:
        name = f"{folder}/{column}"
        if only and name not in only:
            continue
        out = CACHE / f"{folder}_{column}.npz"
        if out.exists():
            continue
        texts, labels = load(data / folder / "train.csv", column)
        classes = sorted(set(labels))
        y = np.array([classes.index(label) for label in labels], dtype=np.int64)
        started = time.process_time()
        docs = prepare_many(texts)
        blocks = [fit_block(b, docs, params) for b in block_names(params)]
        x = featurize(blocks, docs, params)
        folds = stratified_folds(y, params.folds, params.seed)
        oof = {m: np.zeros((len(docs), len(classes))) for m in MODELS}
        for i, held in enumerate(folds):
            print(f"{name} fold {i + 1}", file=sys.stderr, flush=True)
            mask = np.ones(len(docs), dtype=bool)
            mask[held] = False
            for m, fit in MODELS.items():
                w, b = fit(x[mask], y[mask], len(classes), params)
                oof[m][held] = np.asarray(x[held] @ w) + b
        from sklearn.decomposition import TruncatedSVD  # type: ignore[import-untyped]

        words = x[:, : len(blocks[0].vocabulary)]
        lsa = TruncatedSVD(100, random_state=0).fit_transform(words)
        np.savez(
            out,
            y=y,
            classes=np.array(classes),
            fold_of=fold_ids(folds, len(docs)),
            lsa=lsa,
            texts=np.array(texts),
            **{f"oof_{m}": s for m, s in oof.items()},
        )
        print(f"{name}: {time.process_time() - started:.0f} CPU s", file=sys.stderr, flush=True)


def shape_of(texts: list[str]) -> np.ndarray:
    from danvan.nlp.features import shape_features

    return shape_features(texts)


def stacker_scores(
    kind: str, train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, n_classes: int
) -> np.ndarray:
    """Scores (logits) of a second-stage model fitted on train rows, for test rows."""
    if kind == "lr":
        from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

        lr = LogisticRegression(C=1.0, max_iter=1000).fit(train_x, train_y)
        return np.log(np.maximum(lr.predict_proba(test_x), 1e-12))
    if kind.startswith("mlp"):
        from sklearn.neural_network import MLPClassifier  # type: ignore[import-untyped]

        hidden = int(kind[3:] or 32)
        mlp = MLPClassifier(
            hidden_layer_sizes=(hidden,),
            alpha=1e-2,
            max_iter=300,
            early_stopping=True,
            random_state=0,
        ).fit(train_x, train_y)
        return np.log(np.maximum(mlp.predict_proba(test_x), 1e-12))
    if kind.startswith("hgb"):
        from sklearn.ensemble import HistGradientBoostingClassifier  # type: ignore[import-untyped]

        hgb = HistGradientBoostingClassifier(
            max_iter=200,
            learning_rate=0.05,
            max_leaf_nodes=15,
            l2_regularization=1.0,
            early_stopping=True,
            random_state=0,
        ).fit(train_x, train_y)
        return np.log(np.maximum(hgb.predict_proba(test_x), 1e-12))
    raise ValueError(kind)


def evaluate_variant(
    inputs: np.ndarray,
    y: np.ndarray,
    fold_of: np.ndarray,
    kind: str,
    objectives: list[str],
    positive: int | None,
) -> dict[str, tuple[float, float, float]]:
    """Nested CV: out-of-fold stacker outputs; biases for fold k tuned on the other folds."""
    from danvan.nlp.tuning import f1_scores, tune_biases

    n_classes = int(y.max()) + 1
    k = int(fold_of.max()) + 1
    out = np.zeros((len(y), n_classes))
    for i in range(k):
        held = fold_of == i
        mu = inputs[~held].mean(axis=0)
        sd = inputs[~held].std(axis=0) + 1e-9
        out[held] = stacker_scores(
            kind, (inputs[~held] - mu) / sd, y[~held], (inputs[held] - mu) / sd, n_classes
        )
    results = {}
    counts = np.bincount(y, minlength=n_classes)
    for objective in objectives:
        pred = np.zeros(len(y), dtype=np.int64)
        for i in range(k):
            held = fold_of == i
            bias = tune_biases(out[~held], y[~held], objective=objective)
            pred[held] = np.argmax(out[held] + bias, axis=1)
        f1 = f1_scores(y, pred, n_classes)
        results[objective] = (
            float(f1.mean()),
            float((f1 * counts).sum() / counts.sum()),
            float(f1[positive]) if positive is not None else float("nan"),
        )
    return results


def compare(only: list[str] | None, variants: list[str]) -> None:
    for folder, column, positive_label, _pub in TASKS:
        name = f"{folder}/{column}"
        path = CACHE / f"{folder}_{column}.npz"
        if (only and name not in only) or not path.exists():
            continue
        data = np.load(path, allow_pickle=False)
        y, fold_of = data["y"], data["fold_of"]
        classes = [str(c) for c in data["classes"]]
        positive = classes.index(positive_label) if positive_label else None
        models = [k[4:] for k in data.files if k.startswith("oof_")]
        scores = np.hstack([data[f"oof_{m}"] / (np.std(data[f"oof_{m}"]) or 1.0) for m in models])
        shape = shape_of([str(t) for t in data["texts"]])
        lsa = data["lsa"]
        objectives = ["macro_f1", "weighted_f1"] + (
            [f"f1:{positive}"] if positive is not None else []
        )
        for variant in variants:
            kind, _, extra = variant.partition("+")
            blocks = [scores]
            if "shape" in extra:
                blocks.append(shape)
            if "lsa" in extra:
                blocks.append(lsa)
            started = time.process_time()
            res = evaluate_variant(np.hstack(blocks), y, fold_of, kind, objectives, positive)
            took = time.process_time() - started
            for objective, (mf1, wf1, pf1) in res.items():
                print(
                    f"{name:24s} {variant:18s} {objective:12s} macro {mf1:.4f} weighted {wf1:.4f}"
                    f" positive {pf1:.4f}  ({took:.0f} s)",
                    flush=True,
                )


def engine_protocol(only: list[str] | None) -> None:
    """What fit_docs itself will see: its candidates and objectives under its own protocol
    (stacker and biases fitted on the other folds, in-sample)."""
    from danvan.nlp.stacking import _cross_validated
    from danvan.nlp.tuning import f1_scores, objective_value

    for folder, column, positive_label, _pub in TASKS:
        name = f"{folder}/{column}"
        path = CACHE / f"{folder}_{column}.npz"
        if (only and name not in only) or not path.exists():
            continue
        data = np.load(path, allow_pickle=False)
        y, fold_of = data["y"], data["fold_of"]
        classes = [str(c) for c in data["classes"]]
        n_classes = len(classes)
        folds = [np.flatnonzero(fold_of == i) for i in range(int(fold_of.max()) + 1)]
        models = [k[4:] for k in data.files if k.startswith("oof_")]
        stacked = np.hstack([data[f"oof_{m}"] / (np.std(data[f"oof_{m}"]) or 1.0) for m in models])
        shape = shape_of([str(t) for t in data["texts"]])
        sd = shape.std(axis=0)
        sd[sd == 0] = 1.0
        candidates = {
            "scores": stacked,
            "scores+shape": np.hstack([stacked, (shape - shape.mean(axis=0)) / sd]),
        }
        objectives = ["macro_f1", "weighted_f1"]
        if positive_label:
            objectives.append(f"f1:{classes.index(positive_label)}")
        counts = np.bincount(y, minlength=n_classes)
        for objective in objectives:
            for cand, inputs in candidates.items():
                pred = _cross_validated(inputs, y, folds, objective)
                f1 = f1_scores(y, pred, n_classes)
                pos = f1[classes.index(positive_label)] if positive_label else float("nan")
                print(
                    f"{name:24s} {cand:13s} {objective:12s} "
                    f"objective {objective_value(y, pred, n_classes, objective):.4f} "
                    f"macro {f1.mean():.4f} weighted {(f1 * counts).sum() / counts.sum():.4f} "
                    f"positive {pos:.4f}",
                    flush=True,
                )


VIEW_SETS: dict[str, list[str]] = {
    "4 models (1.1)": [],
    "+svm words+folded, chars (1.2)": ["svm_wf", "svm_chars"],
    "+svm words, folded, chars": ["svm_words", "svm_folded", "svm_chars"],
    "+svm and nbsvm on words+folded, chars": ["svm_wf", "svm_chars", "nbsvm_wf", "nbsvm_chars"],
    "+svm and lr on words+folded, chars": ["svm_wf", "svm_chars", "lr_wf", "lr_chars"],
    "+all eight": [
        "svm_words",
        "svm_folded",
        "svm_chars",
        "svm_wf",
        "nbsvm_wf",
        "nbsvm_chars",
        "lr_wf",
        "lr_chars",
    ],
}


def views(data: Path, only: list[str] | None) -> None:
    """Block-wise members (a model on some feature blocks only) added to the cached stack, under
    the engine's protocol, for the task's objective (bench/nlp.py OPTIMIZE)."""
    import scipy.sparse as sp  # type: ignore[import-untyped]

    from bench.nlp import OPTIMIZE
    from danvan.nlp.features import block_names, fit_block, prepare_many
    from danvan.nlp.linear_models import MODELS
    from danvan.nlp.params import Params
    from danvan.nlp.stacking import _cross_validated
    from danvan.nlp.tuning import f1_scores, objective_index

    params = Params()
    for folder, column, positive_label, _pub in TASKS:
        name = f"{folder}/{column}"
        path = CACHE / f"{folder}_{column}.npz"
        if (only and name not in only) or not path.exists():
            continue
        cache = np.load(path, allow_pickle=False)
        y, fold_of = cache["y"], cache["fold_of"]
        classes = [str(c) for c in cache["classes"]]
        k = len(classes)
        texts, _labels = load(data / folder / "train.csv", column)
        docs = prepare_many(texts)
        blocks = {b: fit_block(b, docs, params) for b in block_names(params)}
        mats = {b: block.transform(docs, params) for b, block in blocks.items()}
        words_folded = sp.hstack([mats["words"], mats["folded"]], format="csr")
        members = {
            "svm_words": ("svm", mats["words"]),
            "svm_folded": ("svm", mats["folded"]),
            "svm_chars": ("svm", mats["chars"]),
            "svm_wf": ("svm", words_folded),
            "nbsvm_wf": ("nbsvm", words_folded),
            "nbsvm_chars": ("nbsvm", mats["chars"]),
            "lr_wf": ("lr", words_folded),
            "lr_chars": ("lr", mats["chars"]),
        }
        folds = [np.flatnonzero(fold_of == i) for i in range(int(fold_of.max()) + 1)]
        oof = {m: np.zeros((len(y), k)) for m in members}
        cost = dict.fromkeys(members, 0.0)
        for held in folds:
            mask = np.ones(len(y), dtype=bool)
            mask[held] = False
            for m, (model, x) in members.items():
                started = time.process_time()
                w, b = MODELS[model](x[mask], y[mask], k, params)
                cost[m] += time.process_time() - started
                oof[m][held] = np.asarray(x[held] @ w) + b
        print(f"{name}: CPU s per member, all folds: { ({m: round(c) for m, c in cost.items()}) }")
        base = [cache[f] / (np.std(cache[f]) or 1.0) for f in cache.files if f.startswith("oof_")]
        objective = OPTIMIZE.get(name, "macro_f1")
        target = objective_index(objective, classes)
        for label, extra in VIEW_SETS.items():
            inputs = np.hstack(base + [oof[m] / (np.std(oof[m]) or 1.0) for m in extra])
            pred = _cross_validated(inputs, y, folds, target)
            f1 = f1_scores(y, pred, k)
            pos = f1[classes.index(positive_label)] if positive_label else float("nan")
            print(
                f"{name:24s} {label:40s} {objective:16s} macro {f1.mean():.4f} positive {pos:.4f}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=["oof", "compare", "engine", "views"])
    parser.add_argument("--data")
    parser.add_argument("--only")
    parser.add_argument("--variants", default="lr,lr+shape,mlp32+shape,hgb+shape")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    only = args.only.split(",") if args.only else None
    if args.step == "oof":
        from danvan.nlp.engine import single_core

        with single_core():
            compute_oof(find_data(args.data), only)
    elif args.step == "engine":
        engine_protocol(only)
    elif args.step == "views":
        views(find_data(args.data), only)
    else:
        compare(only, args.variants.split(","))


if __name__ == "__main__":
    main()
