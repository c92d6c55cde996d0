"""A general text-classification engine for Vietnamese: train on any labelled texts, evaluate
honestly, save and load a model directory.

How it works (one configuration for every dataset; only its own cross-validation tunes it):

1. Each text goes through the pipeline (danvan.nlp.pipeline): NFC, URLs removed, emoji kept as
   tokens, repeated letters squeezed, chat abbreviations expanded, lower-cased, segmented by pyvi.
2. Three TF-IDF blocks (sublinear tf, smoothed idf, each row L2-normalised): segmented words
   1-2-grams, diacritic-free (folded) syllable 1-2-grams (so that text typed without accents
   meets the accented training text), and characters 1-5-grams inside word boundaries.
3. Four linear models on those features: class-weighted logistic regression, a class-weighted
   linear SVM, an NB-SVM (the SVM on features scaled by naive-Bayes log-count ratios) and a
   complement naive Bayes; and two block-wise members, linear SVMs on the word blocks alone and
   on the character block alone. Their standardised scores are combined by a small logistic
   regression fitted on out-of-fold scores (stacking), optionally with the text's shape figures
   (length, capitals, !/?, digits, quotes, links, emoji...) as further inputs. Every step is
   linear, so the whole ensemble is one weight matrix, one bias vector and, when shape is used,
   a (shape figures x classes) matrix.
4. K-fold bagging (K = 10 by default): every model is fitted K times, each time without one
   fold; the final model is the average of the K fits (each fit sees 90 % of the rows; on the
   training splits, 10 folds beat 5 on every task tried). The out-of-fold scores choose the
   stacker's inputs (with or without the block-wise members, with or without shape: the
   candidate whose cross-validated predictions score best), tune one additive bias per class
   (prior shift) for the objective asked for (`optimize`: macro-F1 by default, weighted-F1, or
   the F1 of one label) and a softmax temperature that turns scores into probabilities.
5. The validation metrics stored in metadata.json are cross-validated: each training row is
   predicted by fold models that never saw it, with a stacker and class biases fitted on the
   other folds only (the choice among the four stacker candidates is made on these same
   predictions, so they are very slightly optimistic).

A model directory holds only JSON and .npy files (vocabularies, idf, weights, biases): loading
one executes nothing and unpickles nothing (numpy is called with allow_pickle=False).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]

from danvan.kernel.text import fold
from danvan.nlp.normalization import EMOJI, normalize
from danvan.nlp.segmentation import segment

ENGINE_VERSION = "1.2"
MODEL_FORMAT = 1
MAX_TEXT_CHARS = 5000  # longer texts are cut before featurising (bounded work per text)

Matrix = Any  # a scipy.sparse CSR matrix (scipy ships no type information)


class EngineError(Exception):
    """Bad input or a model directory that cannot be used; the message says what to fix."""


# --- Parameters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    word_ngrams: int = 2
    char_min: int = 1
    char_max: int = 5
    word_min_df: int = 1
    char_min_df: int = 2
    folded_words: bool = True
    lr_c: float = 2.0
    svm_c: float = 0.1
    nbsvm_c: float = 0.3
    nb_alpha: float = 1.0
    cnb_alpha: float = 0.3
    folds: int = 10
    seed: int = 13
    # What the class biases maximise: macro_f1, weighted_f1 or f1:<label>.
    optimize: str = "macro_f1"
    # Text-shape figures as inputs of the stacker: "no", "yes", or "auto" (kept when they
    # improve the objective by cross-validation on the training rows). Off by default: on the
    # training splits they moved the objective by less than half a point either way and cost
    # 10-20 % of the prediction speed on long comments (bench/README.md).
    text_shape: str = "no"
    # Block-wise members (VIEWS) in the stack: "auto" (kept when cross-validation prefers them),
    # "yes" or "no".
    views: str = "auto"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Params:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


# --- Text views -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    chars: str  # normalised, lower-case, emoji kept
    words: tuple[str, ...]  # segmented words of `chars`
    raw: str = ""  # the text as written (cut at MAX_TEXT_CHARS), for its shape


def prepare(text: str) -> Doc:
    raw = text[:MAX_TEXT_CHARS]
    clean = normalize(raw, keep_emoji=True).lower()
    return Doc(chars=clean, words=tuple(segment(clean)), raw=raw)


def prepare_many(texts: Iterable[str]) -> list[Doc]:
    return [prepare(t) for t in texts]


def _ngrams(tokens: Sequence[str], n: int, prefix: str = "") -> list[str]:
    out = [prefix + t for t in tokens]
    for size in range(2, n + 1):
        out.extend(prefix + " ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1))
    return out


def _char_wb(text: str, lo: int, hi: int) -> list[str]:
    """Character n-grams inside word boundaries, each word padded with spaces (as sklearn's
    char_wb analyzer does)."""
    out: list[str] = []
    for word in text.split():
        out.extend(_word_char_ngrams(word, lo, hi))
    return out


@lru_cache(maxsize=200_000)
def _word_char_ngrams(word: str, lo: int, hi: int) -> tuple[str, ...]:
    padded = f" {word} "
    length = len(padded)
    return tuple(
        padded[i : i + n] for n in range(lo, min(hi, length) + 1) for i in range(length - n + 1)
    )


# --- Text shape -------------------------------------------------------------------------------
#
# How a text is written, not what it says: length, shouting, punctuation, digits, quotes, links,
# emoji, drawn-out letters. Weak alone (as a linear block it helped constructiveness and hurt
# toxicity), but the second stage can combine it with the models' scores (a long argued comment
# is constructive more often; the same insult in capitals with "!!!" is more often toxic).

_SHAPE_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
_SHAPE_SENTENCE = re.compile(r"[.!?]+(?:\s|$)")
_SHAPE_RUN = re.compile(r"(\w)\1{2,}")
SHAPE_NAMES = (
    "log_words",
    "log_chars",
    "upper_share",
    "log_exclamations",
    "log_questions",
    "digit_share",
    "log_sentences",
    "quotes",
    "url",
    "log_emoji",
    "mean_word_length",
    "undiacritic_share",
    "letter_runs",
    "ellipses",
    "capital_words",
)


def text_shape(text: str) -> tuple[float, ...]:
    """The SHAPE_NAMES figures of one raw text (before normalisation); about 50-90 µs a text,
    a tenth of the prediction path."""
    text = text[:MAX_TEXT_CHARS]
    words = text.split()
    n_words = len(words)
    letters = sum(1 for c in text if c.isalpha())
    upper = sum(1 for c in text if c.isupper())
    alpha_words = [w for w in words if w.isalpha()]
    plain = sum(1 for w in alpha_words if _fold_word(w.lower()) == w.lower())
    return (
        math.log1p(n_words),
        math.log1p(len(text)),
        upper / letters if letters else 0.0,
        math.log1p(text.count("!")),
        math.log1p(text.count("?")),
        sum(1 for c in text if c.isdigit()) / max(len(text), 1),
        math.log1p(len(_SHAPE_SENTENCE.findall(text))),
        float(any(q in text for q in '"“”«»')),
        float(bool(_SHAPE_URL.search(text))),
        math.log1p(sum(len(m) for m in EMOJI.findall(text))),
        sum(map(len, words)) / n_words if n_words else 0.0,
        plain / len(alpha_words) if alpha_words else 0.0,
        float(bool(_SHAPE_RUN.search(text))),
        math.log1p(text.count("...") + text.count("…")),
        math.log1p(sum(1 for w in alpha_words if len(w) > 1 and w.isupper())),
    )


def shape_features(texts: Iterable[str]) -> np.ndarray:
    rows = [text_shape(t) for t in texts]
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(SHAPE_NAMES))


# --- TF-IDF blocks ----------------------------------------------------------------------------


@dataclass
class Block:
    """One TF-IDF block: a vocabulary (term -> column) and its idf weights."""

    name: str
    vocabulary: dict[str, int]
    idf: np.ndarray

    # Column indices of one word's character n-grams: words repeat, so they are computed once.
    _char_ids: dict[str, list[int]] = field(default_factory=dict, repr=False)

    def _ids(self, doc: Doc, params: Params) -> list[int]:
        get = self.vocabulary.get
        if self.name != "chars":
            return [i for i in map(get, block_terms(self.name, doc, params)) if i is not None]
        cache = self._char_ids
        ids: list[int] = []
        for word in doc.chars.split():
            known = cache.get(word)
            if known is None:
                grams = _word_char_ngrams(word, params.char_min, params.char_max)
                known = [i for i in map(get, grams) if i is not None]
                if len(cache) < 500_000:
                    cache[word] = known
            ids.extend(known)
        return ids

    def transform(self, docs: Sequence[Doc], params: Params) -> Matrix:
        """Sublinear tf x idf, rows L2-normalised; unknown terms are ignored."""
        indices: list[int] = []
        indptr = [0]
        for doc in docs:
            indices.extend(self._ids(doc, params))
            indptr.append(len(indices))
        matrix = sp.csr_matrix(
            (np.ones(len(indices)), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
            shape=(len(docs), len(self.vocabulary)),
        )
        matrix.sum_duplicates()
        matrix.data = (1.0 + np.log(matrix.data)) * self.idf[matrix.indices]
        return _l2_rows(matrix)


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> str:
    return fold(word)


def block_terms(name: str, doc: Doc, params: Params) -> list[str]:
    if name == "words":
        return _ngrams(doc.words, params.word_ngrams)
    if name == "folded":
        # Syllables, not words: diacritic-free text segments differently ("ho so" vs "hồ_sơ").
        syllables = [s for w in doc.words for s in _fold_word(w).split("_")]
        return _ngrams(syllables, params.word_ngrams, prefix="~")
    if name == "chars":
        return _char_wb(doc.chars, params.char_min, params.char_max)
    raise EngineError(f"unknown feature block {name!r}")


def _l2_rows(matrix: Matrix) -> Matrix:
    squares = matrix.copy()
    squares.data **= 2
    norms = np.sqrt(np.asarray(squares.sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix.data /= np.repeat(norms, np.diff(matrix.indptr))
    return matrix


def fit_block(name: str, docs: Sequence[Doc], params: Params) -> Block:
    min_df = params.char_min_df if name == "chars" else params.word_min_df
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(set(block_terms(name, doc, params)))
    terms = sorted(t for t, c in df.items() if c >= min_df)
    n = len(docs)
    idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in terms], dtype=np.float64)
    return Block(name=name, vocabulary={t: i for i, t in enumerate(terms)}, idf=idf)


def block_names(params: Params) -> list[str]:
    return ["words", *(["folded"] if params.folded_words else []), "chars"]


def featurize(blocks: Sequence[Block], docs: Sequence[Doc], params: Params) -> Matrix:
    return sp.hstack([b.transform(docs, params) for b in blocks], format="csr")


# --- Linear models ----------------------------------------------------------------------------


def _class_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    return len(y) / (n_classes * np.maximum(counts, 1.0))


def _fit_lr(
    x: Matrix, y: np.ndarray, n_classes: int, params: Params
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    model = LogisticRegression(C=params.lr_c, class_weight="balanced", max_iter=300, solver="lbfgs")
    model.fit(x, y)
    return _as_multiclass(model.coef_, model.intercept_, n_classes)


def _fit_svm(
    x: Matrix, y: np.ndarray, n_classes: int, c: float, sample_weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

    model = LinearSVC(C=c, class_weight="balanced", max_iter=5000)
    model.fit(x, y, sample_weight=sample_weight)
    return _as_multiclass(model.coef_, model.intercept_, n_classes)


def _as_multiclass(
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


# --- Tuning on out-of-fold scores -------------------------------------------------------------


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


def _objective_index(name: str, labels: Sequence[str]) -> str:
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


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def tune_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature minimising log-loss on out-of-fold scores."""
    best_t, best_loss = 1.0, math.inf
    for t in np.exp(np.linspace(math.log(0.05), math.log(20), 80)):
        p = _softmax(scores / t)
        loss = -float(np.mean(np.log(np.maximum(p[np.arange(len(y)), y], 1e-12))))
        if loss < best_loss:
            best_t, best_loss = float(t), loss
    return best_t


