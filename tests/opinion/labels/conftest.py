"""Fixtures of the analysis tests.

The default classifier set is trained once from the seed corpus into the suite's models folder
(danvan/testing/models.py: in the temporary directory, never the checkout; keyed by corpus and
engine version, so it is trained again only when either changes)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from danvan.kernel.settings import Settings
from danvan.kernel.taxonomy import DEFAULT_TOPICS
from danvan.nlp import classifiers
from danvan.nlp.classifiers import ModelSet
from danvan.testing.models import TEST_MODELS_DIR

DEFAULT_MODELS_DIR = TEST_MODELS_DIR


@pytest.fixture(scope="session")
def default_set() -> ModelSet:
    return classifiers.default_set(DEFAULT_MODELS_DIR, topic_codes=[t.code for t in DEFAULT_TOPICS])


@pytest.fixture
def own_models(settings: Settings, default_set: ModelSet, tmp_path: Path) -> Settings:
    """Settings with a models directory of the test's own, holding a copy of the default set
    (retrain and rollback write there)."""
    target = tmp_path / "models"
    target.mkdir()
    shutil.copytree(DEFAULT_MODELS_DIR / default_set.version, target / default_set.version)
    settings.analysis_models_dir = str(target)
    return settings
