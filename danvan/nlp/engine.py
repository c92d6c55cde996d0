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

This module reads training data, trains (`train`) and evaluates (`evaluate`, `metrics`). The parts
live beside it: params (Params, EngineError), features (1-2), linear_models (3), tuning (biases,
temperature, folds), stacking (3-5: `fit_docs`) and model (the Classifier, saved and loaded).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from danvan.nlp.features import prepare_many
from danvan.nlp.model import MODEL_FORMAT, Classifier
from danvan.nlp.params import EngineError, Params, options
from danvan.nlp.segmentation import segment
from danvan.nlp.stacking import fit_docs
from danvan.nlp.tuning import check_objective

ENGINE_VERSION = "1.2"


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
    groups: Sequence[str] | None = None,
) -> Classifier:
    """Train a classifier; cross-validated metrics go in its metadata["validation"]. `groups`
    (one per text): texts that must share a cross-validation fold (a source page and the
    variants of a message); default: each text alone."""
    params = params or Params()
    if len(texts) != len(labels) or (groups is not None and len(groups) != len(texts)):
        raise EngineError("texts, labels and groups differ in length")
    check_training_data(labels, folds=params.folds)
    classes = sorted(set(labels))
    check_objective(params.optimize, classes)
    options(params.text_shape, "text_shape")
    options(params.views, "views")
    y = np.array([classes.index(label) for label in labels], dtype=np.int64)
    started = time.perf_counter()
    log(f"preparing {len(texts)} texts")
    docs = prepare_many(texts)

    log(f"training on {len(docs)} rows ({params.folds}-fold bagging)")
    fitted = fit_docs(docs, y, classes, params, log=log, groups=groups)
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


def _positive_class(y: np.ndarray, n_classes: int) -> int | None:
    """For two classes the rarer one is the class of interest (toxic, constructive, ...); it is
    recorded in the metadata for reports."""
    if n_classes != 2:
        return None
    return int(np.argmin(np.bincount(y, minlength=2)))


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