def stratified_folds(y: np.ndarray, k: int, seed: int) -> list[np.ndarray]:
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


# --- The classifier ---------------------------------------------------------------------------


@dataclass
class Classifier:
    labels: list[str]
    params: Params
    blocks: list[Block]
    weights: np.ndarray  # (n_features, n_classes)
    bias: np.ndarray  # (n_classes,)
    temperature: float = 1.0
    metadata: dict[str, Any] = field(default_factory=dict)
    # (len(SHAPE_NAMES), n_classes) weights of the raw text-shape figures, when the stacker
    # chose them (see fit_docs).
    shape_weights: np.ndarray | None = None

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return self.scores_docs(prepare_many(texts))

    def scores_docs(self, docs: Sequence[Doc]) -> np.ndarray:
        x = featurize(self.blocks, docs, self.params)
        out: np.ndarray = np.asarray(x @ self.weights) + self.bias
        if self.shape_weights is not None:
            out += shape_features(d.raw for d in docs) @ self.shape_weights
        return out

    def predict(self, texts: Sequence[str]) -> list[str]:
        if not texts:
            return []
        return [self.labels[i] for i in np.argmax(self.scores(texts), axis=1)]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, columns in the order of `labels`."""
        return _softmax(self.scores(texts) / self.temperature)

    def save(self, directory: str | Path) -> None:
        save_model(self, Path(directory))


def _positive_class(y: np.ndarray, n_classes: int) -> int | None:
    """For two classes the rarer one is the class of interest (toxic, constructive, ...); it is
    recorded in the metadata for reports."""
    if n_classes != 2:
        return None
    return int(np.argmin(np.bincount(y, minlength=2)))


def _fit_stacker(
    scores: np.ndarray, y: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """A (n_models * n_classes, n_classes) mixing matrix and an intercept."""
    from sklearn.linear_model import LogisticRegression

    stacker = LogisticRegression(C=1.0, max_iter=1000)
    stacker.fit(scores, y)
    return _as_multiclass(stacker.coef_, stacker.intercept_, n_classes)


@dataclass
class Fitted:
    model: Classifier
    cv_predictions: np.ndarray  # each row predicted by models and biases that never saw it
    second_stage: dict[str, float] = field(default_factory=dict)  # CV objective per candidate
    chosen: str = "scores"


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


def _options(value: str, what: str) -> list[bool]:
    """ "auto" -> try without and with; "yes" / "no" -> that one only."""
    choices = {"auto": [False, True], "yes": [True], "no": [False]}
    if value not in choices:
        raise EngineError(f"{what} {value!r}: use auto, yes or no")
    return choices[value]


def fit_docs(
    docs: Sequence[Doc],
    y: np.ndarray,
    labels: list[str],
    params: Params,
    *,
    log: Callable[[str], None] = lambda _m: None,
) -> Fitted:
    """K-fold bagging: each model is fitted K times, on all rows but one fold; the K fits are
    averaged into the final model, and their out-of-fold scores tune the stacker, the biases
    and the temperature (the final model is like the fold models, so its scores are like
    theirs)."""
    n_classes = len(labels)
    blocks = [fit_block(name, docs, params) for name in block_names(params)]
    x = featurize(blocks, docs, params)
    starts = np.cumsum([0] + [len(b.vocabulary) for b in blocks])
    columns = {b.name: (int(starts[i]), int(starts[i + 1])) for i, b in enumerate(blocks)}
    use_views = _options(params.views, "views")
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
    folds = stratified_folds(y, params.folds, params.seed)
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
    target = _objective_index(params.optimize, labels)
    use_shape = _options(params.text_shape, "text_shape")
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
    return Fitted(model=model, cv_predictions=cv[chosen], second_stage=cv_objective, chosen=chosen)


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


# --- Data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    texts: list[str]
    labels: list[str]
    sha256: str


def read_csv(path: str | Path, *, text_column: str, label_column: str) -> Dataset:
    """Rows of a UTF-8 CSV with a header. Rows with an empty text or label are skipped."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise EngineError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise EngineError(f"{path}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise EngineError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EngineError(
            f"{path}: not UTF-8 (byte {exc.start}); save the file as UTF-8 and try again"
        ) from None
    reader = csv.DictReader(io.StringIO(content, newline=""))
    columns = reader.fieldnames or []
    if not columns:
        raise EngineError(f"{path}: empty file (a header row and data rows are needed)")
    for wanted, option in ((text_column, "--text-column"), (label_column, "--label-column")):
        if wanted not in columns:
            raise EngineError(
                f"{path}: no column {wanted!r} ({option}); columns are: {', '.join(columns)}"
            )
    texts: list[str] = []
    labels: list[str] = []
    try:
        for row in reader:
            if None in row:
                raise EngineError(
                    f"{path}: line {reader.line_num} has more fields than the header "
                    "(is a text with a comma not quoted?)"
                )
            text = (row.get(text_column) or "").strip()
            label = (row.get(label_column) or "").strip()
            if text and label:
                texts.append(text)
                labels.append(label)
    except csv.Error as exc:
        raise EngineError(f"{path}: not a valid CSV file ({exc})") from None
    if not texts:
        raise EngineError(f"{path}: no rows with both a text and a label")
    return Dataset(texts=texts, labels=labels, sha256=hashlib.sha256(raw).hexdigest())


