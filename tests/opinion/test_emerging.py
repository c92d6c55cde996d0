"""Emerging issues on a replayed stream: quiet background, then a burst in one commune."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.opinion import emerging, spikes
from danvan.opinion.emerging import Item, cluster, label_of, mark_near_duplicates, tokens
from danvan.opinion.models import EmergingIssue, EmergingIssueMessage, IssueStatus, OpinionAlert
from danvan.opinion.rollups import run_rollups

A, B, C = 2302, 2269, 2305
START = datetime(2026, 10, 26, 0, 0, tzinfo=UTC)
BACKGROUND = {
    "roads": [
        "Đường vào thôn {v} có nhiều ổ gà, đi lại khó khăn",
        "Cau qua suoi thon {v} xuong cap, de nghi sua",
        "Xin hỏi bao giờ làm đường bê tông thôn {v}?",
    ],
    "utilities": [
        "Điện thôn {v} chập chờn buổi tối",
        "Nuoc sinh hoat thon {v} bi duc may hom nay",
        "Sóng điện thoại ở thôn {v} rất yếu",
    ],
    "admin": [
        "Cho em hỏi làm căn cước cho con cần giấy tờ gì ạ",
        "Thu tuc dang ky ket hon can mang gi a",
        "Xin hỏi giờ làm việc của bộ phận một cửa",
    ],
    "welfare": [
        "Bao giờ có danh sách hộ nghèo năm nay ạ",
        "Gia đình tôi thuộc diện chính sách, xin hỏi chế độ trợ cấp",
        "Hỏi về hỗ trợ người cao tuổi ở thôn {v}",
    ],
}
VILLAGES = ["Nặm Đường", "Bản Pài", "Khuổi Phìn", "Nà Héc", "Pắc Cáp"]
BURST = [
    "Sạt lở đất tại đường liên thôn Nặm Đường, xe không qua được",
    "Đường liên thôn Nặm Đường sạt lở nặng sau mưa, đề nghị xã xử lý gấp",
    "sat lo duong lien thon Nam Duong, dat da tran xuong mat duong",
    "Sạt lở đất tại đường liên thôn Nặm Đường, xe không qua được!!",
    "Đoạn đường liên thôn Nặm Đường bị sạt lở, học sinh không đến trường được",
    "Sạt lở đường liên thôn Nặm Đường vẫn chưa được dọn",
    "Bà con thôn Nặm Đường bị cô lập vì sạt lở đường liên thôn",
    "Đường liên thôn Nặm Đường sạt lở thêm một đoạn nữa",
]


def _cycle(database: Database, settings: Settings, now: datetime) -> None:
    run_rollups(database, settings, now)
    emerging.run_emerging(database, settings, now)


def test_a_burst_in_one_commune_is_an_alert_at_once_and_the_background_is_quiet(
    database: Database, settings: Settings, write
) -> None:
    rng = random.Random(3)
    # Three weeks of background: each pair about once a day at a random hour.
    for day in range(21):
        for commune in (A, B, C):
            for topic, texts in BACKGROUND.items():
                if rng.random() < 0.8:
                    at = START + timedelta(days=day, hours=rng.uniform(0, 14))
                    text = rng.choice(texts).format(v=rng.choice(VILLAGES))
                    write(text, at=at, analysed_at=at, commune=commune, topic=topic)
        for half in (12, 24):
            _cycle(database, settings, START + timedelta(days=day, hours=half))
    with database.session() as session:
        assert session.scalars(select(OpinionAlert)).all() == []  # no false alarm

    # The burst: eight messages in two hours about one landslide in commune A.
    burst_start = START + timedelta(days=21, hours=1)
    detected_at = None
    for i, text in enumerate(BURST):
        at = burst_start + timedelta(minutes=15 * i)
        write(text, at=at, analysed_at=at, commune=A, topic="roads", urgent=True)
        now = at + timedelta(minutes=1)  # the job runs every minute
        _cycle(database, settings, now)
        with database.session() as session:
            if detected_at is None and session.scalars(select(OpinionAlert)).first():
                detected_at = now
    assert detected_at is not None
    # At the first run after the burst's fifth message (the minimum count), an hour in.
    assert detected_at == burst_start + timedelta(minutes=15 * (spikes.MIN_COUNT - 1) + 1)

    with database.session() as session:
        alerts = session.scalars(select(OpinionAlert)).all()
        assert [(a.commune_code, a.topic) for a in alerts] == [(A, "roads")]  # one per pair
        issue = session.get(EmergingIssue, alerts[0].issue_id)
        assert issue is not None
        assert issue.spiking
        assert "sạt lở" in issue.label
        assert "nặm đường" in issue.label.lower()
        assert issue.message_count >= 6
        assert issue.duplicate_count >= 1  # the message sent twice
        first_id = issue.id

    # Next day, two more messages: the same issue continues (stable identity).
    next_day = burst_start + timedelta(days=1)
    for i, text in enumerate(BURST[:2]):
        write(
            text + " hôm nay",
            at=next_day + timedelta(minutes=i),
            analysed_at=next_day + timedelta(minutes=i),
            commune=A,
            topic="roads",
        )
    _cycle(database, settings, next_day + timedelta(minutes=5))
    with database.session() as session:
        active = session.scalars(
            select(EmergingIssue).where(
                EmergingIssue.commune_code == A,
                EmergingIssue.topic == "roads",
                EmergingIssue.status == IssueStatus.ACTIVE,
                EmergingIssue.label.contains("sạt lở"),
            )
        ).all()
        assert [i.id for i in active] == [first_id]
        linked = session.scalar(
            select(EmergingIssueMessage.issue_id).where(EmergingIssueMessage.issue_id == first_id)
        )
        assert linked == first_id
        assert len(session.scalars(select(OpinionAlert)).all()) == 1  # no repeat within a day

    # Four quiet days later the issue fades.
    _cycle(database, settings, next_day + timedelta(days=4))
    write(
        "Hỏi thủ tục",
        at=next_day + timedelta(days=4),
        analysed_at=next_day + timedelta(days=4),
        commune=B,
        topic="admin",
    )
    _cycle(database, settings, next_day + timedelta(days=4, minutes=1))
    with database.session() as session:
        assert session.get(EmergingIssue, first_id).status == IssueStatus.FADED


def test_spike_detection_compares_a_pair_with_its_own_baseline() -> None:
    cases = [
        # (observed per window, baseline over 28 days, spike?)
        ({3: 5, 24: 5}, 0, True),  # a quiet pair suddenly gets five
        ({3: 4, 24: 4}, 0, False),  # below the minimum count
        ({3: 5, 24: 30}, 840, False),  # a busy pair's ordinary day (30/day)
        ({3: 12, 24: 120}, 840, True),  # four times a busy pair's day
        ({3: 2, 24: 9}, 28, True),  # a slower build-up over a day
    ]
    for observed, baseline, expected in cases:
        assert (spikes.detect(observed=observed, baseline_count=baseline) is not None) is expected


def test_near_copies_are_grouped_and_clusters_get_readable_labels() -> None:
    at = START
    texts = [
        "Rác thải ở chợ Minh Quang bốc mùi, đề nghị thu gom",
        "Rác thải ở chợ Minh Quang bốc mùi, đề nghị thu gom!!!",
        "rac thai o cho Minh Quang boc mui qua",
        "Chợ Minh Quang rác thải không ai thu gom",
        "Xin hỏi lịch tiêm phòng cho trẻ",
    ]
    items = [Item(i + 1, t, at + timedelta(minutes=i), tokens(t)) for i, t in enumerate(texts)]
    assert mark_near_duplicates(items) == 1
    assert items[1].duplicate_of == 1
    groups = cluster(items)
    biggest = max(groups, key=lambda g: len(g.items))
    assert {i.message_id for i in biggest.items} == {1, 2, 3, 4}
    label, keys = label_of(biggest)
    assert ("rác thải" in label and "chợ" in keys) or "cho" in keys
