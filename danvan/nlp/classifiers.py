"""The product's own opinion classifiers: topic, sentiment, kind, urgency and abusive language.

One `ModelSet` holds five engine models (danvan.nlp.engine), one per task, trained on the same
texts. The default set is trained from the seed corpus the project writes (danvan/nlp/seed/) on
first use and cached under the models directory, keyed by the corpus, the engine version and the
training parameters, so a changed corpus or engine gives a new directory and never a stale model.
Deployment models (`danvan model retrain`) live next to it, named by their version.

The labels describe a message, never the person who wrote it.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from danvan.kernel.taxonomy import DEFAULT_TOPICS, KINDS, OTHER, SENTIMENTS
from danvan.nlp import engine
from danvan.nlp.features import prepare_many
from danvan.nlp.model import MODEL_FORMAT, Classifier, load_model, save_model
from danvan.nlp.params import EngineError, Params

TASKS = ("topic", "sentiment", "kind", "urgent", "abusive")
BINARY = ("urgent", "abusive")
SEED_DIR = Path(__file__).parent / "seed"
SEED_FILES = ("train.csv", "heldout.csv")
# Three folds: the product models are retrained by deployments on ordinary machines; five folds
# cost two thirds more time for no measured gain on the seed corpus (bench/classifiers.py).
PARAMS = Params(folds=3)
SET_FORMAT = 1
CONFIDENCE_TEMPERATURE = 4.0

Log = Callable[[str], None]


class ClassifierError(Exception):
    """A model set that cannot be trained or loaded; the message says why."""


@dataclass(frozen=True)
class Row:
    """One labelled message (seed corpus or a staff-labelled message)."""

    text: str
    topic: str
    sentiment: str
    kind: str
    urgent: bool
    abusive: bool

    def label(self, task: str) -> str:
        value = getattr(self, task)
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)


@dataclass(frozen=True)
class Labels:
    topic: str
    sentiment: str
    kind: str
    urgent: bool
    abusive: bool
    # The model's probability for its topic: the "help the model" queue shows the lowest first.
    confidence: float


def _yes(value: str) -> bool:
    return value.strip().lower() in ("yes", "1", "true", "có")


def read_rows(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Row(
                text=r["text"],
                topic=r["topic"],
                sentiment=r["sentiment"],
                kind=r["kind"],
                urgent=_yes(r["urgent"]),
                abusive=_yes(r["abusive"]),
            )
            for r in csv.DictReader(handle)
        ]


def seed_rows(part: str | None = None) -> list[Row]:
    """The seed corpus: both files, or one ("train.csv" / "heldout.csv")."""
    names = (part,) if part else SEED_FILES
    return [row for name in names for row in read_rows(SEED_DIR / name)]


def rows_sha256(rows: Sequence[Row]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps(asdict(row), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


def default_key(rows: Sequence[Row], params: Params = PARAMS) -> str:
    """What the default set depends on: its training rows, the engine, the parameters."""
    digest = hashlib.sha256()
    digest.update(rows_sha256(rows).encode())
    digest.update(f"{engine.ENGINE_VERSION}/{MODEL_FORMAT}/{SET_FORMAT}".encode())
    digest.update(json.dumps(asdict(params), sort_keys=True).encode())
    return digest.hexdigest()[:12]


def _fit_topics(rows: Sequence[Row], topic_codes: Sequence[str] | None) -> list[str]:
    """Topics outside the deployment's taxonomy are trained as "other"."""
    if not topic_codes:
        return [r.topic for r in rows]
    known = set(topic_codes)
    return [r.topic if r.topic in known else OTHER for r in rows]


class ModelSet:
    """Five models that label messages together."""

    def __init__(self, version: str, models: dict[str, Classifier]) -> None:
        missing = [t for t in TASKS if t not in models]
        if missing:
            raise ClassifierError(f"model set {version}: missing {', '.join(missing)}")
        self.version = version
        self.models = models

    def classify(self, texts: Sequence[str]) -> list[Labels]:
        if not texts:
            return []
        # The pipeline (normalisation, segmentation) runs once for the five models.
        docs = prepare_many(texts)
        picked: dict[str, list[str]] = {}
        confidence: np.ndarray = np.zeros(len(texts))
        for task in TASKS:
            model = self.models[task]
            scores = model.scores_docs(docs)
            best = np.argmax(scores, axis=1)
            picked[task] = [model.labels[i] for i in best]
            if task == "topic":
                # A ranking signal for the "help the model" queue rather than a calibrated
                # probability: trained on the seed corpus alone, the engine's tuned temperature
                # makes nearly every message 100 % sure; a floor keeps the order readable.
                z = scores / max(model.temperature, CONFIDENCE_TEMPERATURE)
                z = z - z.max(axis=1, keepdims=True)
                p = np.exp(z)
                p /= p.sum(axis=1, keepdims=True)
                confidence = p[np.arange(len(texts)), best]
        out = []
        for i in range(len(texts)):
            sentiment = picked["sentiment"][i]
            kind = picked["kind"][i]
            out.append(
                Labels(
                    topic=picked["topic"][i],
                    sentiment=sentiment if sentiment in SENTIMENTS else "neutral",
                    kind=kind if kind in KINDS else "other",
                    urgent=picked["urgent"][i] == "yes",
                    abusive=picked["abusive"][i] == "yes",
                    confidence=round(float(confidence[i]), 4),
                )
            )
        return out

    def evaluate(self, rows: Sequence[Row]) -> dict[str, dict[str, Any]]:
        """Per task: engine metrics on labelled rows."""
        predicted = self.classify([r.text for r in rows])
        result: dict[str, dict[str, Any]] = {}
        for task in TASKS:
            gold = [r.label(task) for r in rows]
            guess = [
                Row(r.text, p.topic, p.sentiment, p.kind, p.urgent, p.abusive).label(task)
                for r, p in zip(rows, predicted, strict=True)
            ]
            result[task] = engine.metrics(gold, guess, self.models[task].labels)
        return result


