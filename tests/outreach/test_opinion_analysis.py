"""Opinions of a consultation in aggregate: stance from cue phrases (negation-aware, with and
without diacritics), themes, sentiment from the product classifiers, and the main arguments of
each side as quotes without identity, in the staff results, the API, the public page and the
minutes."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document
from fastapi.testclient import TestClient

from danvan.inbox.models import Contact
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.taxonomy import DEFAULT_TOPICS
from danvan.nlp import classifiers
from danvan.nlp.classifiers import ModelSet
from danvan.outreach import consultations, minutes, summaries
from danvan.outreach import opinions as consultation_analysis
from danvan.outreach.models import Consultation
from danvan.testing.models import TEST_MODELS_DIR

from .conftest import COMMUNE_A, COMMUNE_B

pytestmark = pytest.mark.default_set  # the product classifiers label the opinions

PHONE = "0912 345 678"
AUTHOR = "Trần Thị Mai"

# (text, the author's display name): real-looking opinions on building a cultural house.
OPINIONS = [
    ("Tôi hoàn toàn đồng ý xây nhà văn hoá gần trường học, các cháu có chỗ sinh hoạt.", ""),
    ("Đồng ý với phương án gần trường học vì thuận tiện cho học sinh và phụ huynh.", ""),
    ("Nhất trí xây nhà văn hoá gần trường học. Có sân chơi cho trẻ em là rất cần.", ""),
    ("toi dong y, nha van hoa gan truong hoc la hop ly nhat cho thon.", ""),
    ("Ủng hộ xây nhà văn hoá gần trường học để tổ chức họp thôn và sinh hoạt hè.", ""),
    (
        f"Tôi tán thành, nhà văn hoá gần trường học rất tiện. Cần trao đổi thêm xin gọi "
        f"{PHONE}, tôi là {AUTHOR}.",
        AUTHOR,
    ),
    ("Tôi không đồng ý xây cạnh chợ vì ồn ào và tốn kém kinh phí của thôn.", ""),
    ("Phản đối phương án này, kinh phí quá tốn kém trong khi đường thôn còn hỏng.", ""),
    ("Không nên xây lúc này, tốn kém kinh phí, nên ưu tiên sửa đường thôn trước.", ""),
    ("khong dong y, ton kem kinh phi qua, dan con kho khan.", ""),
    ("Tôi không nhất trí vì tốn kém kinh phí, thôn chưa có nguồn vốn đối ứng.", ""),
    ("Cho hỏi bao giờ thì công bố bản vẽ thiết kế chi tiết của nhà văn hoá?", ""),
]


@pytest.fixture(scope="session")
def model_set() -> ModelSet:
    """The product classifiers (trained from the seed corpus the first time, then cached)."""
    return classifiers.default_set(TEST_MODELS_DIR, topic_codes=[t.code for t in DEFAULT_TOPICS])


def _opinion_consultation(database: Database, personas, settings: Settings, closed: bool) -> int:
    now = utcnow()
    with database.session() as session:
        item = consultations.do_create_consultation(
            session,
            actor=personas.admin.actor,
            settings=settings,
            title="Xây nhà văn hoá thôn",
            summary="Dự thảo phương án xây dựng nhà văn hoá thôn.",
            kind="opinion",
            options=[],
            commune_codes=[COMMUNE_A, COMMUNE_B],
            opens_at=now - timedelta(hours=2),
            closes_at=now + timedelta(days=1),
        )
        for n, (text, name) in enumerate(OPINIONS):
            contact = Contact(
                channel="zalo_oa",
                external_id=f"zid-opinion-{n}",
                display_name=name or f"Người dân {n}",
                phone=PHONE.replace(" ", "") if name else None,
                commune_code=COMMUNE_A,
            )
            session.add(contact)
            session.flush()
            consultations.do_answer(
                session,
                consultation=item,
                participant=f"zalo_oa:zid-opinion-{n}",
                commune_code=COMMUNE_A,
                channel="zalo_oa",
                opinion=text,
                contact_id=contact.id,
            )
        if closed:
            item.closes_at = utcnow() - timedelta(seconds=1)
        return item.id


def _has_identity(text: str) -> bool:
    digits = "".join(ch for ch in text if ch.isdigit())
    return "345678" in digits or "Mai" in text or "zid-opinion" in text


@pytest.mark.parametrize(
    ("text", "stance"),
    [
        ("Tôi hoàn toàn đồng ý", "for"),
        ("toi khong dong y", "against"),
        ("Không nhất trí với dự thảo", "against"),
        ("Tôi không phản đối", "for"),
        ("ko đồng ý đâu", "against"),
        ("Không nên làm lúc này", "against"),
        ("Đường thôn bị hỏng nặng", "other"),
    ],
)
def test_stance_comes_from_cue_phrases_with_negation(text: str, stance: str) -> None:
    assert consultation_analysis.stance_of(text, None) == stance


def test_opinions_are_grouped_for_and_against_with_masked_quotes(
    database: Database, personas, settings: Settings, model_set: ModelSet
) -> None:
    consultation_id = _opinion_consultation(database, personas, settings, closed=False)
    with database.session() as session:
        item = session.get(Consultation, consultation_id)
        summary = consultation_analysis.summarise(session, consultation=item, model_set=model_set)
    assert summary["opinions"] == 12
    assert summary["stance"] == {"for": 6, "against": 5, "other": 1}
    assert sum(summary["sentiment"].values()) == 12
    labels = " | ".join(t["label"] for t in summary["themes"])
    assert "trường học" in labels
    assert "tốn kém" in labels or "kinh phí" in labels
    assert len(summary["arguments"]["for"]) == 3
    assert len(summary["arguments"]["against"]) == 3
    assert any("tốn kém" in q for q in summary["arguments"]["against"])
    quotes = [q for side in summary["arguments"].values() for q in side]
    quotes += [t["quote"] for t in summary["themes"]]
    assert not any(_has_identity(q) for q in quotes), quotes
    assert not _has_identity(repr(summary))


def test_the_results_api_the_pages_and_the_minutes_show_opinions_without_identity(
    client: TestClient,
    database: Database,
    personas,
    settings: Settings,
    model_set: ModelSet,
    signed_in,
) -> None:
    consultation_id = _opinion_consultation(database, personas, settings, closed=True)
    # Pages ask for the summary; the worker computes it (web processes never load the NLP
    # stack), and until then they say so.
    asked = client.get(
        f"/api/v1/consultations/{consultation_id}/results", headers=personas.admin.headers
    )
    assert asked.json()["opinions"] == {"pending": True, "opinions": 12}
    assert "Đang tổng hợp" in client.get(f"/y-kien/{consultation_id}").text
    assert summaries.run_summaries(database, settings, utcnow()) == 1  # admin and public: one
    answer = client.get(
        f"/api/v1/consultations/{consultation_id}/results", headers=personas.admin.headers
    )
    assert answer.status_code == 200, answer.text
    opinions = answer.json()["opinions"]
    assert opinions["stance"] == {"for": 6, "against": 5, "other": 1}
    assert not _has_identity(answer.text)
    public = client.get(f"/y-kien/{consultation_id}")
    assert public.status_code == 200
    assert "Tổng hợp ý kiến" in public.text
    assert "dưới 5" in public.text  # "other": 1 is suppressed
    assert not _has_identity(public.text)
    staff_page = signed_in(personas.admin).get(f"/outreach/consultations/{consultation_id}")
    assert staff_page.status_code == 200
    assert "Lý do không tán thành" in staff_page.text
    assert not _has_identity(staff_page.text.replace(personas.admin.user.email, ""))
    with database.session() as session:
        item = session.get(Consultation, consultation_id)
        data = minutes.minutes_docx(
            session, actor=personas.admin.actor, consultation=item, settings=settings
        )
    text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    assert "Tổng hợp ý kiến" in text
    assert "Tán thành: 6; không tán thành: 5" in text
    assert not _has_identity(text)
