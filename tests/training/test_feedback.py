"""The end-of-course survey: ratings and free text, summarised in aggregate."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.training.feedback_terms import run_feedback_terms
from training.training_helpers import API, PEOPLE, bearer, create_course, upload, xlsx

if TYPE_CHECKING:
    from tests.conftest import Personas

TEXTS = [
    "Giảng viên nói dễ hiểu, tài liệu hay. Gọi tôi 0912345678",
    "Cần thêm tài liệu về chuyển đổi số",
    "Phòng học nóng, tài liệu ít",
]


def test_feedback_is_summarised_without_authors(
    client: TestClient, database: Database, personas: Personas
) -> None:
    course = create_course(client, personas.admin.headers)
    keys = [
        t["key"]
        for t in upload(client, course["id"], xlsx(PEOPLE), personas.admin.headers).json()[
            "trainees"
        ]
    ]
    for n, (key, text) in enumerate(zip(keys, TEXTS, strict=True)):
        sent = client.post(
            f"{API}/courses/{course['id']}/feedback",
            json={"ratings": {"content": 5 - n, "trainers": 4}, "text": text},
            headers=bearer(key),
        )
        assert sent.status_code == 201, sent.text
    again = client.post(
        f"{API}/courses/{course['id']}/feedback",
        json={"ratings": {"content": 2}},
        headers=bearer(keys[0]),
    )
    assert again.status_code == 201  # replaces the first answer
    # The words are the worker's (web processes never load the NLP stack): waiting until then.
    early = client.get(f"{API}/courses/{course['id']}/feedback", headers=personas.admin.headers)
    assert early.json()["terms"] == []
    assert early.json()["waiting"] == 2
    assert run_feedback_terms(database, Settings(), utcnow()) == 3
    summary = client.get(
        f"{API}/courses/{course['id']}/feedback", headers=personas.admin.headers
    ).json()
    assert summary["waiting"] == 0
    assert summary["responses"] == 3
    assert summary["averages"]["content"] == pytest.approx((2 + 4 + 3) / 3, abs=0.01)
    assert summary["averages"]["trainers"] == 4.0
    assert summary["averages"]["organisation"] is None
    terms = {t["term"]: t["count"] for t in summary["terms"]}
    assert terms["tài liệu"] == 2
    assert not any("0912" in t for t in terms)
    assert "Hoàng" not in str(summary)


@pytest.mark.parametrize(
    "body",
    [
        {"ratings": {"content": 6}},
        {"ratings": {"mood": 3}},
        {"ratings": {}, "text": "  "},
        {"text": "x" * 4001},
    ],
)
def test_bad_feedback_is_refused(
    client: TestClient, database: Database, personas: Personas, body: dict[str, object]
) -> None:
    course = create_course(client, personas.admin.headers)
    key = upload(client, course["id"], xlsx(PEOPLE), personas.admin.headers).json()["trainees"][0][
        "key"
    ]
    response = client.post(f"{API}/courses/{course['id']}/feedback", json=body, headers=bearer(key))
    assert response.status_code == 422
