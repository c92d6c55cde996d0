"""When the set in use changes (retrain, rollback), history is relabelled in the background, a
batch at a time, with progress on the dashboard; labels a person gave are kept."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from typing import Any

import pytest
from analysis_helpers import citizen_writes
from sqlalchemy import select

from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.nlp.classifiers import ModelSet
from danvan.opinion import labels as analysis
from danvan.opinion import model_use, progress
from danvan.opinion.labels import Correction
from danvan.opinion.models import ClassifierVersion, MessageAnalysis
from danvan.opinion.retrain import rollback
from danvan.testing.staff import Staff

OTHER = "dep-20261201000000-test"


def _other_set_active(database: Database, settings: Settings, default_set: ModelSet) -> None:
    """A deployment set in use (here a copy of the default one under its own name)."""
    base = model_use.models_dir(settings)
    shutil.copytree(base / default_set.version, base / OTHER)
    meta = json.loads((base / OTHER / "set.json").read_text(encoding="utf-8"))
    (base / OTHER / "set.json").write_text(json.dumps({**meta, "version": OTHER}), "utf-8")
    with database.session() as session:
        session.add(ClassifierVersion(version=OTHER, status="active"))


def test_a_rollback_relabels_history_in_batches_with_progress_and_keeps_staff_labels(
    database: Database,
    own_models: Settings,
    default_set: ModelSet,
    personas: Any,
    signed_in: Callable[[Any], Staff],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _other_set_active(database, own_models, default_set)
    ids = citizen_writes(
        database, [f"Đường thôn {n} bị sạt lở, xe không qua được" for n in range(25)]
    )
    while analysis.run_pending(database, own_models, utcnow()):
        pass
    with database.session() as session:
        found, _ = analysis.access_analysis(
            session, actor=personas.officer_a.actor, message_id=ids[0], write=True
        )
        analysis.do_correct(
            session,
            actor=personas.officer_a.actor,
            analysis=found,
            correction=Correction("admin", "neutral", "question", False, False),
        )
        versions = set(session.scalars(select(MessageAnalysis.model_version)))
    assert versions == {OTHER}
    assert analysis.run_relabel(database, own_models, utcnow()) == 0  # nothing asked yet

    rollback(database, own_models)  # back to the default set: history follows
    with database.session() as session:
        state = progress.read(session)
        assert state is not None
        assert (state.state, state.version) == (progress.RELABELLING, default_set.version)
    monkeypatch.setattr(analysis, "RELABEL_BATCH", 10)
    assert analysis.run_relabel(database, own_models, utcnow()) == 10
    with database.session() as session:
        state = progress.read(session)
        assert state is not None
        assert state.state == progress.RELABELLING
        assert state.done == 10
        assert state.total == 25  # 26 labelled messages, one labelled by a person
    html = signed_in(personas.admin).client.get("/dashboard").text
    assert "Đang gán nhãn lại tin nhắn cũ bằng mô hình mới: 10/25 tin." in html

    while analysis.run_relabel(database, own_models, utcnow()):
        pass
    with database.session() as session:
        state = progress.read(session)
        assert state is not None
        assert (state.state, state.done, state.total) == (progress.IDLE, 25, 25)
        rows = {a.message_id: a for a in session.scalars(select(MessageAnalysis))}
    assert {a.model_version for i, a in rows.items() if i != ids[0]} == {default_set.version}
    kept = rows[ids[0]]
    assert (kept.topic, kept.model_version) == ("admin", OTHER)  # a person's labels stay
    assert "Đang gán nhãn lại" not in signed_in(personas.admin).client.get("/dashboard").text


def test_a_backlog_of_new_messages_shows_its_labelling_progress(
    database: Database, own_models: Settings, default_set: ModelSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analysis, "BACKLOG_BATCHES", 1)
    citizen_writes(database, [f"Xin hỏi lịch tiêm phòng đợt {n}" for n in range(29)])  # +1: commune
    own_models.analysis_batch_size = 10
    assert analysis.run_pending(database, own_models, utcnow()) == 10
    with database.session() as session:
        state = progress.read(session)
        assert state is not None
        assert (state.state, state.done, state.total) == (progress.LABELLING, 10, 30)
    while analysis.run_pending(database, own_models, utcnow()):
        pass
    with database.session() as session:
        state = progress.read(session)
        assert state is not None
        assert (state.state, state.done, state.total) == (progress.IDLE, 30, 30)