def score(metrics: dict[str, dict[str, Any]]) -> float:
    """One figure for comparing two sets: the mean macro-F1 over the tasks."""
    return round(sum(float(m["macro_f1"]) for m in metrics.values()) / max(len(metrics), 1), 4)


def train_set(
    rows: Sequence[Row],
    *,
    version: str,
    params: Params = PARAMS,
    topic_codes: Sequence[str] | None = None,
    log: Log = lambda _m: None,
) -> ModelSet:
    texts = [r.text for r in rows]
    models: dict[str, Classifier] = {}
    for task in TASKS:
        labels = (
            _fit_topics(rows, topic_codes) if task == "topic" else [r.label(task) for r in rows]
        )
        log(f"training {task} on {len(texts)} messages")
        try:
            models[task] = engine.train(texts, labels, params=params)
        except EngineError as exc:
            raise ClassifierError(f"{task}: {exc}") from exc
    return ModelSet(version, models)


def save_set(model_set: ModelSet, directory: Path, *, info: dict[str, Any] | None = None) -> None:
    """Writes the set atomically: a half-written directory is never seen under its name."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        for task, model in model_set.models.items():
            save_model(model, staging / task)
        (staging / "set.json").write_text(
            json.dumps(
                {
                    "format": SET_FORMAT,
                    "version": model_set.version,
                    "tasks": list(TASKS),
                    **(info or {}),
                },
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
        if directory.exists():
            shutil.rmtree(directory)
        staging.rename(directory)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def load_set(directory: Path) -> ModelSet:
    try:
        meta = json.loads((directory / "set.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ClassifierError(f"{directory}: not a model set ({exc})") from None
    if meta.get("format") != SET_FORMAT:
        raise ClassifierError(f"{directory}: model set format {meta.get('format')!r} unknown")
    try:
        models = {task: load_model(directory / task) for task in TASKS}
    except EngineError as exc:
        raise ClassifierError(str(exc)) from exc
    return ModelSet(str(meta.get("version") or directory.name), models)


def set_info(directory: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((directory / "set.json").read_text(encoding="utf-8"))
        return data
    except (OSError, ValueError):
        return {}


@contextmanager
def _locked(models_dir: Path, name: str) -> Iterator[None]:
    """One process at a time trains a given set; the others wait, then load it."""
    models_dir.mkdir(parents=True, exist_ok=True)
    with (models_dir / f".{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_CACHE: dict[str, ModelSet] = {}


def load_cached(directory: Path) -> ModelSet:
    """A set loaded once per process (sets are read-only once written)."""
    key = str(directory.resolve())
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = load_set(directory)
    return found


def default_version(topic_codes: Sequence[str] | None = None) -> str:
    """The default set's folder name (the corpus is hashed once per process)."""
    return _default_version(tuple(sorted(set(topic_codes or ()))))


@lru_cache(maxsize=8)
def _default_version(topics: tuple[str, ...]) -> str:
    rows = seed_rows()
    if list(topics) == sorted(t.code for t in DEFAULT_TOPICS):
        topics = ()  # the default taxonomy: the seed corpus's own topics
    suffix = hashlib.sha256(",".join(topics).encode()).hexdigest()[:4] if topics else ""
    return f"seed-{default_key(rows)}{'-' + suffix if suffix else ''}"


def default_exists(models_dir: Path, *, topic_codes: Sequence[str] | None = None) -> bool:
    return (models_dir / default_version(topic_codes) / "set.json").exists()


def default_set(
    models_dir: Path, *, topic_codes: Sequence[str] | None = None, log: Log = lambda _m: None
) -> ModelSet:
    """The default set, trained from the seed corpus the first time it is needed."""
    version = default_version(topic_codes)
    directory = models_dir / version
    if (directory / "set.json").exists():
        return load_cached(directory)
    with _locked(models_dir, version):
        if not (directory / "set.json").exists():
            rows = seed_rows()
            log(f"training the default classifiers from the seed corpus ({len(rows)} messages)")
            trained = train_set(rows, version=version, topic_codes=topic_codes, log=log)
            save_set(
                trained,
                directory,
                info={
                    "source": "seed corpus",
                    "seed_rows": len(rows),
                    "seed_sha256": rows_sha256(rows),
                },
            )
    return load_cached(directory)