def check_training_data(labels: Sequence[str], *, folds: int) -> None:
    counts = Counter(labels)
    if len(counts) < 2:
        only = next(iter(counts), "")
        raise EngineError(f"only one class ({only!r}): training needs at least two labels")
    rare = sorted(label for label, n in counts.items() if n < folds)
    if rare:
        raise EngineError(
            f"too few rows for label(s) {', '.join(map(repr, rare))}: each label needs at least "
            f"{folds} rows (the engine tunes itself by {folds}-fold cross-validation)"
        )


# --- Training and evaluation ------------------------------------------------------------------


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    params: Params | None = None,
    data_sha256: str = "",
    log: Callable[[str], None] = lambda _m: None,
) -> Classifier:
    """Train a classifier; cross-validated metrics go in its metadata["validation"]."""
    params = params or Params()
    if len(texts) != len(labels):
        raise EngineError("texts and labels differ in length")
    check_training_data(labels, folds=params.folds)
    classes = sorted(set(labels))
    check_objective(params.optimize, classes)
    _options(params.text_shape, "text_shape")
    _options(params.views, "views")
    y = np.array([classes.index(label) for label in labels], dtype=np.int64)
    started = time.perf_counter()
    log(f"preparing {len(texts)} texts")
    docs = prepare_many(texts)

    log(f"training on {len(docs)} rows ({params.folds}-fold bagging)")
    fitted = fit_docs(docs, y, classes, params, log=log)
    model = fitted.model
    validation = metrics(
        [classes[i] for i in y], [classes[i] for i in fitted.cv_predictions], classes
    )
    positive = _positive_class(y, len(classes))
    model.metadata = {
        "engine": "danvan.nlp.engine",
        "engine_version": ENGINE_VERSION,
        "format": MODEL_FORMAT,
        "labels": classes,
        "label_counts": dict(sorted(Counter(labels).items())),
        "positive_label": classes[positive] if positive is not None else None,
        "training_rows": len(texts),
        "training_data_sha256": data_sha256 or _texts_sha256(texts, labels),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_seconds": round(time.perf_counter() - started, 1),
        "parameters": asdict(params),
        "features": {b.name: len(b.vocabulary) for b in model.blocks},
        "temperature": model.temperature,
        "optimize": params.optimize,
        "second_stage": {
            "inputs": fitted.chosen,
            f"cross_validated_{params.optimize}": {
                k: round(v, 4) for k, v in fitted.second_stage.items()
            },
        },
        "validation": {
            "method": f"{params.folds}-fold cross-validation on the training rows: each row is "
            "predicted by models and class biases fitted without it (the choice of the "
            "stacker's inputs among two candidates is made on these same predictions)",
            **validation,
        },
    }
    return model


