"""No public surface shows what a citizen or a partner wrote (issue 13): a case made through
Open311 is read back, without a key, with a neutral title until staff write one, and every
public text is masked; keyless Open311 shares the public page's lookup limit."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from fastapi.testclient import TestClient

from cases.case_helpers import COMMUNE_A, MakeCase
from danvan.cases.masking import run_public_masks
from danvan.cases.models import Case
from danvan.cases.tracking import LOOKUPS_PER_WINDOW
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings

DESCRIPTION = (
    "Tôi là Lê Văn Bình, SĐT 0987654321, CCCD 001203009999, nhà ở thôn Nà Lầu. "
    "Đường vào thôn bị sạt lở, xe không qua được"
)
SECRETS = ("Lê Văn Bình", "Bình", "0987654321", "987654321", "001203009999", "Tôi là")
NEUTRAL = "Giao thông, đường sá, xây dựng – Xã Minh Quang"


def _worker_masks(database: Database, settings: Settings) -> None:
    """The worker's job: public texts are masked there (web processes never load the NLP)."""
    run_public_masks(database, settings, utcnow())


def _open311_key(client: TestClient, personas: Any) -> str:
    made = client.post(
        "/api/v1/open311-keys", json={"name": "Cổng dịch vụ công"}, headers=personas.admin.headers
    )
    assert made.status_code == 201
    return str(made.json()["key"])


def _post(client: TestClient, key: str, description: str = DESCRIPTION) -> str:
    created = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "roads",
            "description": description,
            "address_string": "Thôn Nà Lầu, Xã Minh Quang",
        },
    )
    assert created.status_code == 200, created.text
    return str(created.json()[0]["service_request_id"])


def _public_answers(client: TestClient, code: str) -> dict[str, str]:
    return {
        "list.json": client.get("/open311/v2/requests.json").text,
        "list.xml": client.get("/open311/v2/requests.xml").text,
        "one.json": client.get(f"/open311/v2/requests/{code}.json").text,
        "one.xml": client.get(f"/open311/v2/requests/{code}.xml").text,
        "tra-cuu": client.get(f"/tra-cuu/{code}").text,
    }


def test_an_open311_case_shows_no_name_phone_or_id_number_on_any_public_surface(
    client: TestClient, personas: Any, database: Database
) -> None:
    code = _post(client, _open311_key(client, personas))
    answers = _public_answers(client, code)
    for where, text in answers.items():
        for secret in SECRETS:
            assert secret not in text, (where, secret)
    # The neutral title stands in: the category and the commune.
    assert client.get(f"/open311/v2/requests/{code}.json").json()[0]["description"] == NEUTRAL
    root = ET.fromstring(client.get(f"/open311/v2/requests/{code}.xml").content)  # noqa: S314
    assert root.findtext("request/description") == NEUTRAL
    assert NEUTRAL in answers["tra-cuu"]
    # Staff still read the citizen's words in full.
    with database.session() as session:
        case = session.query(Case).filter_by(code=code).one()
        assert case.description == DESCRIPTION
        assert case.public_title is None
        case_id = case.id
    staff = client.get(f"/api/v1/cases/{case_id}", headers=personas.officer_a.headers).json()
    assert staff["description"] == DESCRIPTION
    assert staff["public_title"] is None


def test_a_partner_with_a_key_gets_the_description_masked(
    client: TestClient, personas: Any, database: Database, settings: Settings
) -> None:
    key = _open311_key(client, personas)
    code = _post(client, key)
    # Until the worker masked it, nothing of it is shown; then the masked text.
    early = client.get(f"/open311/v2/requests/{code}.json", params={"api_key": key}).json()[0]
    assert early["description"] == ""
    _worker_masks(database, settings)
    full = client.get(f"/open311/v2/requests/{code}.json", params={"api_key": key}).json()[0]
    assert "Đường vào thôn bị sạt lở" in full["description"]
    for secret in ("Lê Văn Bình", "0987654321", "001203009999"):
        assert secret not in full["description"]


