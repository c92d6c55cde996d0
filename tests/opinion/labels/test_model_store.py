"""Model sets live in the database: a set trained (or imported) by one process is used by every
other, on any machine, with nothing on its local disk; an activation reaches every process at
its next cycle; bytes not written by a process holding the deployment's key are refused."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from danvan.cli import app as cli_app
from danvan.kernel import settings as settings_module
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.nlp import classifiers
from danvan.nlp.classifiers import ClassifierError, ModelSet
from danvan.opinion import model_store, model_use
from danvan.opinion.models import ClassifierVersion, ModelSetArtifact

OTHER = "dep-20261201000000-store"
TEXTS = ["Đường thôn bị sạt lở, xe không qua được", "Xin hỏi lịch tiêm phòng cho trẻ"]


@pytest.fixture(scope="module")
def packed_other(default_set: ModelSet) -> model_store.Packed:
    """A deployment set (the default one's models under another version), packed once."""
    other = ModelSet(OTHER, default_set.models, default_set.heads, default_set.encoder_id)
    return model_store.pack(other, trained_on={"source": "test", "staff_rows": 3})


def _machine(settings: Settings, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Another process on another machine: nothing loaded yet, an empty models folder."""
    monkeypatch.setattr(model_store, "_LOADED", OrderedDict())
    return settings.model_copy(update={"analysis_models_dir": str(folder)})


def _activate(database: Database, settings: Settings, packed: model_store.Packed) -> None:
    with database.session() as session:
        model_store.add(session, settings, packed, source="retrain", metrics={"score_new": 0.9})
        session.add(ClassifierVersion(version=packed.version, status="active"))


def test_a_set_stored_by_one_machine_is_used_by_another_with_nothing_on_its_disk(
    database: Database,
    settings: Settings,
    default_set: ModelSet,
    packed_other: model_store.Packed,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _activate(database, settings, packed_other)
    machine_b = _machine(settings, tmp_path / "machine-b", monkeypatch)
    used = model_use.set_in_use(database, machine_b)
    assert used.version == OTHER
    assert used.classify(TEXTS) == default_set.classify(TEXTS)
    assert not (tmp_path / "machine-b").exists()  # read from the database alone
    with database.session() as session:
        row = session.get(ModelSetArtifact, OTHER)
        assert row is not None
        assert (row.source, row.size, row.sha256) == ("retrain", len(row.data), packed_other.sha256)
        assert row.trained_on["staff_rows"] == 3
        assert row.metrics == {"score_new": 0.9}
        assert 1_000 < row.size < 20_000_000  # compressed (the set's files are ~15 MB)


def test_an_activation_reaches_a_process_that_has_a_set_loaded_at_its_next_call(
    database: Database,
    own_models: Settings,
    default_set: ModelSet,
    packed_other: model_store.Packed,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert model_use.set_in_use(database, own_models).version == default_set.version
    _activate(database, own_models, packed_other)  # by another process, say
    assert model_use.set_in_use(database, own_models).version == OTHER
    with database.session() as session:
        session.execute(update(ClassifierVersion).values(status="retired"))
    assert model_use.set_in_use(database, own_models).version == default_set.version


def test_stored_bytes_that_do_not_match_their_digest_or_signature_are_refused(
    database: Database,
    settings: Settings,
    default_set: ModelSet,
    packed_other: model_store.Packed,
    own_models: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _activate(database, settings, packed_other)
    other_key = _machine(settings, tmp_path / "b", monkeypatch).model_copy(
        update={"secret_key": "another-deployment-key-0123"}
    )
    with pytest.raises(ClassifierError, match="signature"):
        model_store.load(database, other_key, OTHER)

    data = bytearray(packed_other.data)
    data[len(data) // 2] ^= 0xFF
    with database.session() as session:
        session.execute(
            update(ModelSetArtifact)
            .where(ModelSetArtifact.version == OTHER)
            .values(data=bytes(data))
        )
    monkeypatch.setattr(model_store, "_LOADED", OrderedDict())
    with pytest.raises(ClassifierError, match="digest"):
        model_store.load(database, settings, OTHER)
    # The worker does not use it: it labels with the default set and says why.
    said: list[str] = []
    used = model_use.set_in_use(database, own_models, log=said.append)
    assert used.version == default_set.version
    assert "unusable" in said[0]


def test_the_default_set_is_imported_once_and_no_other_machine_trains_it(
    database: Database,
    own_models: Settings,
    default_set: ModelSet,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Machine A has the set in its legacy folder: its first use stores it.
    monkeypatch.setattr(model_store, "_LOADED", OrderedDict())
    assert model_use.set_in_use(database, own_models).version == default_set.version
    with database.session() as session:
        row = session.get(ModelSetArtifact, default_set.version)
        assert row is not None
        assert row.source == "import"
        assert row.trained_on["rows_sha256"]

    def never(**_kwargs: object) -> None:
        raise AssertionError("machine B trained the default set")

    monkeypatch.setattr(classifiers, "train_default", never)
    machine_b = _machine(own_models, tmp_path / "machine-b", monkeypatch)
    assert model_use.default_ready(database, machine_b)
    used = model_use.set_in_use(database, machine_b)
    assert used.version == default_set.version
    assert used.classify(TEXTS) == default_set.classify(TEXTS)
    assert not (tmp_path / "machine-b").exists()


def test_danvan_model_import_copies_a_legacy_models_folder_once(
    database: Database, own_models: Settings, default_set: ModelSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings_module, "get_settings", lambda: own_models)
    folder = model_use.models_dir(own_models)
    (folder / "half-written").mkdir()  # no set.json: not a set, skipped
    runner = CliRunner()
    first = runner.invoke(cli_app, ["model", "import"])
    assert first.exit_code == 0, first.output
    assert f"Imported 1 model set(s) from {folder}; 0 already stored." in first.output
    again = runner.invoke(cli_app, ["model", "import", "--from", str(folder)])
    assert again.exit_code == 0, again.output
    assert "Imported 0 model set(s)" in again.output
    assert "1 already stored" in again.output
    with database.session() as session:
        assert list(session.scalars(select(ModelSetArtifact.version))) == [default_set.version]