def _texts_sha256(texts: Sequence[str], labels: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(json.dumps([text, label], ensure_ascii=False).encode())
    return digest.hexdigest()


def metrics(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """n, accuracy, macro_f1, weighted_f1 and per_class {label: precision, recall, f1, support}.
    Labels of `gold` that the model does not know count as errors."""
    names = sorted(set(labels) | set(gold))
    per_class: dict[str, dict[str, float | int]] = {}
    n = len(gold)
    for label in names:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    present = [label for label in names if int(per_class[label]["support"]) > 0]
    macro = sum(float(per_class[label]["f1"]) for label in present) / max(len(present), 1)
    weighted = sum(
        float(per_class[label]["f1"]) * int(per_class[label]["support"]) for label in present
    ) / max(n, 1)
    accuracy = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / max(n, 1)
    return {
        "n": n,
        "accuracy": round(accuracy, 4),
        "macro_f1": round(macro, 4),
        "weighted_f1": round(weighted, 4),
        "per_class": per_class,
    }


def single_core() -> Any:
    """A context in which numpy/scipy use one thread (for honest docs-per-second figures)."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    return threadpool_limits(limits=1)


def evaluate(model: Classifier, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Metrics of `model` on labelled texts, plus docs_per_second on one core (the whole path:
    pipeline, features and scoring; CPU seconds of one thread). Loading is not timed: neither
    the model directory (loaded by the caller) nor the segmenter's CRF model, which a process
    loads once (about 1.4 s of imports), like the model."""
    if not texts:
        raise EngineError("nothing to evaluate")
    segment("khởi động")  # loads pyvi's tagger
    with single_core():
        # CPU time of this process, with numpy/BLAS on one thread: the figure does not depend
        # on what else the machine is doing.
        started = time.process_time()
        predicted = model.predict(texts)
        elapsed = time.process_time() - started
    result = metrics(labels, predicted, model.labels)
    result["docs_per_second"] = round(len(texts) / elapsed, 1) if elapsed > 0 else None
    return result


# --- Saving and loading -----------------------------------------------------------------------


def save_model(model: Classifier, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for block in model.blocks:
        terms = sorted(block.vocabulary, key=block.vocabulary.__getitem__)
        (directory / f"vocab_{block.name}.json").write_text(
            json.dumps(terms, ensure_ascii=False), encoding="utf-8"
        )
        np.save(directory / f"idf_{block.name}.npy", block.idf, allow_pickle=False)
    np.save(directory / "weights.npy", model.weights, allow_pickle=False)
    np.save(directory / "bias.npy", model.bias, allow_pickle=False)
    shape_file = directory / "shape_weights.npy"
    if model.shape_weights is not None:
        np.save(shape_file, model.shape_weights, allow_pickle=False)
    elif shape_file.exists():
        shape_file.unlink()  # a model saved over another must not inherit its shape weights
    meta = dict(model.metadata)
    meta.update(
        {
            "format": MODEL_FORMAT,
            "labels": model.labels,
            "parameters": asdict(model.params),
            "blocks": [b.name for b in model.blocks],
            "temperature": model.temperature,
            "shape": list(SHAPE_NAMES) if model.shape_weights is not None else [],
        }
    )
    (directory / "metadata.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def load_model(directory: str | Path) -> Classifier:
    """Load a model directory written by save_model. Reads JSON and .npy only."""
    directory = Path(directory)
    try:
        meta = json.loads((directory / "metadata.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EngineError(f"{directory}: not a model directory (no metadata.json)") from None
    except (OSError, ValueError) as exc:
        raise EngineError(f"{directory}/metadata.json: unreadable ({exc})") from None
    if meta.get("format") != MODEL_FORMAT:
        raise EngineError(f"{directory}: model format {meta.get('format')!r} is not supported")
    try:
        params = Params.from_dict(meta["parameters"])
        blocks: list[Block] = []
        for name in meta["blocks"]:
            terms = json.loads((directory / f"vocab_{name}.json").read_text(encoding="utf-8"))
            idf = np.load(directory / f"idf_{name}.npy", allow_pickle=False)
            if len(idf) != len(terms):
                raise EngineError(f"{directory}: block {name!r} is inconsistent")
            blocks.append(Block(name=name, vocabulary={t: i for i, t in enumerate(terms)}, idf=idf))
        weights = np.load(directory / "weights.npy", allow_pickle=False)
        bias = np.load(directory / "bias.npy", allow_pickle=False)
        labels = [str(x) for x in meta["labels"]]
        shape_weights = None
        if meta.get("shape"):
            if list(meta["shape"]) != list(SHAPE_NAMES):
                raise EngineError(f"{directory}: text-shape figures differ from this engine's")
            shape_weights = np.load(directory / "shape_weights.npy", allow_pickle=False)
            if shape_weights.shape != (len(SHAPE_NAMES), len(labels)):
                raise EngineError(f"{directory}: shape weights do not match the labels")
    except (KeyError, OSError, ValueError) as exc:
        raise EngineError(f"{directory}: incomplete or damaged model ({exc})") from None
    n_features = sum(len(b.vocabulary) for b in blocks)
    if weights.shape != (n_features, len(labels)) or bias.shape != (len(labels),):
        raise EngineError(f"{directory}: weights do not match the vocabularies and labels")
    return Classifier(
        labels=labels,
        params=params,
        blocks=blocks,
        weights=weights,
        bias=bias,
        temperature=float(meta.get("temperature", 1.0)),
        metadata=meta,
        shape_weights=shape_weights,
    )
