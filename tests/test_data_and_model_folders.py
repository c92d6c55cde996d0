"""Folders the newcomer meets: the research datasets come from one flag or setting (never a
fixed absolute path), and the suite keeps trained models out of the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from danvan.kernel.settings import Settings
from danvan.testing import data
from danvan.testing.models import TEST_MODELS_DIR

CHECKOUT = Path(__file__).resolve().parents[1]


def datasets(folder: Path) -> Path:
    (folder / "vsfc").mkdir(parents=True)
    (folder / "vsfc" / "train.csv").write_text("text,sentiment\nhay,positive\n", "utf-8")
    return folder


def test_the_flag_then_the_setting_then_next_to_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flag, setting = datasets(tmp_path / "flag"), datasets(tmp_path / "setting")
    monkeypatch.setenv("DANVAN_DATA_DIR", str(setting))
    assert data.data_dir(str(flag)) == flag.resolve()
    assert data.data_dir() == setting.resolve()
    monkeypatch.delenv("DANVAN_DATA_DIR")
    assert CHECKOUT.parent / "shared" / "data" == data.DEFAULT


def test_missing_datasets_name_the_flag_and_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DANVAN_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(data.DataMissing, match="--data DIR or set DANVAN_DATA_DIR"):
        data.data_dir()
    with pytest.raises(data.DataMissing, match=r"nowhere2 \(--data\)"):
        data.data_dir(tmp_path / "nowhere2")


@pytest.mark.parametrize("bench", ["nlp", "emerging"])
def test_the_benchmarks_say_where_to_point_them(tmp_path: Path, bench: str) -> None:
    env = {**os.environ, "DANVAN_DATA_DIR": str(tmp_path / "nowhere")}
    env["PYTHONPATH"] = os.pathsep.join([str(CHECKOUT), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, str(CHECKOUT / "bench" / f"{bench}.py")],
        cwd=tmp_path,  # outside the checkout
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "pass --data DIR or set DANVAN_DATA_DIR" in result.stderr


def test_the_suite_trains_models_outside_the_checkout(settings: Settings) -> None:
    for folder in (
        Path(settings.analysis_models_dir),
        Path(os.environ["DANVAN_ANALYSIS_MODELS_DIR"]),
    ):
        assert folder.resolve() == TEST_MODELS_DIR
        assert CHECKOUT not in folder.resolve().parents
