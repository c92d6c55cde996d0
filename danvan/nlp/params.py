"""The engine's parameters (`Params`), its error (`EngineError`) and the matrix type its
modules share: the bottom of the classification engine (danvan.nlp.engine), imported by every
other part of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


def options(value: str, what: str) -> list[bool]:
    """ "auto" -> try without and with; "yes" / "no" -> that one only."""
    choices = {"auto": [False, True], "yes": [True], "no": [False]}
    if value not in choices:
        raise EngineError(f"{what} {value!r}: use auto, yes or no")
    return choices[value]
