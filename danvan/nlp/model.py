"""A trained model: the `Classifier` (scores, predictions, probabilities) and its directory
on disk. A model directory holds only JSON and .npy files (vocabularies, idf, weights,
biases): loading one executes nothing and unpickles nothing (numpy is called with
allow_pickle=False)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from danvan.nlp.features import (
    SHAPE_NAMES,
    Block,
    Doc,
    featurize,
    prepare_many,
    shape_features,
)
from danvan.nlp.params import EngineError, Params
from danvan.nlp.tuning import softmax

MODEL_FORMAT = 1


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
    # The training rows' out-of-fold scores, set by training and never saved.
    oof_scores: np.ndarray | None = field(default=None, repr=False, compare=False)

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
        return softmax(self.scores(texts) / self.temperature)

    def save(self, directory: str | Path) -> None:
        save_model(self, Path(directory))


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
