"""Messages are labelled by the worker, after the webhook answered, and re-labelled over
history by `danvan analyze` without touching staff corrections."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from analysis_helpers import citizen_writes, zalo_text
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from danvan.cli import app as cli_app
from danvan.inbox.models import Conversation, Message
from danvan.inbox.worker import run
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.nlp.classifiers import ModelSet
from danvan.opinion import labels as analysis
from danvan.opinion import model_store, model_use, urgency
from danvan.opinion.labels import Correction
from danvan.opinion.models import MessageAnalysis


def _analysis(database: Database, message_id: int) -> MessageAnalysis | None:
    with database.session() as session:
        return session.get(MessageAnalysis, message_id)


def test_a_webhook_message_is_labelled_by_the_worker_not_by_the_webhook(
    client: TestClient,
    database: Database,
    settings: Settings,
    default_set: ModelSet,
    personas: Any,
) -> None:
    now = utcnow()
    zalo_text(client, user_id="dan-1", text="Tôi ở xã Minh Quang", at=now, msg_id="m-1")
    zalo_text(
        client,
        user_id="dan-1",
        text="Khẩn cấp! Nước lũ đang dâng cao, cả xóm bị ngập, có người già chưa sơ tán được",
        at=now + timedelta(seconds=1),
        msg_id="m-2",
    )
    with database.session() as session:
        message = session.scalars(select(Message).where(Message.external_id == "m-2")).one()
        message_id, conversation_id = message.id, message.conversation_id
        assert session.scalar(select(func.count()).select_from(MessageAnalysis)) == 0

    run(database, settings, once=True)

    found = _analysis(database, message_id)
    assert found is not None
    assert found.urgent is True
    assert found.sentiment == "negative"
    assert found.topic == "agriculture"  # natural disasters
    assert found.commune_code == 2302
    assert found.channel == "zalo_oa"
    assert found.model_version == default_set.version
    with database.session() as session:
        assert analysis.pending(session, limit=10) == []
        # The citizen's first message (naming the commune) is labelled too, the rest is not.
        assert session.scalar(select(func.count()).select_from(MessageAnalysis)) == 2
        assert conversation_id in urgency.urgent_conversations(
            session, actor=personas.officer_a.actor, ids=[conversation_id]
        )


def test_the_job_labels_in_bounded_batches(
    database: Database, settings: Settings, default_set: ModelSet, monkeypatch: Any
) -> None:
    ids = citizen_writes(database, [f"đường thôn {i} hỏng quá" for i in range(5)])
    settings.analysis_batch_size = 2
    now = utcnow()
    monkeypatch.setattr(analysis, "BACKLOG_BATCHES", 1)
    done = [analysis.run_pending(database, settings, now) for _ in range(4)]
    assert done == [2, 2, 2, 0]  # 5 messages + the one naming the commune
    assert all(_analysis(database, i) is not None for i in ids)
    # While a backlog waits, one run works through a few batches, a transaction each.
    citizen_writes(database, [f"mất điện thôn {i}" for i in range(7)])  # + its commune: 8
    monkeypatch.setattr(analysis, "BACKLOG_BATCHES", 3)
    assert [analysis.run_pending(database, settings, now) for _ in range(3)] == [6, 2, 0]


def test_nothing_is_labelled_when_analysis_is_off(
    database: Database, settings: Settings, default_set: ModelSet
) -> None:
    citizen_writes(database, ["mất điện cả ngày rồi"])
    settings.analysis_enabled = False
    assert analysis.run_pending(database, settings, utcnow()) == 0


def test_staff_replies_and_media_without_text_are_not_labelled(
    database: Database, settings: Settings, default_set: ModelSet
) -> None:
    [message_id] = citizen_writes(database, ["cho hỏi lịch tiêm chủng"])
    with database.session() as session:
        citizen = session.get(Message, message_id)
        assert citizen is not None
        session.add(
            Message(
                conversation_id=citizen.conversation_id,
                channel="zalo_oa",
                direction="out",
                text="Thứ năm tuần này ạ",
                source="staff",
            )
        )
        session.add(
            Message(
                conversation_id=citizen.conversation_id,
                channel="zalo_oa",
                direction="in",
                kind="image",
                text="",
            )
        )
    assert analysis.run_pending(database, settings, utcnow()) == 2  # the two citizen texts
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(MessageAnalysis)) == 2


def test_a_conversation_leaving_triage_gives_its_commune_to_its_analyses(
    database: Database, settings: Settings, default_set: ModelSet
) -> None:
    [message_id] = citizen_writes(database, ["trạm y tế thiếu thuốc quá"], commune=None)
    analysis.run_pending(database, settings, utcnow())
    found = _analysis(database, message_id)
    assert found is not None
    assert found.commune_code is None
    with database.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        conversation = session.get(Conversation, message.conversation_id)
        assert conversation is not None
        conversation.commune_code = 2269
    assert analysis.run_pending(database, settings, utcnow()) == 1
    found = _analysis(database, message_id)
    assert found is not None
    assert found.commune_code == 2269


def test_analyze_since_relabels_history_but_keeps_staff_corrections(
    database: Database, settings: Settings, default_set: ModelSet, personas: Any
) -> None:
    first, second = citizen_writes(
        database, ["đường liên thôn nhiều ổ gà quá", "cho hỏi làm căn cước ở đâu"]
    )
    analysis.run_pending(database, settings, utcnow())
    with database.session() as session:
        stale = session.get(MessageAnalysis, first)
        assert stale is not None
        stale.topic, stale.model_version = "culture", "old-model"
        corrected, _ = analysis.access_analysis(
            session,
            actor=personas.officer_a.actor,
            message_id=second,
            write=True,
        )
        analysis.do_correct(
            session,
            actor=personas.officer_a.actor,
            analysis=corrected,
            correction=Correction("welfare", "neutral", "question", False, False),
        )

    result = CliRunner().invoke(
        cli_app, ["analyze", "--since", (utcnow() - timedelta(days=1)).date().isoformat()]
    )
    assert result.exit_code == 0, result.output
    assert "Labelled 2 message(s)" in result.output  # the commune message and `first`
    counts = [line for line in result.output.splitlines() if "labelled" in line.lower()]
    assert len(counts) == 1, result.output  # the count once, not a progress line repeating it

    relabelled = _analysis(database, first)
    kept = _analysis(database, second)
    assert relabelled is not None
    assert kept is not None
    assert (relabelled.topic, relabelled.model_version) == ("roads", default_set.version)
    assert kept.topic == "welfare"
    assert kept.corrected_by_id == personas.officer_a.user.id


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", ""])
def test_analyze_refuses_a_date_it_cannot_read(bad: str, database: Database) -> None:
    result = CliRunner().invoke(cli_app, ["analyze", "--since", bad])
    assert result.exit_code == 2


def test_messages_wait_while_the_default_set_is_trained_in_the_background(
    database: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh deployment: no set stored, none in the legacy folder, none loaded by this process.
    monkeypatch.setattr(model_store, "_LOADED", OrderedDict())
    settings.analysis_models_dir = str(tmp_path / "empty-models")
    [message_id] = citizen_writes(database, ["mất điện cả ngày rồi"])
    release = threading.Event()
    training = threading.Thread(target=release.wait, daemon=True)  # stands for a training
    training.start()
    key = str((tmp_path / "empty-models").resolve())
    model_use._TRAINING[key] = training
    try:
        assert analysis.run_pending(database, settings, utcnow()) == 0
        assert model_use._TRAINING[key] is training  # no second training started
        assert _analysis(database, message_id) is None
    finally:
        release.set()
        training.join()
        model_use._TRAINING.pop(key, None)
