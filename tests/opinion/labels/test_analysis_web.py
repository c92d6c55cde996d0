"""Staff see the labels of a conversation's messages and correct them (scoped, audited);
the "help the model" queue; urgency badges in the inbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from analysis_helpers import citizen_writes
from sqlalchemy import select

from danvan.accounts.models import AuditEntry
from danvan.inbox.models import Message
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.nlp.classifiers import ModelSet
from danvan.opinion import labels as analysis
from danvan.opinion.models import MessageAnalysis
from danvan.testing.staff import Staff

ROAD = "đường liên thôn nhiều ổ gà quá, xe máy ngã suốt"
FLOOD = "Cứu với, lũ quét cuốn trôi nhà ở bản, có người mất tích"
ABUSE = "bọn cán bộ ăn hại, đm, hồ sơ nộp nửa năm chưa xong"


def _labelled(
    database: Database, settings: Settings, texts: list[str], commune: int | None = 2302
) -> list[int]:
    ids = citizen_writes(database, texts, commune=commune)
    while analysis.run_pending(database, settings, utcnow()):
        pass
    return ids


def _conversation_of(database: Database, message_id: int) -> int:
    with database.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message.conversation_id


def test_the_conversation_page_loads_the_labels_panel(
    database: Database,
    settings: Settings,
    default_set: ModelSet,
    personas: Any,
    staff_client: Callable[[Any], Staff],
) -> None:
    [road] = _labelled(database, settings, [ROAD])
    conversation_id = _conversation_of(database, road)
    officer = staff_client(personas.officer_a)
    page = officer.get(f"/conversations/{conversation_id}")
    assert f'hx-get="/conversations/{conversation_id}/analysis"' in page.text
    panel = officer.get(f"/conversations/{conversation_id}/analysis")
    assert panel.status_code == 200
    assert "Giao thông, đường sá, xây dựng" in panel.text  # the topic's Vietnamese name
    assert "Tiêu cực" in panel.text
    assert f'action="/analysis/messages/{road}"' in panel.text  # officers may correct


def test_abusive_text_is_behind_a_click_and_citizen_text_is_escaped(
    database: Database,
    settings: Settings,
    default_set: ModelSet,
    personas: Any,
    staff_client: Callable[[Any], Staff],
) -> None:
    [abuse, _html] = _labelled(database, settings, [ABUSE, "<script>alert(1)</script> đường hỏng"])
    panel = (
        staff_client(personas.officer_a)
        .get(f"/conversations/{_conversation_of(database, abuse)}/analysis")
        .text
    )
    assert '<details class="analysis-hidden"><summary>' in panel
    assert "<script>alert(1)" not in panel
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in panel


def test_an_officer_corrects_labels_and_the_correction_is_audited(
    database: Database,
    settings: Settings,
    default_set: ModelSet,
    personas: Any,
    staff_client: Callable[[Any], Staff],
) -> None:
    [road] = _labelled(database, settings, [ROAD])
    officer = staff_client(personas.officer_a)
    response = officer.post(
        f"/analysis/messages/{road}",
        {"topic": "welfare", "sentiment": "neutral", "kind": "question", "urgent": "yes"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert f'id="analysis-{road}"' in response.text
    assert "Cán bộ đã sửa" in response.text
    with database.session() as session:
        found = session.get(MessageAnalysis, road)
        assert found is not None
        assert (found.topic, found.sentiment, found.kind, found.urgent, found.abusive) == (
            "welfare",
            "neutral",
            "question",
            True,
            False,
        )
        assert found.corrected_by_id == personas.officer_a.user.id
        assert found.corrected_at is not None
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "analysis_correct")
        ).one()
        assert entry.actor_id == personas.officer_a.user.id
        assert entry.object_id == str(road)
        assert entry.detail["before"]["topic"] == "roads"
        assert entry.detail["after"]["topic"] == "welfare"
        assert ROAD not in str(entry.detail)  # labels, never the citizen's words


def test_corrections_out_of_scope_or_read_only_are_refused(
    database: Database,
    settings: Settings,
    default_set: ModelSet,
    personas: Any,
    staff_client: Callable[[Any], Staff],
) -> None:
    [road] = _labelled(database, settings, [ROAD])
    conversation_id = _conversation_of(database, road)
    labels = {"topic": "welfare", "sentiment": "neutral", "kind": "question"}
    other_commune = staff_client(personas.officer_b)
    assert other_commune.get(f"/conversations/{conversation_id}/analysis").status_code == 404
    assert other_commune.post(f"/analysis/messages/{road}", labels).status_code == 404
    viewer = staff_client(personas.viewer_a)
    panel = viewer.get(f"/conversations/{conversation_id}/analysis")
    assert panel.status_code == 200
    assert 'action="/analysis/messages/' not in panel.text
    assert viewer.post(f"/analysis/messages/{road}", labels).status_code == 403
    officer = staff_client(personas.officer_a)
    assert (
        officer.post(f"/analysis/messages/{road}", {**labels, "topic": "nope"}).status_code == 422
    )
    no_csrf = officer.client.post(f"/analysis/messages/{road}", data=labels)
    assert no_csrf.status_code == 403
    with database.session() as session:
        found = session.get(MessageAnalysis, road)
        assert found is not None
        assert found.topic == "roads"
        assert found.corrected_by_id is None


def test_the_queue_lists_the_least_certain_messages_of_the_users_communes(
    database: Database,
    settings: Settings,
    default_set: ModelSet,
    personas: Any,
    staff_client: Callable[[Any], Staff],
) -> None:
    mine = _labelled(database, settings, ["ok", ROAD, "cho hỏi chút"], commune=2302)
    theirs = _labelled(database, settings, ["alo alo thôn Khuổi Ha"], commune=2269)
    with database.session() as session:
        rows = analysis.uncertain_queue(session, actor=personas.officer_a.actor)
        listed = [m.id for _, m, _ in rows]
        confidences = [a.confidence for a, _, _ in rows]
    assert set(mine) <= set(listed)
    assert not set(theirs) & set(listed)
    assert confidences == sorted(confidences)
    page = staff_client(personas.officer_a).get("/analysis/queue")
    assert page.status_code == 200
    assert "cho hỏi chút" in page.text
    assert "alo alo thôn Khuổi Ha" not in page.text
    # Corrected messages leave the queue.
    staff_client(personas.officer_a).post(
        f"/analysis/messages/{mine[2]}",
        {"topic": "other", "sentiment": "neutral", "kind": "question", "back": "queue"},
    )
    with database.session() as session:
        assert mine[2] not in [
            m.id for _, m, _ in analysis.uncertain_queue(session, actor=personas.officer_a.actor)
        ]


def test_the_inbox_shows_urgency_until_staff_reply(
    database: Database,
    settings: Settings,
    default_set: ModelSet,
    personas: Any,
    staff_client: Callable[[Any], Staff],
) -> None:
    [flood] = _labelled(database, settings, [FLOOD])
    [road] = _labelled(database, settings, [ROAD])
    urgent_id, calm_id = _conversation_of(database, flood), _conversation_of(database, road)
    officer = staff_client(personas.officer_a)
    inbox = officer.get("/inbox").text
    assert f'id="urgent-{urgent_id}"' in inbox
    assert "/analysis/inbox-badges?ids=" in inbox
    badges = officer.get(f"/analysis/inbox-badges?ids={urgent_id},{calm_id}").text
    assert f'<span id="urgent-{urgent_id}" hx-swap-oob="true" class="badge' in badges
    assert f'<span id="urgent-{calm_id}" hx-swap-oob="true"></span>' in badges
    # Out of scope: nothing is told.
    other = staff_client(personas.officer_b).get(f"/analysis/inbox-badges?ids={urgent_id}").text
    assert "badge" not in other
    assert officer.get("/analysis/inbox-badges?ids=1,x").status_code == 422
    # A staff reply answers the urgent message.
    with database.session() as session:
        session.add(
            Message(
                conversation_id=urgent_id,
                channel="zalo_oa",
                direction="out",
                text="Xã đã báo lực lượng cứu hộ",
                source="staff",
            )
        )
    badges = officer.get(f"/analysis/inbox-badges?ids={urgent_id}").text
    assert "analysis-urgent" not in badges
