"""The classification engine: quality on real data it never saw, save/load, bad input."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from danvan.nlp.engine import evaluate, metrics, read_csv, train
from danvan.nlp.features import (
    SHAPE_NAMES,
    block_names,
    featurize,
    fit_block,
    prepare_many,
    text_shape,
)
from danvan.nlp.linear_models import MODELS
from danvan.nlp.model import Classifier, load_model
from danvan.nlp.params import EngineError, Params
from danvan.nlp.tuning import (
    check_objective,
    f1_scores,
    objective_value,
    stratified_folds,
    tune_biases,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def sample_rows(path: Path, n: int, *, seed: int) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return random.Random(seed).sample(rows, min(n, len(rows)))


# Small enough for a fast test, large enough to be meaningful.
FAST = Params(folds=3)


@pytest.fixture(scope="module")
def vsfc_sentiment(data_dir: Path) -> tuple[Classifier, list[str], list[str]]:
    """A model trained on 1,500 rows of VSFC train.csv, and 500 rows of dev.csv to test it on."""
    train_rows = sample_rows(data_dir / "vsfc" / "train.csv", 1500, seed=1)
    dev_rows = sample_rows(data_dir / "vsfc" / "dev.csv", 500, seed=2)
    model = train(
        [r["text"] for r in train_rows], [r["sentiment"] for r in train_rows], params=FAST
    )
    return model, [r["text"] for r in dev_rows], [r["sentiment"] for r in dev_rows]


def test_a_model_trained_on_1500_real_rows_beats_chance_by_far_on_unseen_rows(
    vsfc_sentiment: tuple[Classifier, list[str], list[str]],
) -> None:
    model, texts, labels = vsfc_sentiment
    result = evaluate(model, texts, labels)
    assert result["n"] == 500
    # Chance is about 0.33 macro-F1 (three classes); the majority class alone gives 0.21.
    assert result["macro_f1"] >= 0.6
    assert result["weighted_f1"] >= 0.8
    assert result["per_class"]["positive"]["f1"] >= 0.8
    assert result["per_class"]["negative"]["f1"] >= 0.8
    assert result["docs_per_second"] > 0


def test_the_model_metadata_describes_its_training(
    vsfc_sentiment: tuple[Classifier, list[str], list[str]],
) -> None:
    model, _texts, _labels = vsfc_sentiment
    meta = model.metadata
    assert meta["labels"] == ["negative", "neutral", "positive"]
    assert meta["training_rows"] == 1500
    assert len(meta["training_data_sha256"]) == 64
    assert meta["engine_version"]
    assert meta["parameters"]["folds"] == 3
    assert meta["trained_at"].endswith("+00:00")
    validation = meta["validation"]
    assert validation["n"] == 1500  # cross-validated: every row, each by models without it
    assert validation["macro_f1"] > 0.5
    assert "cross-validation" in validation["method"]


def test_save_then_load_gives_the_same_predictions_and_loads_no_pickle(
    vsfc_sentiment: tuple[Classifier, list[str], list[str]], tmp_path: Path
) -> None:
    model, texts, _labels = vsfc_sentiment
    model.save(tmp_path / "model")
    files = sorted(p.name for p in (tmp_path / "model").iterdir())
    assert all(name.endswith((".json", ".npy")) for name in files), files
    loaded = load_model(tmp_path / "model")
    assert loaded.labels == model.labels
    assert loaded.predict(texts) == model.predict(texts)
    assert np.allclose(loaded.predict_proba(texts[:50]), model.predict_proba(texts[:50]))
    meta = json.loads((tmp_path / "model" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["training_rows"] == 1500


def test_probabilities_sum_to_one_and_agree_with_the_predicted_label(
    vsfc_sentiment: tuple[Classifier, list[str], list[str]],
) -> None:
    model, texts, _labels = vsfc_sentiment
    proba = model.predict_proba(texts[:100])
    assert proba.shape == (100, 3)
    assert np.allclose(proba.sum(axis=1), 1.0)
    best = [model.labels[i] for i in proba.argmax(axis=1)]
    assert best == model.predict(texts[:100])


def test_the_hand_written_citizen_csv_trains_and_predicts_sensibly(tmp_path: Path) -> None:
    data = read_csv(FIXTURES / "citizen_topics.csv", text_column="text", label_column="topic")
    assert Counter(data.labels) == {"ha_tang": 14, "thu_tuc": 14, "moi_truong": 14}
    model = train(data.texts, data.labels, params=Params(folds=3))
    unseen = {
        "Đường vào xã bị sạt lở không đi được": "ha_tang",
        "mất điện cả tối qua ko ai sửa": "ha_tang",
        "Cho tôi hỏi thủ tục làm giấy khai sinh": "thu_tuc",
        "ho so cap so do nop lau roi chua co ket qua": "thu_tuc",
        "Bãi rác bốc mùi hôi thối quá": "moi_truong",
        "Xưởng xả khói bụi ô nhiễm cả xóm": "moi_truong",
    }
    predicted = model.predict(list(unseen))
    assert predicted == list(unseen.values())
    # The training data's checksum is the file's.
    assert len(data.sha256) == 64


def test_an_empty_list_predicts_nothing() -> None:
    data = read_csv(FIXTURES / "citizen_topics.csv", text_column="text", label_column="topic")
    model = train(data.texts, data.labels, params=Params(folds=2))
    assert model.predict([]) == []


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_bad_training_data_gives_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="no such file"):
        read_csv(tmp_path / "missing.csv", text_column="text", label_column="label")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(EngineError, match="empty file"):
        read_csv(empty, text_column="text", label_column="label")
    header_only = write_csv(tmp_path / "header.csv", [["text", "label"]])
    with pytest.raises(EngineError, match="no rows"):
        read_csv(header_only, text_column="text", label_column="label")
    wrong = write_csv(tmp_path / "wrong.csv", [["noi_dung", "nhan"], ["xin chào", "a"]])
    with pytest.raises(EngineError, match=r"no column 'text'.*noi_dung, nhan"):
        read_csv(wrong, text_column="text", label_column="nhan")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("text,label\nCafé crème,a\n".encode("latin-1"))
    with pytest.raises(EngineError, match="not UTF-8"):
        read_csv(latin1, text_column="text", label_column="label")
    with pytest.raises(EngineError, match="only one class"):
        train(["một", "hai", "ba", "bốn", "năm", "sáu"], ["x"] * 6)
    # The default is 10-fold cross-validation: each label needs 10 rows, fewer folds fewer rows.
    with pytest.raises(EngineError, match="at least 10 rows"):
        train(["một", "hai", "ba", "bốn", "năm", "sáu", "bảy"], ["x"] * 5 + ["y"] * 2)
    with pytest.raises(EngineError, match="at least 3 rows"):
        train(["một", "hai", "ba", "bốn"], ["x"] * 2 + ["y"] * 2, params=Params(folds=3))


def test_a_damaged_model_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="not a model directory"):
        load_model(tmp_path)
    (tmp_path / "metadata.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(EngineError, match="unreadable"):
        load_model(tmp_path)


@pytest.mark.parametrize(
    ("folder", "column", "chance"),
    [
        # Three classes: always predicting the majority class gives about 0.21 macro-F1.
        ("vsfc", "sentiment", 0.21),
        # Two classes: the majority class alone gives about 0.39 macro-F1.
        ("victsd", "constructiveness", 0.39),
    ],
)
@pytest.mark.parametrize("member", sorted(MODELS))
def test_each_member_of_the_ensemble_alone_beats_chance_on_unseen_rows(
    data_dir: Path, folder: str, column: str, chance: float, member: str
) -> None:
    """Each linear model is turned into a (features x classes) weight matrix and a bias; a
    wrong orientation or a wrong binary case (one column from sklearn) would show here."""
    train_rows = sample_rows(data_dir / folder / "train.csv", 1200, seed=3)
    dev_rows = sample_rows(data_dir / folder / "dev.csv", 400, seed=4)
    classes = sorted({r[column] for r in train_rows})
    docs = prepare_many([r["text"] for r in train_rows])
    y = np.array([classes.index(r[column]) for r in train_rows])
    blocks = [fit_block(name, docs, FAST) for name in block_names(FAST)]
    weights, bias = MODELS[member](featurize(blocks, docs, FAST), y, len(classes), FAST)
    assert weights.shape[1] == len(classes)
    assert bias.shape == (len(classes),)
    x_dev = featurize(blocks, prepare_many([r["text"] for r in dev_rows]), FAST)
    predicted = [classes[i] for i in np.argmax(np.asarray(x_dev @ weights) + bias, axis=1)]
    result = metrics([r[column] for r in dev_rows], predicted, classes)
    assert result["macro_f1"] >= chance + 0.25, (member, result["macro_f1"])


# --- Objectives, text shape and the stacker's inputs (engine 1.2) ------------------------------


def test_the_objective_is_macro_weighted_or_one_class_f1() -> None:
    y = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    pred = np.array([0, 0, 0, 1, 1, 1, 0, 2])
    f1 = f1_scores(y, pred, 3)
    assert objective_value(y, pred, 3) == pytest.approx(f1.mean())
    assert objective_value(y, pred, 3, "weighted_f1") == pytest.approx(
        (4 * f1[0] + 2 * f1[1] + 2 * f1[2]) / 8
    )
    assert objective_value(y, pred, 3, "f1:2") == pytest.approx(f1[2])
    assert check_objective("f1:toxic", ["non_toxic", "toxic"]) == "f1:toxic"
    with pytest.raises(EngineError, match="no label 'rude'"):
        check_objective("f1:rude", ["non_toxic", "toxic"])
    with pytest.raises(EngineError, match="macro_f1, weighted_f1 or f1:<label>"):
        check_objective("accuracy", ["a", "b"])
    with pytest.raises(EngineError, match="no label"):
        train(
            ["một", "hai", "ba", "bốn"],
            ["x", "x", "y", "y"],
            params=Params(folds=2, optimize="f1:z"),
        )


def test_biases_tuned_for_one_class_raise_that_class_f1() -> None:
    """A rare class scored a little too low: shifting its bias is what the objective finds."""
    rng = np.random.default_rng(0)
    y = (rng.random(2000) < 0.1).astype(np.int64)
    scores = np.stack([np.zeros(2000), rng.normal(y * 2.5 - 2.5, 1.0)], axis=1)
    before = objective_value(y, np.argmax(scores, axis=1), 2, "f1:1")
    bias = tune_biases(scores, y, objective="f1:1")
    after = objective_value(y, np.argmax(scores + bias, axis=1), 2, "f1:1")
    assert after > before + 0.05
    assert bias[1] > bias[0]


def test_text_shape_reads_how_a_comment_is_written() -> None:
    shouted = dict(zip(SHAPE_NAMES, text_shape("ĐƯỜNG HỎNG QUÁ!!! ai sửa đi?? 😡😡"), strict=True))
    calm = dict(zip(SHAPE_NAMES, text_shape("Đề nghị xã sửa đường. Xin cảm ơn."), strict=True))
    assert shouted["upper_share"] > 0.3 > calm["upper_share"]
    assert shouted["log_exclamations"] > 0 == calm["log_exclamations"]
    assert shouted["log_questions"] > 0
    assert shouted["log_emoji"] > 0
    assert calm["log_sentences"] > 0
    assert calm["undiacritic_share"] < 0.5
    assert text_shape("") == tuple(0.0 for _ in SHAPE_NAMES)


@pytest.fixture(scope="module")
def victsd_toxic(data_dir: Path) -> tuple[Classifier, list[str], list[str]]:
    """Tuned for the F1 of "toxic", with the block-wise members and the text-shape inputs
    forced in."""
    rows = sample_rows(data_dir / "victsd" / "train.csv", 1500, seed=5)
    dev = sample_rows(data_dir / "victsd" / "dev.csv", 400, seed=6)
    model = train(
        [r["text"] for r in rows],
        [r["toxicity"] for r in rows],
        params=Params(folds=3, optimize="f1:toxic", text_shape="yes", views="yes"),
    )
    return model, [r["text"] for r in dev], [r["toxicity"] for r in dev]


def test_a_model_tuned_for_the_rare_class_finds_it_on_unseen_rows(
    victsd_toxic: tuple[Classifier, list[str], list[str]],
) -> None:
    model, texts, labels = victsd_toxic
    meta = model.metadata
    assert meta["optimize"] == "f1:toxic"
    assert meta["second_stage"]["inputs"] == "scores+views+shape"
    assert set(meta["second_stage"]["cross_validated_f1:toxic"]) == {"scores+views+shape"}
    result = evaluate(model, texts, labels)
    # About one comment in ten is toxic: predicting "toxic" for all gives F1 about 0.18.
    assert result["per_class"]["toxic"]["f1"] >= 0.3
    assert result["per_class"]["toxic"]["recall"] >= 0.3


def test_the_shape_weights_are_saved_as_npy_and_give_the_same_scores(
    victsd_toxic: tuple[Classifier, list[str], list[str]], tmp_path: Path
) -> None:
    model, texts, _labels = victsd_toxic
    assert model.shape_weights is not None
    assert model.shape_weights.shape == (len(SHAPE_NAMES), 2)
    model.save(tmp_path / "m")
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert "shape_weights.npy" in files
    assert all(name.endswith((".json", ".npy")) for name in files), files
    loaded = load_model(tmp_path / "m")
    assert loaded.shape_weights is not None
    assert np.allclose(loaded.scores(texts[:80]), model.scores(texts[:80]))
    assert loaded.predict(texts) == model.predict(texts)
    # The shape inputs matter: without them the scores change.
    loaded.shape_weights = None
    assert not np.allclose(loaded.scores(texts[:80]), model.scores(texts[:80]))


def test_the_stackers_inputs_are_chosen_by_cross_validation_on_the_training_rows(
    vsfc_sentiment: tuple[Classifier, list[str], list[str]],
) -> None:
    """Block-wise members join the stack only when they raise the objective on the training
    rows' cross-validated predictions; ties go to the fewer inputs. Text shape is off unless
    asked for."""
    model, _texts, _labels = vsfc_sentiment
    second = model.metadata["second_stage"]
    scores = second["cross_validated_macro_f1"]
    assert set(scores) == {"scores", "scores+views"}
    best = max(scores.values())
    assert scores[second["inputs"]] == best
    assert all(len(name) >= len(second["inputs"]) for name, v in scores.items() if v == best)
    assert model.shape_weights is None
    assert model.metadata["validation"]["macro_f1"] == pytest.approx(best, abs=1e-4)


def test_the_block_wise_members_fold_into_the_one_weight_matrix(
    victsd_toxic: tuple[Classifier, list[str], list[str]],
) -> None:
    """Prediction costs the same with views: one (features x classes) matrix, whatever the stack."""
    model, _texts, _labels = victsd_toxic
    n_features = sum(len(b.vocabulary) for b in model.blocks)
    assert model.weights.shape == (n_features, 2)
    with pytest.raises(EngineError, match="views 'maybe': use auto, yes or no"):
        train(
            ["một", "hai", "ba", "bốn"], ["x", "x", "y", "y"], params=Params(folds=2, views="maybe")
        )


def test_grouped_folds_keep_a_group_together_and_spread_each_label() -> None:
    # 60 groups of 1-3 rows (a source page and its variants), two labels, one rare.
    groups = [f"g{i // 2 if i < 60 else i}" for i in range(120)]
    y = np.array([1 if i % 8 == 0 else 0 for i in range(120)])
    folds = stratified_folds(y, 3, 13, groups)
    assert sorted(np.concatenate(folds).tolist()) == list(range(120))
    fold_of = {int(i): f for f, rows in enumerate(folds) for i in rows}
    for g in set(groups):
        assert len({fold_of[i] for i, name in enumerate(groups) if name == g}) == 1
    assert all(4 <= int(y[rows].sum()) <= 6 for rows in folds)  # 15 rare rows: about 5 each
