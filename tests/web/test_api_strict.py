"""The API takes input only as its schema declares it (issue 13): no boolean or fractional
number as an id, no number for a date (`start=0.5` was read as 1970), no undeclared field."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

COMMUNE_A = 2302  # Xã Minh Quang


@pytest.mark.parametrize(
    "changes",
    [
        {"commune_code": True},
        {"commune_code": float(COMMUNE_A)},
        {"commune_code": str(COMMUNE_A)},
        {"conversation_id": True},
        {"message_ids": [True]},
        {"title": 42},
        {"latitude": "22.8"},
        {"colour": "red"},
    ],
)
def test_a_case_is_refused_with_values_of_the_wrong_json_type(
    client: TestClient, personas: Any, changes: dict[str, Any]
) -> None:
    body = {"commune_code": COMMUNE_A, "category": "roads", "title": "Ổ gà", **changes}
    answer = client.post("/api/v1/cases", json=body, headers=personas.officer_a.headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "invalid_input"


def test_a_well_typed_case_is_taken(client: TestClient, personas: Any) -> None:
    body = {"commune_code": COMMUNE_A, "category": "roads", "title": "Ổ gà", "latitude": 22}
    answer = client.post("/api/v1/cases", json=body, headers=personas.officer_a.headers)
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/case-figures", "start"),
        ("/api/v1/case-figures", "end"),
        ("/api/v1/audit", "since"),
        ("/api/v1/conversations", "before"),
    ],
)
@pytest.mark.parametrize("value", ["0.5", "1700000000", "-1", "1e9"])
def test_a_number_is_no_date(
    client: TestClient, personas: Any, url: str, field: str, value: str
) -> None:
    answer = client.get(url, params={field: value}, headers=personas.admin.headers)
    assert answer.status_code == 422, answer.text
    assert "ISO 8601" in answer.json()["detail"]
    fine = client.get(
        url, params={field: "2026-12-01T00:00:00+07:00"}, headers=personas.admin.headers
    )
    assert fine.status_code == 200, fine.text


def test_dates_in_bodies_are_iso_text_only(client: TestClient, personas: Any) -> None:
    body = {"text": "Thông báo lịch tiêm chủng", "commune_codes": [COMMUNE_A], "send_at": 0.5}
    answer = client.post("/api/v1/broadcasts", json=body, headers=personas.officer_a.headers)
    assert answer.status_code == 422, answer.text
    assert "send_at" in answer.json()["detail"]
    body["send_at"] = "2026-12-11T08:00:00+07:00"
    answer = client.post("/api/v1/broadcasts", json=body, headers=personas.officer_a.headers)
    assert answer.status_code == 201, answer.text


def test_a_body_that_is_not_json_is_invalid_input_as_declared(
    client: TestClient, personas: Any
) -> None:
    answer = client.post(
        "/api/v1/cases",
        content=b"\x12+\xff9",
        headers={**personas.officer_a.headers, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_input"
