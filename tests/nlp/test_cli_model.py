"""`danvan model train / eval / predict` as a person runs them: a real process, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from danvan.cli import app

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "citizen_topics.csv"


def danvan(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The real command, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "danvan", "model", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=300,
        check=False,
    )


def danvan_here(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The same command line run in this process (faster: no interpreter start-up)."""
    result = CliRunner().invoke(app, ["model", *args], input=stdin)
    code = result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "model"
    done = danvan(
        "train",
        "--input",
        str(FIXTURE),
        "--text-column",
        "text",
        "--label-column",
        "topic",
        "--out",
        str(out),
        "--folds",
        "3",
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["labels"] == ["ha_tang", "moi_truong", "thu_tuc"]
    assert summary["rows"] == 42
    return out


def test_train_then_eval_prints_the_metrics_as_the_last_line(trained: Path) -> None:
    assert (trained / "metadata.json").is_file()
    done = danvan(
        "eval",
        "--model",
        str(trained),
        "--input",
        str(FIXTURE),
        "--text-column",
        "text",
        "--label-column",
        "topic",
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result) >= {
        "n",
        "accuracy",
        "macro_f1",
        "weighted_f1",
        "per_class",
        "docs_per_second",
    }
    assert result["n"] == 42
    assert result["accuracy"] >= 0.9  # its own training data
    assert set(result["per_class"]) == {"ha_tang", "moi_truong", "thu_tuc"}
    assert set(result["per_class"]["thu_tuc"]) == {"precision", "recall", "f1", "support"}
    assert result["docs_per_second"] > 0


def test_predict_reads_lines_and_prints_one_json_object_per_text(trained: Path) -> None:
    done = danvan("predict", "--model", str(trained), stdin="Mất điện cả ngày\n\nrác bốc mùi quá\n")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["label"] for line in lines] == ["ha_tang", "moi_truong"]
    assert abs(sum(lines[0]["probabilities"].values()) - 1) < 0.01


@pytest.mark.parametrize(
    ("content", "column", "message"),
    [
        (None, "topic", "no such file"),
        (b"", "topic", "empty file"),
        (b"text,topic\n", "topic", "no rows"),
        ("text,topic\nxin chào,a\n".encode(), "nhan", "no column 'nhan'"),
        ("text,topic\nCafé,a\n".encode("latin-1"), "topic", "not UTF-8"),
        ("text,topic\nmột,a\nhai,a\nba,a\nbốn,a\nnăm,a\n".encode(), "topic", "only one class"),
        ("text,topic\nmột, hai,a\n".encode(), "topic", "more fields than the header"),
    ],
)
def test_bad_csv_files_give_a_clear_error_and_a_failing_exit_code(
    tmp_path: Path, content: bytes | None, column: str, message: str
) -> None:
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_bytes(content)
    done = danvan_here(
        "train",
        "--input",
        str(path),
        "--text-column",
        "text",
        "--label-column",
        column,
        "--out",
        str(tmp_path / "model"),
    )
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "model").exists()


def test_eval_of_a_missing_model_fails_clearly(tmp_path: Path) -> None:
    done = danvan_here(
        "eval",
        "--model",
        str(tmp_path / "nothing"),
        "--input",
        str(FIXTURE),
        "--label-column",
        "topic",
    )
    assert done.returncode != 0
    assert "not a model directory" in done.stderr


def test_train_uses_the_engines_default_of_ten_folds(tmp_path: Path) -> None:
    """The engine's design was measured with 10-fold bagging; the CLI must train the same way
    unless told otherwise (42 rows, 14 per label: enough for 10 folds)."""
    done = danvan_here(
        "train",
        "--input",
        str(FIXTURE),
        "--label-column",
        "topic",
        "--out",
        str(tmp_path / "model"),
    )
    assert done.returncode == 0, done.stderr
    meta = json.loads((tmp_path / "model" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["parameters"]["folds"] == 10
    assert "10-fold" in meta["validation"]["method"]
    assert json.loads(done.stdout.strip().splitlines()[-1])["validation"]["n"] == 42


def test_train_can_tune_for_the_f1_of_one_label(tmp_path: Path) -> None:
    done = danvan_here(
        "train",
        "--input",
        str(FIXTURE),
        "--label-column",
        "topic",
        "--out",
        str(tmp_path / "model"),
        "--folds",
        "3",
        "--optimize",
        "f1:thu_tuc",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["optimize"] == "f1:thu_tuc"
    meta = json.loads((tmp_path / "model" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["optimize"] == meta["parameters"]["optimize"] == "f1:thu_tuc"
    evaluated = danvan_here(
        "eval",
        "--model",
        str(tmp_path / "model"),
        "--input",
        str(FIXTURE),
        "--label-column",
        "topic",
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout.strip().splitlines()[-1])["n"] == 42


@pytest.mark.parametrize(
    ("value", "message"),
    [("f1:nope", "no label 'nope'"), ("accuracy", "macro_f1, weighted_f1 or f1:<label>")],
)
def test_an_unknown_objective_fails_clearly_and_writes_nothing(
    tmp_path: Path, value: str, message: str
) -> None:
    done = danvan_here(
        "train",
        "--input",
        str(FIXTURE),
        "--label-column",
        "topic",
        "--out",
        str(tmp_path / "model"),
        "--optimize",
        value,
    )
    assert done.returncode != 0
    assert message in done.stderr
    assert not (tmp_path / "model").exists()
