"""The weekly review sample (issue 12, item 6): a staff member confirms or corrects the labels
of a short, stratified sample of recent messages of their communes; what a person labelled is
kept, counted as confirmed, and trained on (weighted) by the next retrain. The sample shows
masked text and the commune, never who wrote it. A flag (abusive) hides no message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from analysis_helpers import citizen_writes
from sqlalchemy import select

from danvan.accounts.models import AuditEntry
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.nlp import classifiers
from danvan.nlp.classifiers import ModelSet
from danvan.nlp.params import Params
from danvan.opinion import labels as analysis
from danvan.opinion import model_store, review
from danvan.opinion import retrain as retraining
from danvan.opinion.models import MessageAnalysis
from danvan.testing.staff import Staff

TEXTS = [
    "Đường liên thôn {n} bị sạt lở, xe không đi được",
    "Xin hỏi thủ tục cấp sổ đỏ cho thửa đất số {n}",
    "Trạm y tế xã {n} hết thuốc hạ sốt cho trẻ",
    "Điện mất từ sáng thôn {n}, gọi số 0912345678 không ai nghe",
    "Cảm ơn cán bộ xã đã hỗ trợ giấy tờ nhanh lần {n}",
]
ABUSE = "Bọn cán bộ ăn hại, đồ chó"


def _labelled(database: Database, settings: Settings, texts: list[str]) -> list[int]:
    ids = citizen_writes(database, texts)
    while analysis.run_pending(database, settings, utcnow()):
        pass
    return ids


def _badge(n: int) -> str:
    """The menu's review badge as the web kit writes it."""
    sr = '<span class="sr-only">'
    return f'title="{n} tin cần kiểm tra tuần này">{sr}(</span>{n}{sr})</span></span>'


def test_the_sample_is_short_stratified_least_sure_first_and_shows_no_identity(
    database: Database,
    own_models: Settings,
    default_set: ModelSet,
    personas: Any,
    staff_client: Callable[[Any], Staff],
) -> None:
    _labelled(database, own_models, [t.format(n=n) for n in range(6) for t in TEXTS])
    with database.session() as session:
        sample = review.weekly_sample(
            session, actor=personas.officer_a.actor, tz_name=own_models.timezone
        )
        rows = {a.message_id: a for a in session.scalars(select(MessageAnalysis))}
    assert len(sample.items) == review.SAMPLE_SIZE
    assert {i.message_id for i in sample.items} <= set(rows)  # (with "xã Minh Quang" messages)
    topics = [i.analysis.topic for i in sample.items]
    # Every predicted topic is in the sample; each topic's least sure message comes first.
    assert set(topics) == {a.topic for a in rows.values()}
    for topic in set(topics):
        mine = [i.analysis.confidence for i in sample.items if i.analysis.topic == topic]
        assert mine == sorted(mine)
        assert mine[0] == min(a.confidence for a in rows.values() if a.topic == topic)
    page = staff_client(personas.officer_a).get("/analysis/review")
    assert page.status_code == 200
    assert "Đã kiểm tra 0/20 tin tuần này" in page.text
    # the menu's badge
    assert _badge(20) in page.text
    assert "0912345678" not in page.text  # personal data masked
    assert "Nguyễn Thị Dân" not in page.text  # never who wrote it
    assert "Xã Minh Quang" in page.text
    # Another commune's officer gets none of these messages.
    other = staff_client(personas.officer_b).get("/analysis/review").text
    assert not any(f"/analysis/review/{i}/confirm" in other for i in rows)


def test_confirm_and_correct_store_a_persons_labels_used_by_the_next_training(
    database: Database,
    own_models: Settings,
    default_set: ModelSet,
    personas: Any,
    staff_client: Callable[[Any], Staff],
) -> None:
    ids = _labelled(database, own_models, [t.format(n=n) for n in range(2) for t in TEXTS])
    officer = staff_client(personas.officer_a)
    with database.session() as session:
        before = session.get(MessageAnalysis, ids[0])
        assert before is not None
        model_labels = analysis.labels_of(before)
    confirmed = officer.post(f"/analysis/review/{ids[0]}/confirm", {"csrf_token": officer.csrf})
    assert confirmed.status_code == 303
    corrected = officer.post(
        f"/analysis/messages/{ids[1]}",
        {
            "csrf_token": officer.csrf,
            "topic": "admin",
            "sentiment": "neutral",
            "kind": "question",
            "back": "review",
        },
    )
    assert corrected.status_code == 303
    assert corrected.headers["location"] == "/analysis/review"
    with database.session() as session:
        first = session.get(MessageAnalysis, ids[0])
        second = session.get(MessageAnalysis, ids[1])
        assert first is not None
        assert second is not None
        assert first.corrected_at is not None
        assert first.corrected_by_id == personas.officer_a.user.id
        assert analysis.labels_of(first) == model_labels  # confirmed: kept as they were
        assert (second.topic, second.kind) == ("admin", "question")
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "analysis_confirm")
        ).one()
        assert audit.object_id == str(ids[0])
        assert "text" not in str(audit.detail)
    page = officer.get("/analysis/review").text
    assert "Đã kiểm tra 2/20 tin tuần này" in page
    # 11 labelled, 2 checked
    assert _badge(9) in page
    # Outside their communes: not found; read-only staff cannot confirm.
    other = staff_client(personas.officer_b)
    refused = other.post(f"/analysis/review/{ids[2]}/confirm", {"csrf_token": other.csrf})
    assert refused.status_code == 404
    viewer = staff_client(personas.viewer_a)
    refused = viewer.post(f"/analysis/review/{ids[2]}/confirm", {"csrf_token": viewer.csrf})
    assert refused.status_code == 403
    # Re-analysis keeps a person's labels.
    analysis.reanalyse(database, own_models, since=utcnow() - timedelta(days=1))
    with database.session() as session:
        again = session.get(MessageAnalysis, ids[1])
        assert again is not None
        assert again.topic == "admin"

    # The next training includes them, each counted STAFF_WEIGHT times.
    with database.session() as session:
        train, heldout = retraining.staff_rows(session)
    assert len(train) + len(heldout) == 2
    seed = classifiers.seed_rows("train.csv")[:300]
    result = retraining.retrain(database, own_models, seed=seed, params=Params(folds=2), force=True)
    assert result.activated
    assert result.staff_rows == len(train)
    trained = model_store.load(database, own_models, result.version)
    assert trained is not None
    rows = trained.models["topic"].metadata["training_rows"]
    assert rows == len(seed) + retraining.STAFF_WEIGHT * len(train)


def test_a_flag_hides_no_message(
    database: Database,
    own_models: Settings,
    default_set: ModelSet,
    personas: Any,
    staff_client: Callable[[Any], Staff],
) -> None:
    [abuse] = _labelled(database, own_models, [ABUSE])
    with database.session() as session:
        found = session.get(MessageAnalysis, abuse)
        assert found is not None
        assert found.abusive
    officer = staff_client(personas.officer_a)
    assert ABUSE in officer.get("/inbox").text  # listed with the citizen's words
    sample = officer.get("/analysis/review").text
    assert f"/analysis/review/{abuse}/confirm" in sample  # in the sample, with its mark
    assert "Lời lẽ xúc phạm" in sample
    drill = officer.get("/dashboard/messages?days=7").text
    assert "ăn hại" in drill
