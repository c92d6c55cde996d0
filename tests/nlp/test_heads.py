"""The heads' fitting (danvan.nlp.heads) and the engine's linear models give the same result
from run to run, and a rule without class biases applies none."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]

from danvan.nlp.heads import Rule, fit_head
from danvan.nlp.linear_models import MODELS
from danvan.nlp.params import Params


def _data(n: int = 240, k: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    y = np.arange(n) % k
    lex = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    lex[:, 0] += 0.8  # a shifted class: tuned biases would move it
    groups = np.array([f"page{i // 3}" for i in range(n)])
    return y, lex, groups


def test_the_linear_svm_gives_the_same_weights_twice() -> None:
    rng = np.random.default_rng(3)
    x = sp.csr_matrix(rng.random((120, 40)) * (rng.random((120, 40)) < 0.2))
    y = np.arange(120) % 3
    first = MODELS["svm"](x, y, 3, Params())
    np.random.seed(None)  # the global state must not matter
    np.random.random(7)
    second = MODELS["svm"](x, y, 3, Params())
    assert np.array_equal(first[0], second[0])
    assert np.array_equal(first[1], second[1])


def test_a_rule_without_biases_applies_none_and_says_so() -> None:
    y, lex, groups = _data()
    labels = ["a", "b", "c"]
    real = np.ones(len(y), dtype=bool)
    forced = np.zeros(len(y), dtype=bool)
    tuned = fit_head(labels, y, lex, None, groups=groups, real=real, rule=Rule(), forced=forced)
    plain = fit_head(
        labels, y, lex, None, groups=groups, real=real, rule=Rule(biases=False), forced=forced
    )
    assert np.any(tuned.lex_bias != 0)
    assert np.array_equal(plain.lex_bias, np.zeros(3))
    assert plain.info["biases_applied"] is False
    assert "biases_applied" not in tuned.info


def test_the_encoder_head_makes_the_same_choice_twice() -> None:
    y, lex, groups = _data()
    rng = np.random.default_rng(9)
    emb = rng.normal(size=(len(y), 16)) + np.eye(16)[y] * 2.0
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    real = np.ones(len(y), dtype=bool)
    forced = np.zeros(len(y), dtype=bool)
    heads = [
        fit_head(["a", "b", "c"], y, lex, emb, groups=groups, real=real, rule=rule, forced=forced)
        for rule in (Rule(biases=False), Rule(biases=False))
    ]
    assert heads[0].info == heads[1].info  # the same choice twice
    assert heads[0].has_encoder
    assert heads[0].bias is not None
    assert heads[1].bias is not None
    assert np.array_equal(heads[0].bias, heads[1].bias)
