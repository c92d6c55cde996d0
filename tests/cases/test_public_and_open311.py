"""The public status page (no personal data, rate-limited) and Open311 GeoReport v2."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from cases.case_helpers import COMMUNE_A, MakeCase, Writes, worker_masks
from danvan.cases.models import Case, Open311Key
from danvan.cases.tracking import LOOKUPS_PER_WINDOW
from danvan.kernel import taxonomy
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings

SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


def _xml(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 - our own answers


def test_unknown_and_malformed_codes_are_the_same_not_found_and_lookups_are_limited(
    client: TestClient, make_case: MakeCase, database: Database
) -> None:
    case = make_case()
    with database.session() as session:
        code = session.get(Case, case).code  # type: ignore[union-attr]
    unknown = client.get("/tra-cuu/TQ-2601-9999")
    malformed = client.get("/tra-cuu/%3Cscript%3E")
    assert unknown.status_code == malformed.status_code == 404
    assert unknown.text.replace("TQ-2601-9999", "X") == malformed.text.replace(
        "&lt;script&gt;", "X"
    )
    # The search box sends the code on (spaces and case do not matter).
    box = client.get("/tra-cuu", params={"ma": f" {code.lower()} "}, follow_redirects=False)
    assert box.headers["location"] == f"/tra-cuu/{code}"
    assert client.get(f"/tra-cuu/{code}").status_code == 200
    # Each lookup counts, found or not; past the limit every lookup is refused.
    for _ in range(LOOKUPS_PER_WINDOW):
        client.get("/tra-cuu/TQ-2601-9999")
    assert client.get(f"/tra-cuu/{code}").status_code == 429


def test_the_public_page_shows_no_name_phone_staff_or_note(
    client: TestClient, personas: Any, writes: Writes, database: Database, settings: Settings
) -> None:
    from danvan.inbox.models import Contact, Conversation
    from danvan.inbox.privacy import conversation_of  # noqa: F401 - the contact gets a phone below

    conversation = writes("Nhà tôi số 0987654321 bị ngập", name="Trần Văn Tư")
    with database.session() as session:
        row = session.get(Conversation, conversation)
        contact = session.get(Contact, row.contact_id)  # type: ignore[union-attr]
        contact.phone = "0987654321"  # type: ignore[union-attr]
    h = personas.officer_a.headers
    case = client.post(
        "/api/v1/cases",
        json={
            "conversation_id": conversation,
            "category": "environment",
            "commune_code": COMMUNE_A,
            "title": "Ngập úng khu dân cư",
        },
        headers=h,
    ).json()
    client.post(f"/api/v1/cases/{case['id']}/notes", json={"text": "Bí mật nội bộ 123"}, headers=h)
    client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"assignee_id": personas.colleague_a.user.id},
        headers=h,
    )
    worker_masks(database, settings)
    html = client.get(f"/tra-cuu/{case['code']}").text
    assert "Ngập úng khu dân cư" in html
    for secret in (
        "0987654321",
        "987654321",
        "Trần Văn Tư",
        "Bí mật nội bộ",
        "số 0987",  # the description (citizen text) is not shown either
        personas.officer_a.user.full_name,
        personas.colleague_a.user.full_name,
        personas.officer_a.user.email,
    ):
        assert secret not in html, secret
    # Open311 without a key shows the same: the title, never the description.
    listed = client.get("/open311/v2/requests.json").json()
    assert listed[0]["description"] == "Ngập úng khu dân cư"
    assert "0987654321" not in str(listed)


def test_open311_services_in_json_and_xml(client: TestClient) -> None:
    services = client.get("/open311/v2/services.json")
    assert services.status_code == 200
    items = services.json()
    assert [s["service_code"] for s in items] == [t.code for t in taxonomy.topics()]
    for item in items:
        assert set(item) == SERVICE_FIELDS
        assert item["metadata"] is False
        assert item["type"] == "realtime"
    xml = client.get("/open311/v2/services.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    root = _xml(xml.content)
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == [
        t.code for t in taxonomy.topics()
    ]
    definition = client.get("/open311/v2/services/roads.json").json()
    assert definition == {"service_code": "roads", "attributes": []}
    missing = client.get("/open311/v2/services/nope.xml")
    assert missing.status_code == 404
    assert _xml(missing.content).find("error/code").text == "404"  # type: ignore[union-attr]


def test_open311_post_needs_a_key_and_makes_a_case_of_the_named_commune(
    client: TestClient, personas: Any, database: Database, settings: Settings
) -> None:
    form = {
        "service_code": "roads",
        "description": "Ổ gà lớn trên đường vào trường học",
        "address_string": "Thôn Nà Lầu, Xã Minh Quang",
        "lat": "22.8",
        "long": "105.1",
        "first_name": "Tên",
        "phone": "0900000000",
    }
    refused = client.post("/open311/v2/requests.json", data=form)
    assert refused.status_code == 403
    assert refused.json() == [{"code": 403, "description": "api_key missing or invalid"}]
    made = client.post(
        "/api/v1/open311-keys", json={"name": "Cổng dịch vụ công"}, headers=personas.admin.headers
    )
    assert made.status_code == 201
    key = made.json()["key"]
    assert (
        client.post(
            "/api/v1/open311-keys", json={"name": "x"}, headers=personas.officer_a.headers
        ).status_code
        == 403
    )
    with database.session() as session:
        stored = session.scalars(select(Open311Key)).one()
        assert key not in stored.key_hash

    bad = client.post(
        "/open311/v2/requests.json", data={**form, "api_key": key, "service_code": "x"}
    )
    assert bad.status_code == 400
    nowhere = client.post(
        "/open311/v2/requests.json", data={**form, "api_key": key, "address_string": "Hà Nội"}
    )
    assert nowhere.status_code == 400

    created = client.post("/open311/v2/requests.xml", data={**form, "api_key": key})
    assert created.status_code == 200
    root = _xml(created.content)
    code = root.findtext("request/service_request_id")
    assert code is not None
    assert code.startswith("TQ-")
    with database.session() as session:
        case = session.scalars(select(Case).where(Case.code == code)).one()
        assert (case.commune_code, case.source, case.category) == (COMMUNE_A, "open311", "roads")
        assert "0900000000" not in str(case.__dict__)

    # The officer of the commune sees it; the partner reads it back in full with its key.
    listed = client.get("/api/v1/cases", headers=personas.officer_a.headers).json()["items"]
    assert [c["code"] for c in listed] == [code]
    worker_masks(database, settings)
    full = client.get(f"/open311/v2/requests/{code}.json", params={"api_key": key}).json()
    assert len(full) == 1
    assert set(full[0]) == REQUEST_FIELDS
    assert full[0]["description"] == form["description"]
    assert full[0]["lat"] == 22.8
    assert full[0]["status"] == "open"
    public = client.get(f"/open311/v2/requests/{code}.json").json()
    assert public[0]["lat"] is None
    xml = _xml(client.get("/open311/v2/requests.xml", params={"status": "open"}).content)
    assert xml.tag == "service_requests"
    assert [r.findtext("service_request_id") for r in xml.findall("request")] == [code]
    assert {child.tag for child in xml.find("request")} == REQUEST_FIELDS  # type: ignore[union-attr]
    assert client.get("/open311/v2/requests.json", params={"status": "closed"}).json() == []
    assert client.get("/open311/v2/requests/TQ-0000-0000.json").status_code == 404

    # A revoked key no longer works.
    key_id = made.json()["id"]
    assert (
        client.delete(f"/api/v1/open311-keys/{key_id}", headers=personas.admin.headers).status_code
        == 204
    )
    assert (
        client.post("/open311/v2/requests.json", data={**form, "api_key": key}).status_code == 403
    )
