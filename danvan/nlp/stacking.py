"""Fitting a classifier (`fit_docs`): K-fold bagging of the linear models and the block-wise
members, a stacker on their out-of-fold scores (with or without the views and the text shape,
chosen by cross-validation), class biases and a temperature, all folded into one
`Classifier`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from danvan.nlp.features import (
    SHAPE_NAMES,
    Doc,
    block_names,
    featurize,
    fit_block,
    shape_features,
)
from danvan.nlp.linear_models import MODELS, as_multiclass
from danvan.nlp.model import Classifier
from danvan.nlp.params import Params, options
from danvan.nlp.tuning import (
    objective_index,
    objective_value,
    stratified_folds,
    tune_biases,
    tune_temperature,
)


def _fit_stacker(
    scores: np.ndarray, y: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """A (n_models * n_classes, n_classes) mixing matrix and an intercept."""
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    stacker = LogisticRegression(C=1.0, max_iter=1000)
    stacker.fit(scores, y)
    return as_multiclass(stacker.coef_, stacker.intercept_, n_classes)


@dataclass
class Fitted:
    model: Classifier
    cv_predictions: np.ndarray  # each row predicted by models and biases that never saw it
    second_stage: dict[str, float] = field(default_factory=dict)  # CV objective per candidate
    chosen: str = "scores"
    # Each row's scores from the stack fitted on the out-of-fold scores of the bagged members
    # (what the model-set heads stack on: danvan.nlp.heads).
    oof_scores: np.ndarray | None = None


# Block-wise members: a linear SVM on the word blocks alone and one on the character block
# alone. Their errors differ from those of the models that see every block (one cannot lean on
# character n-grams when words are rare, the other cannot lean on words), which is what stacking
# needs; they cost little to fit and nothing to predict (their weights are zero outside their
# blocks, so the whole stack still folds into one weight matrix). Chosen by cross-validation on
# the training splits over other sets (one SVM per block, NB-SVM or LR views): bench/README.md.
VIEWS: dict[str, tuple[str, ...]] = {
    "svm@words+folded": ("words", "folded"),
    "svm@chars": ("chars",),
}


def fit_docs(
    docs: Sequence[Doc],
    y: np.ndarray,
    labels: list[str],
    params: Params,
    *,
    log: Callable[[str], None] = lambda _m: None,
    groups: Sequence[str] | None = None,
) -> Fitted:
    """K-fold bagging: each model is fitted K times, on all rows but one fold; the K fits are
    averaged into the final model, and their out-of-fold scores tune the stacker, the biases
    and the temperature (the final model is like the fold models, so its scores are like
    theirs). `groups`: rows that must fall in the same fold (tuning.stratified_folds)."""
    n_classes = len(labels)
    blocks = [fit_block(name, docs, params) for name in block_names(params)]
    x = featurize(blocks, docs, params)
    starts = np.cumsum([0] + [len(b.vocabulary) for b in blocks])
    columns = {b.name: (int(starts[i]), int(starts[i + 1])) for i, b in enumerate(blocks)}
    use_views = options(params.views, "views")
    members: dict[str, tuple[str, tuple[int, int]]] = {
        name: (name, (0, x.shape[1])) for name in MODELS
    }
    if True in use_views:
        for view, names in VIEWS.items():
            present = [columns[b] for b in names if b in columns]  # blocks are contiguous
            if present:
                members[view] = (view.split("@")[0], (present[0][0], present[-1][1]))
    parts = {
        name: x if span == (0, x.shape[1]) else x[:, span[0] : span[1]]
        for name, (_model, span) in members.items()
    }
    oof = {name: np.zeros((len(docs), n_classes)) for name in members}
    weights = {name: np.zeros((x.shape[1], n_classes)) for name in members}
    intercepts = {name: np.zeros(n_classes) for name in members}
    folds = stratified_folds(y, params.folds, params.seed, groups)
    for i, held in enumerate(folds):
        log(f"fold {i + 1}/{len(folds)}")
        mask = np.ones(len(docs), dtype=bool)
        mask[held] = False
        for name, (model_name, (lo, hi)) in members.items():
            part = parts[name]
            w, b = MODELS[model_name](part[mask], y[mask], n_classes, params)
            oof[name][held] = np.asarray(part[held] @ w) + b
            weights[name][lo:hi] += w / len(folds)
            intercepts[name] += b / len(folds)
    # Each member's scores are brought to unit spread, then a small logistic regression on the
    # out-of-fold scores (stacking) learns how to combine them. Two choices are made by
    # cross-validation on these training rows, for the objective asked for: whether the
    # block-wise members join the stack, and whether the texts' shape figures (standardised)
    # are further inputs of the stacker.
    scale = {name: float(np.std(s)) or 1.0 for name, s in oof.items()}
    target = objective_index(params.optimize, labels)
    use_shape = options(params.text_shape, "text_shape")
    shape = shape_features(d.raw for d in docs if True in use_shape)
    shape_mean = shape.mean(axis=0) if len(shape) else np.zeros(len(SHAPE_NAMES))
    shape_scale = shape.std(axis=0) if len(shape) else np.ones(len(SHAPE_NAMES))
    shape_scale[shape_scale == 0] = 1.0
    shape_inputs = (shape - shape_mean) / shape_scale
    candidates: dict[str, tuple[list[str], bool]] = {}
    for with_views in use_views:
        for with_shape in use_shape:
            chosen_members = [m for m in members if with_views or m in MODELS]
            name = "+".join(
                ["scores", *(["views"] if with_views else []), *(["shape"] if with_shape else [])]
            )
            candidates[name] = (chosen_members, with_shape)

    def inputs_of(candidate: str) -> np.ndarray:
        stack, with_shape = candidates[candidate]
        parts = [oof[m] / scale[m] for m in stack]
        return np.hstack([*parts, shape_inputs] if with_shape else parts)

    # Honest cross-validated predictions of each candidate: fold k is scored by the fold models
    # that never saw it, combined and shifted by a stacker and biases fitted on the other folds.
    cv = {name: _cross_validated(inputs_of(name), y, folds, target) for name in candidates}
    cv_objective = {name: objective_value(y, p, n_classes, target) for name, p in cv.items()}
    # Ties go to the simpler candidate (fewer inputs): extra inputs must earn their place.
    chosen = max(cv_objective, key=lambda name: (round(cv_objective[name], 6), -len(name)))
    log(f"second stage by cross-validation ({params.optimize}): {cv_objective} -> {chosen}")
    stack, with_shape = candidates[chosen]
    inputs = inputs_of(chosen)
    mixing, mixing_b = _fit_stacker(inputs, y, n_classes)
    combined = inputs @ mixing + mixing_b
    bias = tune_biases(combined, y, objective=target)
    temperature = tune_temperature(combined + bias, y)
    k = n_classes
    final_w = np.zeros((x.shape[1], k))
    final_b = np.zeros(k)
    for i, name in enumerate(stack):
        rows = mixing[i * k : (i + 1) * k]
        final_w += (weights[name] / scale[name]) @ rows
        final_b += (intercepts[name] / scale[name]) @ rows
    shape_weights = None
    if with_shape:
        # (shape - mean) / scale @ M == shape @ (M / scale) - (mean / scale) @ M
        rows = mixing[len(stack) * k :]
        shape_weights = rows / shape_scale[:, None]
        final_b -= (shape_mean / shape_scale) @ rows
    model = Classifier(
        labels=labels,
        params=params,
        blocks=blocks,
        weights=final_w.astype(np.float32),
        bias=(final_b + mixing_b + bias).astype(np.float64),
        temperature=temperature,
        shape_weights=shape_weights,
    )
    model.oof_scores = combined + bias
    return Fitted(
        model=model,
        cv_predictions=cv[chosen],
        second_stage=cv_objective,
        chosen=chosen,
        oof_scores=combined + bias,
    )


def _cross_validated(
    inputs: np.ndarray, y: np.ndarray, folds: Sequence[np.ndarray], target: str
) -> np.ndarray:
    """Predictions of each fold by a stacker and class biases fitted on the other folds."""
    n_classes = int(y.max()) + 1
    predictions = np.zeros(len(y), dtype=np.int64)
    for held in folds:
        others = np.ones(len(y), dtype=bool)
        others[held] = False
        a, c = _fit_stacker(inputs[others], y[others], n_classes)
        fold_bias = tune_biases(inputs[others] @ a + c, y[others], objective=target)
        predictions[held] = np.argmax(inputs[held] @ a + c + fold_bias, axis=1)
    return predictions
