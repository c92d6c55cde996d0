"""Tuning on out-of-fold scores: F1 and the objectives (`macro_f1`, `weighted_f1`,
`f1:<label>`), per-class biases, the softmax temperature, and the stratified folds the engine
cross-validates on."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from danvan.nlp.params import EngineError


def f1_scores(y: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """F1 of each class (0 for a class never predicted correctly); one pass over the rows (bias
    tuning calls this thousands of times)."""
    tp = np.bincount(y[pred == y], minlength=n_classes).astype(np.float64)
    predicted = np.bincount(pred, minlength=n_classes)
    actual = np.bincount(y, minlength=n_classes)
    denominator = predicted + actual  # 2tp + fp + fn
    f1: np.ndarray = np.divide(
        2 * tp, denominator, out=np.zeros(n_classes), where=(tp > 0) & (denominator > 0)
    )
    return f1


OBJECTIVES = ("macro_f1", "weighted_f1")


def check_objective(name: str, labels: Sequence[str]) -> str:
    """`macro_f1`, `weighted_f1` or `f1:<label>` (the F1 of one label); EngineError otherwise."""
    if name in OBJECTIVES:
        return name
    if name.startswith("f1:") and name[3:] in labels:
        return name
    if name.startswith("f1:"):
        raise EngineError(f"--optimize {name}: no label {name[3:]!r}; labels are {list(labels)}")
    raise EngineError(f"--optimize {name!r}: use macro_f1, weighted_f1 or f1:<label>")


def objective_index(name: str, labels: Sequence[str]) -> str:
    """The objective with a label name replaced by its column index (what tune_biases takes)."""
    return f"f1:{list(labels).index(name[3:])}" if name.startswith("f1:") else name


def objective_value(
    y: np.ndarray, pred: np.ndarray, n_classes: int, name: str = "macro_f1"
) -> float:
    """Macro-F1, support-weighted F1, or the F1 of one class ("f1:<class index>")."""
    f1 = f1_scores(y, pred, n_classes)
    if name.startswith("f1:"):
        return float(f1[int(name[3:])])
    if name == "weighted_f1":
        counts = np.bincount(y, minlength=n_classes)
        return float((f1 * counts).sum() / max(counts.sum(), 1))
    return float(f1.mean())


def tune_biases(
    scores: np.ndarray, y: np.ndarray, *, objective: str = "macro_f1", rounds: int = 3
) -> np.ndarray:
    """Additive per-class biases (coordinate ascent on a grid) maximising the objective."""
    target = objective
    n_classes = scores.shape[1]
    bias = np.zeros(n_classes)
    best = objective_value(y, np.argmax(scores, axis=1), n_classes, target)
    grid = np.linspace(-1.5, 1.5, 61)
    for _ in range(rounds):
        improved = False
        for k in range(n_classes):
            for value in grid:
                trial = bias.copy()
                trial[k] = value
                score = objective_value(y, np.argmax(scores + trial, axis=1), n_classes, target)
                # Ties go to the smaller shift: stay close to the model's own decision.
                if score > best + 1e-9 or (abs(score - best) <= 1e-9 and abs(value) < abs(bias[k])):
                    best, bias, improved = score, trial, True
        if not improved:
            break
    centred: np.ndarray = bias - bias.mean()
    return centred


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of scores."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def tune_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature minimising log-loss on out-of-fold scores."""
    best_t, best_loss = 1.0, math.inf
    for t in np.exp(np.linspace(math.log(0.05), math.log(20), 80)):
        p = softmax(scores / t)
        loss = -float(np.mean(np.log(np.maximum(p[np.arange(len(y)), y], 1e-12))))
        if loss < best_loss:
            best_t, best_loss = float(t), loss
    return best_t


def stratified_folds(
    y: np.ndarray, k: int, seed: int, groups: Sequence[str] | None = None
) -> list[np.ndarray]:
    """K folds of row indices with each label spread evenly over them. With `groups`, the rows
    of a group (a source page, and the variants of a message) are never in two folds: otherwise
    a message's copy without diacritics, or its neighbour on the same page, is in the training
    folds of the other, and out-of-fold scores flatter the model (what the heads and the class
    biases are tuned on)."""
    if groups is not None:
        return _grouped_folds(y, np.asarray(groups), k, seed)
    rng = np.random.default_rng(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        for i, row in enumerate(idx):
            folds[(offset + i) % k].append(int(row))
        offset += len(idx)
    return [np.array(sorted(f), dtype=np.int64) for f in folds]


def _grouped_folds(y: np.ndarray, groups: np.ndarray, k: int, seed: int) -> list[np.ndarray]:
    """Groups dealt, larger first (shuffled within a size), each to the fold where its labels
    are least represented so far (relative to their totals): stratified as far as whole groups
    allow."""
    rng = np.random.default_rng(seed)
    names, inverse = np.unique(groups, return_inverse=True)
    n_labels = int(y.max()) + 1 if len(y) else 1
    per_group = np.zeros((len(names), n_labels))
    np.add.at(per_group, (inverse, y), 1.0)
    share = per_group / np.maximum(per_group.sum(axis=0), 1.0)  # each label's totals sum to 1
    sizes = per_group.sum(axis=1)
    order = rng.permutation(len(names))
    order = order[np.argsort(-sizes[order], kind="stable")]
    load = np.zeros((k, n_labels))
    rows = np.zeros(k)
    fold_of = np.zeros(len(names), dtype=np.int64)
    for g in order:
        cost = load @ per_group[g] + 1e-6 * rows
        f = int(np.argmin(cost))
        fold_of[g] = f
        load[f] += share[g]
        rows[f] += sizes[g]
    return [np.flatnonzero(fold_of[inverse] == f) for f in range(k)]