def test_staff_write_the_public_title_and_it_is_masked_all_the_same(
    client: TestClient, personas: Any, staff_client: Any, database: Database, settings: Settings
) -> None:
    code = _post(client, _open311_key(client, personas))
    h = personas.officer_a.headers
    case_id = client.get("/api/v1/cases", headers=h).json()["items"][0]["id"]
    patched = client.patch(
        f"/api/v1/cases/{case_id}",
        json={"public_title": "Sạt lở đường thôn Nà Lầu, báo anh Lê Văn Bình 0987 654 321"},
        headers=h,
    )
    assert patched.status_code == 200, patched.text
    # Not masked yet: the neutral title stands in, never the unmasked one.
    assert client.get(f"/open311/v2/requests/{code}.json").json()[0]["description"] == NEUTRAL
    _worker_masks(database, settings)
    page = client.get(f"/tra-cuu/{code}").text
    assert "Sạt lở đường thôn Nà Lầu" in page
    for secret in ("Lê Văn Bình", "0987 654 321"):
        assert secret not in page
    listed = client.get("/open311/v2/requests.json").json()
    assert listed[0]["description"].startswith("Sạt lở đường thôn Nà Lầu")
    assert "0987 654 321" not in listed[0]["description"]
    # Empty goes back to the neutral title; the staff page's form does the same.
    viewer = client.patch(
        f"/api/v1/cases/{case_id}", json={"public_title": "x"}, headers=personas.viewer_a.headers
    )
    assert viewer.status_code in (403, 404)
    officer = staff_client(personas.officer_a)
    answer = officer.post(f"/cases/{case_id}/public-title", data={"title": ""})
    assert answer.status_code in (200, 303)
    assert client.get(f"/open311/v2/requests/{code}.json").json()[0]["description"] == NEUTRAL


def test_a_public_answer_with_a_phone_or_id_number_is_masked(
    client: TestClient,
    personas: Any,
    make_case: MakeCase,
    database: Database,
    settings: Settings,
) -> None:
    case_id = make_case()
    h = personas.officer_a.headers
    answer = "Đã sửa xong. Ông Nguyễn Văn An (0912 345 678, CCCD 0012 0300 1234) đã xác nhận."
    changed = client.patch(
        f"/api/v1/cases/{case_id}", json={"status": "answered", "public_answer": answer}, headers=h
    )
    assert changed.status_code == 200, changed.text
    _worker_masks(database, settings)
    with database.session() as session:
        code = session.get(Case, case_id).code  # type: ignore[union-attr]
    for where, text in _public_answers(client, code).items():
        assert "Đã sửa xong" in text, where
        for secret in ("Nguyễn Văn An", "0912 345 678", "0012 0300 1234"):
            assert secret not in text, (where, secret)


def test_staff_cases_keep_their_title_and_other_sources_start_neutral(
    client: TestClient,
    personas: Any,
    make_case: MakeCase,
    database: Database,
    settings: Settings,
) -> None:
    staff_made = client.post(
        "/api/v1/cases",
        json={"commune_code": COMMUNE_A, "category": "roads", "title": "Ổ gà đường liên thôn"},
        headers=personas.officer_a.headers,
    ).json()
    assert staff_made["public_title"] == "Ổ gà đường liên thôn"
    _worker_masks(database, settings)
    assert "Ổ gà đường liên thôn" in client.get(f"/tra-cuu/{staff_made['code']}").text


def test_keyless_open311_reads_share_the_public_lookup_limit(
    client: TestClient, personas: Any
) -> None:
    key = _open311_key(client, personas)
    code = _post(client, key)
    for _ in range(LOOKUPS_PER_WINDOW):
        assert client.get("/open311/v2/requests.json").status_code == 200
    limited = client.get("/open311/v2/requests.json")
    assert limited.status_code == 429
    assert limited.json()[0]["code"] == 429
    assert client.get(f"/open311/v2/requests/{code}.xml").status_code == 429
    # The public page counts with it: no way around one through the other.
    assert client.get(f"/tra-cuu/{code}").status_code == 429
    # A partner with its key is not counted against the public.
    assert client.get("/open311/v2/requests.json", params={"api_key": key}).status_code == 200
