"""The engine's features: each text as a `Doc` (normalised characters and segmented words),
its shape figures (how it is written), and the TF-IDF blocks (words, folded syllables,
character n-grams) that turn documents into one sparse matrix."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]

from danvan.kernel.text import fold
from danvan.nlp.normalization import EMOJI, normalize
from danvan.nlp.params import EngineError, Matrix, Params
from danvan.nlp.segmentation import segment

MAX_TEXT_CHARS = 5000  # longer texts are cut before featurising (bounded work per text)


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
