"""The engine's linear models, each fitted on the TF-IDF features and returned as a weight
matrix (n_features, n_classes) and an intercept: logistic regression, a linear SVM, an NB-SVM
and complement naive Bayes (`MODELS`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]

from danvan.nlp.params import Matrix, Params


def _class_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    return len(y) / (n_classes * np.maximum(counts, 1.0))


def _fit_lr(
    x: Matrix, y: np.ndarray, n_classes: int, params: Params
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    model = LogisticRegression(C=params.lr_c, class_weight="balanced", max_iter=300, solver="lbfgs")
    model.fit(x, y)
    return as_multiclass(model.coef_, model.intercept_, n_classes)


def _fit_svm(
    x: Matrix, y: np.ndarray, n_classes: int, c: float, sample_weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

    # Seeded: liblinear shuffles its coordinates with the process's random state otherwise, and
    # the same corpus could give a slightly different set (and heads' choices) from run to run.
    model = LinearSVC(C=c, class_weight="balanced", max_iter=5000, random_state=0)
    model.fit(x, y, sample_weight=sample_weight)
    return as_multiclass(model.coef_, model.intercept_, n_classes)


def as_multiclass(
    coef: np.ndarray, intercept: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weights as (n_features, n_classes); a binary model's single column becomes -w, +w."""
    if n_classes == 2 and coef.shape[0] == 1:
        w = np.asarray(coef[0], dtype=np.float64)
        b = float(intercept[0])
        return np.stack([-w / 2, w / 2], axis=1), np.array([-b / 2, b / 2])
    return np.asarray(coef, dtype=np.float64).T.copy(), np.asarray(intercept, dtype=np.float64)


def _fit_nbsvm(
    x: Matrix, y: np.ndarray, n_classes: int, params: Params
) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest SVMs on features scaled by the naive-Bayes log-count ratio of each class."""
    binary = x.copy()
    binary.data[:] = 1.0
    columns: list[np.ndarray] = []
    intercepts: list[float] = []
    classes = [1] if n_classes == 2 else list(range(n_classes))
    for k in classes:
        positive = y == k
        p = np.asarray(binary[positive].sum(axis=0)).ravel() + params.nb_alpha
        q = np.asarray(binary[~positive].sum(axis=0)).ravel() + params.nb_alpha
        ratio = np.log((p / p.sum()) / (q / q.sum()))
        scaled = x @ sp.diags(ratio)
        w, b = _fit_svm(scaled, positive.astype(np.int64), 2, params.nbsvm_c)
        columns.append(ratio * (w[:, 1] - w[:, 0]))
        intercepts.append(float(b[1] - b[0]))
    if n_classes == 2:
        w1, b1 = columns[0], intercepts[0]
        return np.stack([-w1 / 2, w1 / 2], axis=1), np.array([-b1 / 2, b1 / 2])
    return np.stack(columns, axis=1), np.array(intercepts)


def _fit_cnb(
    x: Matrix, y: np.ndarray, n_classes: int, params: Params
) -> tuple[np.ndarray, np.ndarray]:
    """Complement naive Bayes (Rennie et al. 2003) on the TF-IDF features: its decision is
    linear (x @ log-weights), and it errs differently from the discriminative models."""
    from sklearn.naive_bayes import ComplementNB  # type: ignore[import-untyped]

    model = ComplementNB(alpha=params.cnb_alpha)
    model.fit(x, y)
    return np.asarray(model.feature_log_prob_, dtype=np.float64).T.copy(), np.zeros(n_classes)


MODELS: dict[str, Callable[[Matrix, np.ndarray, int, Params], tuple[np.ndarray, np.ndarray]]] = {
    "lr": _fit_lr,
    "svm": lambda x, y, k, p: _fit_svm(x, y, k, p.svm_c),
    "nbsvm": _fit_nbsvm,
    "cnb": _fit_cnb,
}
