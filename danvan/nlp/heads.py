"""The heads of a model set: per task, how the lexical engine's scores and the encoder's
sentence embedding become the final decision.

A `Head` holds two decisions for its task:

- **with the encoder**, one of two ways chosen by cross-validation: "fusion", the lexical
  scores plus, times a weight, those of a class-weighted logistic regression on the centred
  embedding alone (late fusion; it won for every task on the real corpus), or "stack", a
  logistic regression on [centred embedding, lexical scores]; plus additive class biases. The
  lexical scores are the engine's out-of-fold scores while it trains, from folds that keep a
  source page together (danvan.nlp.tuning.stratified_folds), so they are honest;
- **lexical only** (the fallback): the engine's scores plus their own class biases.

The encoder's decision is kept only where it beats the lexical one by cross-validation (for the
task's rule); otherwise the head is lexical only. With enough real training messages it is
fitted on them alone (only they are embedded). Both are fitted by `fit_head` with grouped
cross-validation (a source page's messages never in
both the fitting and the scored fold), real messages weighted up, and their biases tuned on the
cross-validated predictions of the *real* training messages (when there are enough) for the
task's rule (`Rule`): macro-F1 (topic, sentiment, kind), a recall floor (urgent: the highest
threshold whose recall, counting the danger lexicon's hits, reaches the target) or a
false-alarm ceiling (abusive: the lowest threshold that flags at most that share of the
polite messages).

A head is saved as .npy files and JSON, like the engine's models.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from danvan.nlp.tuning import f1_scores, tune_biases

FOLDS = 5
C_GRID = (0.03, 0.1, 0.3, 1.0)
FUSION_WEIGHTS = (0.25, 0.5, 1.0, 2.0)  # the encoder's share in a late fusion (see fit_head)
# How much more a real message weighs than a seed message: chosen per task by cross-validation
# (the seed's synthetic messages are easy, and their out-of-fold lexical scores near perfect).
REAL_WEIGHTS = (4.0, 16.0)
EMB_SCALE = 20.0  # unit vectors of 384 dimensions: about unit spread per component after this
MIN_REAL = 60  # fewer real training messages than this: biases are tuned on every row


@dataclass(frozen=True)
class Rule:
    kind: str = "macro_f1"  # "macro_f1" | "recall" | "false_alarms"
    target: float = 0.0  # recall floor, or the largest share of negatives flagged
    positive: str = "yes"
    # False: the class biases are tuned (to choose the head's way by cross-validation) but not
    # applied (topic: tuned for macro-F1 on the cross-validated predictions, they lost accuracy
    # on held-out folds; see danvan.nlp.classifiers.RULES).
    biases: bool = True


@dataclass
class Head:
    labels: list[str]
    lex_scale: float
    lex_bias: np.ndarray  # (k,)
    weights: np.ndarray | None = None  # (DIM + k, k)
    bias: np.ndarray | None = None  # (k,)
    emb_mean: np.ndarray | None = None  # (DIM,)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def has_encoder(self) -> bool:
        return self.weights is not None

    def lexical(self, lex: np.ndarray) -> np.ndarray:
        out: np.ndarray = lex + self.lex_bias
        return out

    def inputs(self, lex: np.ndarray, emb: np.ndarray) -> np.ndarray:
        assert self.emb_mean is not None
        return np.hstack([(emb - self.emb_mean) * EMB_SCALE, lex / self.lex_scale])

    def combined(self, lex: np.ndarray, emb: np.ndarray) -> np.ndarray:
        assert self.weights is not None
        assert self.bias is not None
        out: np.ndarray = self.inputs(lex, emb) @ self.weights + self.bias
        return out

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "lex_bias.npy", self.lex_bias, allow_pickle=False)
        if self.weights is not None:
            for name in ("weights", "bias", "emb_mean"):
                np.save(directory / f"{name}.npy", getattr(self, name), allow_pickle=False)
        meta = {"labels": self.labels, "lex_scale": self.lex_scale, "encoder": self.has_encoder}
        (directory / "head.json").write_text(
            json.dumps({**meta, "info": self.info}, ensure_ascii=False, indent=1), "utf-8"
        )


def load_head(directory: Path) -> Head:
    """Reads JSON and .npy only (OSError / ValueError / KeyError when damaged)."""
    meta = json.loads((directory / "head.json").read_text(encoding="utf-8"))
    head = Head(
        labels=[str(x) for x in meta["labels"]],
        lex_scale=float(meta["lex_scale"]),
        lex_bias=np.load(directory / "lex_bias.npy", allow_pickle=False),
        info=dict(meta.get("info") or {}),
    )
    if meta.get("encoder"):
        head.weights = np.load(directory / "weights.npy", allow_pickle=False)
        head.bias = np.load(directory / "bias.npy", allow_pickle=False)
        head.emb_mean = np.load(directory / "emb_mean.npy", allow_pickle=False)
        k = len(head.labels)
        if head.bias.shape != (k,) or head.weights.shape[1] != k:
            raise ValueError(f"{directory}: head weights do not match its labels")
    return head


# --- Fitting ----------------------------------------------------------------------------------


def group_folds(groups: np.ndarray, k: int, seed: int = 13) -> list[np.ndarray]:
    """K folds of row indices, no group in two folds; groups shuffled, then dealt largest first
    to the smallest fold."""
    rng = np.random.default_rng(seed)
    names, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    order = rng.permutation(len(names))
    order = order[np.argsort(-counts[order], kind="stable")]
    sizes = np.zeros(k, dtype=np.int64)
    fold_of = np.zeros(len(names), dtype=np.int64)
    for g in order:
        f = int(np.argmin(sizes))
        fold_of[g] = f
        sizes[f] += counts[g]
    return [np.flatnonzero(fold_of[inverse] == f) for f in range(k)]


def _fit_lr(x: np.ndarray, y: np.ndarray, w: np.ndarray, k: int, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    mass = np.bincount(y, weights=w, minlength=k)
    balanced = w * (w.sum() / (k * np.maximum(mass, 1e-9)))[y]
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(x, y, sample_weight=balanced)
    return model


def _scores(model: Any, x: np.ndarray, k: int) -> np.ndarray:
    out = np.asarray(model.decision_function(x), dtype=np.float64)
    if k == 2 and out.ndim == 1:
        out = np.stack([-out / 2, out / 2], axis=1)
    return out


def tune_rule(
    scores: np.ndarray, y: np.ndarray, labels: list[str], rule: Rule, forced: np.ndarray
) -> tuple[np.ndarray, dict[str, float]]:
    """Class biases for `rule` on (cross-validated) scores; `forced`: rows the final decision
    marks positive anyway (danger-lexicon hits for urgent). A rule without biases gets zeros,
    with the report of the tuned biases (which still chooses the head's way)."""
    k = len(labels)
    if rule.kind == "macro_f1":
        bias = tune_biases(scores, y, objective="macro_f1")
        f1 = f1_scores(y, np.argmax(scores + bias, axis=1), k)
        report = {"macro_f1": round(float(f1.mean()), 4)}
        return (bias if rule.biases else np.zeros(k)), report
    p = labels.index(rule.positive)
    margin = scores[:, p] - scores[:, 1 - p]
    positive = y == p
    candidates = np.unique(np.concatenate([margin, [np.inf, -np.inf]]))
    chosen = 0.0
    if rule.kind == "recall":
        # The highest threshold whose recall (lexicon hits included) reaches the floor.
        chosen = -np.inf
        for t in candidates[::-1]:
            flagged = (margin >= t) | forced
            recall = flagged[positive].mean() if positive.any() else 1.0
            if recall >= rule.target:
                chosen = float(t)
                break
    else:
        # The lowest threshold that flags at most `target` of the negatives.
        chosen = np.inf
        negatives = max(int((~positive).sum()), 1)
        for t in candidates:
            if ((margin >= t) & ~positive).sum() / negatives <= rule.target:
                chosen = float(t)
                break
    finite = margin[np.isfinite(margin)]
    lo, hi = (float(finite.min()) - 1, float(finite.max()) + 1) if len(finite) else (-1.0, 1.0)
    t = min(max(chosen, lo), hi) - 1e-6
    bias = np.zeros(k)
    bias[p], bias[1 - p] = -t / 2, t / 2
    flagged = ((margin + bias[p] - bias[1 - p]) >= 0) | forced
    tp = int((flagged & positive).sum())
    report = {
        "threshold": round(t, 4),
        "recall": round(tp / max(int(positive.sum()), 1), 4),
        "precision": round(tp / max(int(flagged.sum()), 1), 4),
        "false_alarm_rate": round(
            int((flagged & ~positive).sum()) / max(int((~positive).sum()), 1), 4
        ),
    }
    return (bias if rule.biases else np.zeros(k)), report


def fit_head(
    labels: list[str],
    y: np.ndarray,
    lex: np.ndarray,
    emb: np.ndarray | None,
    *,
    groups: np.ndarray,
    real: np.ndarray,
    rule: Rule,
    forced: np.ndarray,
    real_weights: tuple[float, ...] = REAL_WEIGHTS,
) -> Head:
    """A head fitted on out-of-fold lexical scores `lex` (n, k) and embeddings `emb` (n, DIM)
    (None: lexical only). `real` marks the real messages: weighted up (by the weight of
    `real_weights` that cross-validation prefers) and, when there are enough of them (with at
    least 5 of the positive class for a binary rule), the rows whose predictions tune the
    biases; the encoder's decision is then fitted on the real rows alone (`emb` is only read
    there: `encoder_rows` says which rows to embed)."""
    k = len(labels)
    enough = enough_real(y, labels, real, rule)
    tune = real if enough else np.ones_like(real)
    lex_scale = float(np.std(lex)) or 1.0
    lex_bias, lex_report = tune_rule(lex[tune], y[tune], labels, rule, forced[tune])
    head = Head(labels=labels, lex_scale=lex_scale, lex_bias=lex_bias)
    head.info = {"lexical": lex_report, "tuned_on": "real" if tune is real else "all"}
    if not rule.biases:
        head.info["biases_applied"] = False
    if emb is None:
        return head
    if enough:
        # With enough real messages, the encoder's decision is fitted and cross-validated on
        # them alone: the seed's synthetic messages are easy and unlike real ones, and only the
        # real messages need embedding (minutes less training on one core).
        keep = real
        y, lex, emb, groups, real, forced = (a[keep] for a in (y, lex, emb, groups, real, forced))
        tune = np.ones(len(y), dtype=bool)
        real_weights = (1.0,)
    head.emb_mean = emb.mean(axis=0)
    x = head.inputs(lex, emb)
    x_emb = x[:, : emb.shape[1]]
    folds = group_folds(groups, FOLDS)
    # Two ways to use the encoder, each cross-validated (grouped folds) for the task's rule:
    # "stack", a logistic regression on [embedding, lexical scores]; "fusion", a logistic
    # regression on the embedding alone whose scores are added, times a weight, to the lexical
    # scores (late fusion: the lexical decision stays whole, the encoder moves it).
    best: tuple[float, dict[str, Any], np.ndarray] | None = None
    for c in C_GRID:
        for real_weight in real_weights:
            weights = np.where(real, real_weight, 1.0)
            cv = _cross_validated(x, y, weights, k, c, folds)
            choice: dict[str, Any] = {"way": "stack", "C": c, "real_weight": real_weight}
            best = _better(best, cv, choice, y, tune, labels, rule, forced)
        cv_emb = _cross_validated(x_emb, y, np.ones(len(y)), k, c, folds)
        spread = float(np.std(cv_emb)) or 1.0
        for alpha in FUSION_WEIGHTS:
            cv = lex / head.lex_scale + alpha * cv_emb / spread
            choice = {"way": "fusion", "C": c, "alpha": alpha, "spread": spread}
            best = _better(best, cv, choice, y, tune, labels, rule, forced)
    assert best is not None
    _value, choice, cv = best
    bias, report = tune_rule(cv[tune], y[tune], labels, rule, forced[tune])
    kept = _rule_value(report, rule) > _rule_value(lex_report, rule)
    head.info["encoder"] = {**choice, **report, "kept": kept}
    if not kept:
        # The encoder does not help this task by cross-validation: lexical only.
        head.emb_mean = None
        return head
    if choice["way"] == "stack":
        model = _fit_lr(x, y, np.where(real, choice["real_weight"], 1.0), k, choice["C"])
        w, b = _coef(model, k)
    else:
        model = _fit_lr(x_emb, y, np.ones(len(y)), k, choice["C"])
        w_emb, b_emb = _coef(model, k)
        factor = choice["alpha"] / choice["spread"]
        w = np.vstack([w_emb * factor, np.eye(k)])  # the lexical scores pass through whole
        b = b_emb * factor
    head.weights, head.bias = w.astype(np.float32), (b + bias)
    return head


def _cross_validated(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, k: int, c: float, folds: list[np.ndarray]
) -> np.ndarray:
    cv = np.zeros((len(y), k))
    for held in folds:
        rest = np.ones(len(y), dtype=bool)
        rest[held] = False
        if len(set(y[rest])) < k:
            continue
        cv[held] = _scores(_fit_lr(x[rest], y[rest], weights[rest], k, c), x[held], k)
    return cv


def _better(
    best: tuple[float, dict[str, Any], np.ndarray] | None,
    cv: np.ndarray,
    choice: dict[str, Any],
    y: np.ndarray,
    tune: np.ndarray,
    labels: list[str],
    rule: Rule,
    forced: np.ndarray,
) -> tuple[float, dict[str, Any], np.ndarray]:
    _bias, report = tune_rule(cv[tune], y[tune], labels, rule, forced[tune])
    value = _rule_value(report, rule)
    if best is None or value > best[0] + 1e-9:
        return value, choice, cv
    return best


def enough_real(y: np.ndarray, labels: list[str], real: np.ndarray, rule: Rule) -> bool:
    """Enough real rows to tune on them alone (and, for a binary rule, 5 of the positive)."""
    enough = int(real.sum()) >= MIN_REAL
    if rule.kind != "macro_f1":
        enough = enough and int((y[real] == labels.index(rule.positive)).sum()) >= 5
    return enough


def encoder_rows(y: np.ndarray, labels: list[str], real: np.ndarray, rule: Rule) -> np.ndarray:
    """The rows whose embeddings `fit_head` reads for this rule."""
    return real.copy() if enough_real(y, labels, real, rule) else np.ones_like(real)


def _rule_value(report: dict[str, float], rule: Rule) -> float:
    if rule.kind == "macro_f1":
        return report["macro_f1"]
    if rule.kind == "recall":
        return report["precision"]  # recall is held at the floor: the fewer false alarms the better
    return report["recall"]  # false alarms held under the ceiling: catch the most abuse


def _coef(model: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
    coef = np.asarray(model.coef_, dtype=np.float64)
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    if k == 2 and coef.shape[0] == 1:
        return np.stack([-coef[0] / 2, coef[0] / 2], axis=1), np.array(
            [-intercept[0] / 2, intercept[0] / 2]
        )
    return coef.T.copy(), intercept
