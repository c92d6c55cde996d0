"""`danvan model retrain` learns from staff labels and activates a new set only if it is not
worse on the staff labels held out of training; `danvan model rollback` goes back."""

from __future__ import annotations

from typing import Any

from analysis_helpers import citizen_writes
from sqlalchemy import select
from typer.testing import CliRunner

from danvan.cli import app as cli_app
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.nlp import classifiers
from danvan.nlp.classifiers import ModelSet
from danvan.nlp.params import Params
from danvan.opinion import labels as analysis
from danvan.opinion import model_use
from danvan.opinion import retrain as retraining
from danvan.opinion.labels import Correction
from danvan.opinion.models import ClassifierVersion, MessageAnalysis

FAST = Params(folds=2)
# A deployment's own kind of message the seed corpus never saw: the "Zalo pay" phrase here is
# always a question about admin procedures in this (fictional) commune.
NEW_WORDS = "thủ tục ví điện tử VNeID-Pay {n} bị treo ở bước xác thực, hướng dẫn em với"
NEW_LABELS = Correction("admin", "neutral", "question", False, False)


def _label_all(
    database: Database, settings: Settings, texts: list[str], actor: Any, correction: Correction
) -> list[int]:
    ids = citizen_writes(database, texts)
    while analysis.run_pending(database, settings, utcnow()):
        pass
    with database.session() as session:
        for message_id in ids:
            found, _ = analysis.access_analysis(
                session, actor=actor, message_id=message_id, write=True
            )
            analysis.do_correct(session, actor=actor, analysis=found, correction=correction)
    return ids


def _small_seed() -> list[classifiers.Row]:
    rows = classifiers.seed_rows("train.csv")
    return rows[:300]


def test_staff_labels_split_into_training_and_held_out_rows(
    database: Database, own_models: Settings, personas: Any
) -> None:
    ids = _label_all(
        database,
        own_models,
        [NEW_WORDS.format(n=i) for i in range(20)],
        personas.officer_a.actor,
        NEW_LABELS,
    )
    with database.session() as session:
        train, heldout = retraining.staff_rows(session)
    assert len(train) + len(heldout) == 20
    assert len(heldout) == sum(1 for i in ids if i % retraining.HELDOUT_MODULO == 0)
    assert {r.topic for r in train + heldout} == {"admin"}


def test_a_retrain_that_is_not_worse_is_activated_and_can_be_rolled_back(
    database: Database, own_models: Settings, personas: Any, default_set: ModelSet
) -> None:
    _label_all(
        database,
        own_models,
        [NEW_WORDS.format(n=i) for i in range(30)],
        personas.officer_a.actor,
        NEW_LABELS,
    )
    result = retraining.retrain(database, own_models, seed=_small_seed(), params=FAST)
    assert result.activated, result
    assert result.staff_rows + result.heldout_rows == 30
    assert result.heldout_rows >= retraining.MIN_HELDOUT
    assert result.score_new is not None
    assert result.score_current is not None
    assert result.score_new >= result.score_current
    assert result.current_version == default_set.version
    with database.session() as session:
        assert model_use.current_set(session, own_models).version == result.version
        row = session.scalars(select(ClassifierVersion)).one()
        assert (row.status, row.staff_rows) == ("active", result.staff_rows)
    # New messages now get the new set's labels.
    [fresh] = citizen_writes(database, [NEW_WORDS.format(n=99)])
    analysis.run_pending(database, own_models, utcnow())
    with database.session() as session:
        found = session.get(MessageAnalysis, fresh)
        assert found is not None
        assert found.model_version == result.version

    rolled = CliRunner().invoke(cli_app, ["model", "rollback"])
    assert rolled.exit_code == 0, rolled.output
    assert f"Deactivated {result.version}; now using {default_set.version}" in rolled.output
    with database.session() as session:
        assert model_use.current_set(session, own_models).version == default_set.version
    again = CliRunner().invoke(cli_app, ["model", "rollback"])
    assert again.exit_code == 2
    assert "mô hình mặc định" in again.output


def test_a_worse_retrain_is_not_activated(
    database: Database, own_models: Settings, personas: Any, default_set: ModelSet
) -> None:
    # A bad batch of labels: staff confirm the set's (right) labels on the held-out messages but
    # give a wrong topic and sentiment to the same texts elsewhere. The candidate learns the
    # wrong ones and does worse on the held-out labels than the set in use.
    texts = [f"mất điện cả ngày không báo trước lần {n}, tủ lạnh hỏng hết" for n in range(30)]
    ids = citizen_writes(database, texts)
    while analysis.run_pending(database, own_models, utcnow()):
        pass
    actor = personas.officer_a.actor
    with database.session() as session:
        for message_id in ids:
            found, _ = analysis.access_analysis(
                session, actor=actor, message_id=message_id, write=True
            )
            if message_id % retraining.HELDOUT_MODULO == 0:
                label = Correction(
                    found.topic, found.sentiment, found.kind, found.urgent, found.abusive
                )
            else:
                label = Correction("culture", "positive", "praise", False, False)
            analysis.do_correct(session, actor=actor, analysis=found, correction=label)
    result = retraining.retrain(database, own_models, seed=_small_seed(), params=FAST)
    assert not result.activated, result
    assert "worse" in result.reason
    assert result.score_new is not None
    assert result.score_current is not None
    assert result.score_new < result.score_current
    with database.session() as session:
        assert model_use.current_set(session, own_models).version == default_set.version
        row = session.scalars(select(ClassifierVersion)).one()
        assert row.status == "rejected"


def test_without_enough_held_out_labels_nothing_is_trained(
    database: Database, default_set: ModelSet
) -> None:
    result = CliRunner().invoke(cli_app, ["model", "retrain"])
    assert result.exit_code == 0, result.output
    assert "Not retrained: only 0 held-out staff labels" in result.output
    with database.session() as session:
        assert model_use.active_version(session) is None
        assert session.scalars(select(ClassifierVersion)).all() == []
