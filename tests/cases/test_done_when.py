"""The cases issue's "Done when", through the API with the Zalo stand-in.

A case made from a Zalo conversation gets a code and a `due_at` that skips weekends and
holidays; moving it to answered with a public answer makes the worker send the citizen one
Zalo message containing the case code (the citizen wrote in February and the case is made in
December, long past Zalo's 7-day window, so that message is a template message to the phone
they shared: issue 15); `/tra-cuu/{code}` shows the new status and the answer
and no phone number or internal note; `GET /open311/v2/requests.json` lists the case.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from cases.case_helpers import citizen_shares_phone, citizen_text
from danvan.devtools.zalo_standin.protocol import MESSAGE_CS
from danvan.devtools.zalo_standin.state import state_of
from danvan.inbox import notice_templates, worker
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer

CITIZEN = "8421000000077"
PHONE = "0912345678"
# Friday 13 February 2026, 10:00 in Vietnam: Tết holidays run Monday 16 to Friday 20.
RECEIVED = datetime(2026, 2, 13, 3, 0, tzinfo=UTC)
NOTE = "Ghi chú nội bộ: đã gọi trưởng thôn Nà Lầu, chưa công khai"
ANSWER = "Xã đã cử đội sửa đường, dự kiến thông xe trong tuần tới."


def test_the_cases_acceptance_flow(
    client: TestClient,
    database: Database,
    settings: Settings,
    personas: object,
    standin: ThreadedServer,
    oa_tokens: None,
) -> None:
    # The citizen wrote in February (the deadline crosses Tết): their webhooks are replayed as
    # history, older than a live event may be.
    settings.zalo_oa_webhook_max_age_seconds = 400 * 24 * 3600
    zalo = state_of(standin)
    officer = personas.officer_a  # type: ignore[attr-defined]
    api = {"headers": officer.headers}
    # The admin read the OA's templates from Zalo and mapped the case notices to them.
    notice_templates.sync_from_zalo(database, settings, user_id=None, via="cli")
    with database.session() as session:
        for kind, template_id, params in (
            ("case_received", "301001", {"ma_phan_anh": "case_code", "han_tra_loi": "due_date"}),
            (
                "case_answered",
                "301002",
                {"ma_phan_anh": "case_code", "trang_thai": "status", "tra_cuu": "lookup_url"},
            ),
        ):
            notice_templates.do_map_kind(
                session, actor=None, kind=kind, template_id=template_id, params=params
            )

    # A citizen of Xã Minh Quang writes on Zalo and shares their phone.
    citizen_text(client, user_id=CITIZEN, text="Tôi ở xã Minh Quang", at=RECEIVED, msg_id="m-1")
    citizen_text(
        client,
        user_id=CITIZEN,
        text="Đường liên thôn Nà Lầu bị sạt lở, xe máy không qua được",
        at=RECEIVED,
        msg_id="m-2",
    )
    citizen_shares_phone(client, user_id=CITIZEN, phone=PHONE, name="Hoàng Thị Lan", at=RECEIVED)
    conversations = client.get("/api/v1/conversations", **api).json()["items"]
    assert len(conversations) == 1
    assert conversations[0]["commune_code"] == 2302

    # The case: a code and a due date 10 working days on, skipping the weekend and Tết.
    created = client.post(
        "/api/v1/cases",
        json={
            "conversation_id": conversations[0]["id"],
            "category": "roads",
            "commune_code": 2302,
            "title": "Sạt lở đường liên thôn Nà Lầu",
        },
        **api,
    )
    assert created.status_code == 201, created.text
    case = created.json()
    assert re.fullmatch(r"TQ-2602-\d{4}", case["code"])
    assert case["status"] == "received"
    assert datetime.fromisoformat(case["received_at"]) == RECEIVED
    # Without the holidays it would be Friday 27 February; Tết pushes it to Friday 6 March,
    # the end of the working day in Vietnam (17:00 +07 = 10:00 UTC).
    assert datetime.fromisoformat(case["due_at"]) == datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
    assert datetime.fromisoformat(case["ack_due_at"]) == datetime(2026, 2, 23, 10, 0, tzinfo=UTC)

    # The receipt notice goes out first (it carries the code, too).
    worker.run(database, settings, once=True)
    [receipt] = zalo.received
    assert receipt.template is not None
    assert receipt.template["template_data"]["ma_phan_anh"] == case["code"]
    before = len(zalo.received)

    note = client.post(f"/api/v1/cases/{case['id']}/notes", json={"text": NOTE}, **api)
    assert note.status_code == 201

    answered = client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"status": "answered", "public_answer": ANSWER},
        **api,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered"

    worker.run(database, settings, once=True)
    new = zalo.received[before:]
    assert len(new) == 1
    assert new[0].api == "zns"
    assert new[0].recipient == "84912345678"
    assert new[0].template is not None
    assert new[0].template["template_data"]["ma_phan_anh"] == case["code"]
    assert not zalo.requests_to(MESSAGE_CS)  # Zalo's window closed in February

    page = client.get(f"/tra-cuu/{case['code']}")
    assert page.status_code == 200
    html = page.text
    assert "Đã trả lời" in html
    assert ANSWER in html
    assert PHONE not in html
    assert "84912345678" not in html
    assert "912345678" not in html
    assert "Hoàng Thị Lan" not in html
    assert NOTE not in html
    assert "Nà Lầu, chưa" not in html
    assert officer.user.full_name not in html

    requests = client.get("/open311/v2/requests.json")
    assert requests.status_code == 200
    listed = [r for r in requests.json() if r["service_request_id"] == case["code"]]
    assert len(listed) == 1
    assert listed[0]["status"] == "closed"
    assert listed[0]["service_code"] == "roads"

    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline", **api).json()
    # Received in February, the case was overdue: the worker escalated it on its first run.
    kinds = [e["kind"] for e in timeline]
    assert kinds == ["created", "escalated", "noted", "status_changed"]
    # Which channel carried the answer's notice, and that Zalo took it.
    [notice] = timeline[-1]["notices"]
    assert (notice["kind"], notice["carried_by"]) == ("case_answered", "zalo_zns")
    assert notice["delivery_status"] == "sent"
