"""The cases API: the full lifecycle with the citizen's notices checked at the Zalo stand-in,
role isolation between communes and between units, reopen, merge and transfer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cases.case_helpers import COMMUNE_A, COMMUNE_B, MakeCase, Writes
from danvan.accounts.staff import do_create_token, do_create_user
from danvan.cases import access, lifecycle, tracking
from danvan.cases.models import Case
from danvan.devtools.zalo_standin.state import state_of
from danvan.inbox import worker
from danvan.inbox.models import Message
from danvan.kernel import geo
from danvan.kernel.db import Database
from danvan.kernel.errors import Invalid
from danvan.kernel.settings import Settings
from danvan.testing.servers import ThreadedServer

ANSWER = "Xã đã sửa xong đoạn đường sạt lở."


def _new_texts(zalo: Any, before: int) -> list[str]:
    return [r.text for r in zalo.received[before:]]


def _create(client: TestClient, persona: Any, conversation_id: int | None, **extra: Any) -> Any:
    body = {"category": "roads", "commune_code": COMMUNE_A, "title": "Sạt lở đường", **extra}
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    return client.post("/api/v1/cases", json=body, headers=persona.headers)


def test_the_full_lifecycle_notifies_the_citizen_at_each_public_step(
    client: TestClient,
    database: Database,
    settings: Settings,
    personas: Any,
    writes: Writes,
    standin: ThreadedServer,
    oa_tokens: None,
) -> None:
    zalo = state_of(standin)
    officer = personas.officer_a
    h = {"headers": officer.headers}
    conversation = writes("Cống thoát nước trước nhà văn hoá thôn bị tắc")
    case = _create(client, officer, conversation).json()
    code = case["code"]
    worker.run(database, settings, once=True)
    assert len(zalo.received) == 1
    assert code in zalo.received[0].text

    steps: list[tuple[dict[str, Any], str]] = [
        ({"assignee_id": personas.colleague_a.user.id}, "Đã phân công xử lý"),
        ({"status": "in_progress"}, "Đang xử lý"),
        ({"status": "answered", "public_answer": ANSWER}, ANSWER),
        ({"status": "closed"}, "Đã kết thúc"),
    ]
    for body, expected in steps:
        before = len(zalo.received)
        response = client.patch(f"/api/v1/cases/{case['id']}", json=body, **h)
        assert response.status_code == 200, response.text
        worker.run(database, settings, once=True)
        texts = _new_texts(zalo, before)
        # Closing also triggers the rating request, sent by the worker's job in the same run.
        assert texts
        assert code in texts[0]
        assert expected in texts[0]
    assert "đánh giá" in texts[-1]
    assert len(texts) == 2

    # The citizen follows the link of the rating request and gives 4 stars.
    link = next(word for word in texts[-1].split() if "/phan-hoi?t=" in word)
    path = urlsplit(link).path + "?" + urlsplit(link).query
    page = client.get(path)
    assert page.status_code == 200
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    token = urlsplit(link).query.split("t=")[1]
    rated = client.post(
        urlsplit(link).path,
        data={"csrf_token": csrf, "t": token, "action": "rate", "rating": "4", "comment": "Tốt"},
        follow_redirects=False,
    )
    assert rated.status_code == 303
    again = client.post(
        urlsplit(link).path,
        data={"csrf_token": csrf, "t": token, "action": "rate", "rating": "1"},
        follow_redirects=False,
    )
    assert "err=already_rated" in again.headers["location"]
    final = client.get(f"/api/v1/cases/{case['id']}", **h).json()
    assert final["rating"] == 4
    assert final["status"] == "closed"
    kinds = [e["kind"] for e in client.get(f"/api/v1/cases/{case['id']}/timeline", **h).json()]
    assert kinds == [
        "created",
        "assigned",
        "status_changed",
        "status_changed",
        "status_changed",
        "status_changed",
        "rating_requested",
        "rated",
    ]
    # A wrong token is "not found", like an unknown code.
    assert client.get(urlsplit(link).path + "?t=wrong").status_code == 404


def test_bad_input_gets_clear_errors_and_stores_nothing(
    client: TestClient, database: Database, personas: Any, writes: Writes
) -> None:
    officer = personas.officer_a
    conversation = writes()
    cases = [
        ({"category": "nope"}, "category"),
        ({"title": "   "}, "empty"),
        ({"title": "x" * 201}, "too_long"),
        ({"commune_code": COMMUNE_B}, "commune"),
        ({"commune_code": 99999}, "commune"),
    ]
    for extra, code in cases:
        response = _create(client, officer, conversation, **extra)
        assert response.status_code == 422, extra
        assert response.json()["code"] == code
        assert response.json()["detail"]
    case = _create(client, officer, conversation).json()
    answered = client.patch(
        f"/api/v1/cases/{case['id']}", json={"status": "answered"}, headers=officer.headers
    )
    assert answered.json()["code"] == "answer_required"
    declined = client.patch(
        f"/api/v1/cases/{case['id']}", json={"status": "declined"}, headers=officer.headers
    )
    assert declined.json()["code"] == "reason_required"
    unknown = client.patch(
        f"/api/v1/cases/{case['id']}", json={"status": "lost"}, headers=officer.headers
    )
    assert unknown.json()["code"] == "status"
    with database.session() as session:
        assert len(session.scalars(select(Case)).all()) == 1


def test_officers_see_only_their_communes_cases_and_viewers_cannot_change_them(
    client: TestClient, personas: Any, make_case: MakeCase
) -> None:
    a = make_case(commune=COMMUNE_A)
    b = make_case(commune=COMMUNE_B, by=personas.officer_b)

    def ids(persona: Any, query: str = "") -> set[int]:
        page = client.get(f"/api/v1/cases{query}", headers=persona.headers).json()
        return {c["id"] for c in page["items"]}

    assert ids(personas.officer_a) == {a}
    assert ids(personas.viewer_a) == {a}
    assert ids(personas.officer_b) == {b}
    assert ids(personas.admin) == {a, b}
    assert ids(personas.admin, f"?commune_code={COMMUNE_B}") == {b}
    for path in (f"/api/v1/cases/{a}", f"/api/v1/cases/{a}/timeline"):
        assert client.get(path, headers=personas.officer_b.headers).status_code == 404
    patch = {"status": "in_progress"}
    assert (
        client.patch(f"/api/v1/cases/{a}", json=patch, headers=personas.officer_b.headers)
    ).status_code == 404
    assert (
        client.patch(f"/api/v1/cases/{a}", json=patch, headers=personas.viewer_a.headers)
    ).status_code == 403
    # Nobody can be assigned a case they could not see.
    refused = client.patch(
        f"/api/v1/cases/{a}",
        json={"assignee_id": personas.officer_b.user.id},
        headers=personas.officer_a.headers,
    )
    assert refused.json()["code"] == "assignee"


# Officer accounts need a commune (danvan.accounts.staff): department staff get one no test uses.
ELSEWHERE = next(c.code for c in geo.province(8).communes if c.code not in (COMMUNE_A, COMMUNE_B))


def _department_officer(database: Database, email: str) -> Any:
    with database.session() as session:
        user = do_create_user(
            session,
            actor=None,
            email=email,
            password="correct horse battery",
            role="officer",
            communes=[ELSEWHERE],
            full_name=email,
        )
        token = do_create_token(session, user=user, name="t")
    return {"Authorization": f"Bearer {token}"}, user.id


def test_a_transfer_keeps_the_case_visible_along_its_path_and_only_there(
    client: TestClient,
    database: Database,
    settings: Settings,
    personas: Any,
    make_case: MakeCase,
) -> None:
    admin = personas.admin.headers
    roads_h, roads_id = _department_officer(database, "gtvt@tq.gov.vn")
    health_h, health_id = _department_officer(database, "yte@tq.gov.vn")
    roads = client.post(
        "/api/v1/case-units", json={"name": "Sở Giao thông", "head_id": roads_id}, headers=admin
    ).json()
    health = client.post("/api/v1/case-units", json={"name": "Sở Y tế"}, headers=admin).json()
    assert client.post(
        f"/api/v1/case-units/{health['id']}/members", json={"user_id": health_id}, headers=admin
    ).json()["member_ids"] == [health_id]
    case = make_case()
    url = f"/api/v1/cases/{case}"
    assert client.get(url, headers=roads_h).status_code == 404

    no_reason = client.patch(url, json={"unit_id": roads["id"]}, headers=personas.officer_a.headers)
    assert no_reason.json()["code"] == "empty"
    moved = client.patch(
        url,
        json={"unit_id": roads["id"], "reason": "Đường tỉnh lộ do Sở quản lý"},
        headers=personas.officer_a.headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "transferred"
    assert moved.json()["public_reason"] == "Đường tỉnh lộ do Sở quản lý"
    assert client.get(url, headers=roads_h).status_code == 200
    assert client.get(url, headers=health_h).status_code == 404
    assert client.get(url, headers=personas.officer_a.headers).status_code == 200
    assert client.get(url, headers=personas.officer_b.headers).status_code == 404

    # The department sends it on: it keeps seeing it, and so does the next one.
    on = client.patch(
        url, json={"unit_id": health["id"], "reason": "Liên quan vệ sinh dịch tễ"}, headers=roads_h
    )
    assert on.status_code == 200, on.text
    for headers in (roads_h, health_h, personas.officer_a.headers):
        assert client.get(url, headers=headers).status_code == 200
    listed = client.get("/api/v1/cases", headers=health_h).json()["items"]
    assert [c["id"] for c in listed] == [case]
    # The department's member can now take it.
    took = client.patch(url, json={"assignee_id": health_id}, headers=health_h)
    assert took.status_code == 200
    assert took.json()["assignee_id"] == health_id


def test_routing_rules_pick_the_unit_and_assignee_most_specific_first(
    client: TestClient, personas: Any, writes: Writes
) -> None:
    admin = personas.admin.headers
    unit = client.post(
        "/api/v1/case-units",
        json={"name": "UBND xã Minh Quang", "commune_code": COMMUNE_A},
        headers=admin,
    ).json()
    for body in (
        {"commune_code": COMMUNE_A, "unit_id": unit["id"]},
        {
            "commune_code": COMMUNE_A,
            "category": "roads",
            "unit_id": unit["id"],
            "assignee_id": personas.colleague_a.user.id,
        },
    ):
        assert client.put("/api/v1/case-routing-rules", json=body, headers=admin).status_code == 200
    roads = _create(client, personas.officer_a, writes()).json()
    assert roads["unit_id"] == unit["id"]
    assert roads["assignee_id"] == personas.colleague_a.user.id
    assert roads["status"] == "assigned"
    other = _create(client, personas.officer_a, writes(), category="health").json()
    assert other["unit_id"] == unit["id"]
    assert other["assignee_id"] is None
    assert other["status"] == "received"
    # Unmatched: the commune's triage (no unit, no assignee).
    b = _create(
        client, personas.officer_b, writes(commune=COMMUNE_B), commune_code=COMMUNE_B
    ).json()
    assert (b["unit_id"], b["assignee_id"], b["status"]) == (None, None, "received")


def test_reopen_by_staff_and_by_the_citizen_within_the_allowed_days(
    client: TestClient, database: Database, settings: Settings, personas: Any, make_case: MakeCase
) -> None:
    h = personas.officer_a.headers
    case = make_case()
    url = f"/api/v1/cases/{case}"
    assert client.post(f"{url}/reopen", json={"reason": "x"}, headers=h).json()["code"] == "open"
    client.patch(url, json={"status": "answered", "public_answer": ANSWER}, headers=h)

    # The citizen reopens from their link.
    with database.session() as session:
        row = session.get(Case, case)
        assert row is not None
        token = tracking.rating_token(settings, row)
        code = row.code
    page = client.get(f"/tra-cuu/{code}/phan-hoi?t={token}")
    assert "reopen" in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    done = client.post(
        f"/tra-cuu/{code}/phan-hoi",
        data={"csrf_token": csrf, "t": token, "action": "reopen", "reason": "Đường vẫn chưa sửa"},
        follow_redirects=False,
    )
    assert "ok=reopen" in done.headers["location"]
    reopened = client.get(url, headers=h).json()
    assert reopened["public_reason"] == ""
    public = client.get(f"/tra-cuu/{code}").text
    assert "Đường vẫn chưa sửa" not in public  # the citizen's words stay internal
    assert "Mở lại" in public
    assert reopened["status"] == "in_progress"
    assert reopened["reopen_count"] == 1

    # Too late: past `case_reopen_days` the citizen cannot, staff still can.
    client.patch(url, json={"status": "answered", "public_answer": ANSWER}, headers=h)
    with database.session() as session:
        row = session.get(Case, case)
        assert row is not None
        assert row.answered_at is not None
        later = row.answered_at + timedelta(days=settings.case_reopen_days, minutes=1)
        with pytest.raises(Invalid) as refused:
            lifecycle.do_reopen(
                session, actor=None, settings=settings, case=row, reason="x", now=later
            )
        assert refused.value.code == "reopen_closed"
    client.patch(url, json={"status": "closed"}, headers=h)
    staff = client.post(f"{url}/reopen", json={"reason": "Kiểm tra lại"}, headers=h)
    assert staff.status_code == 200
    assert staff.json()["reopen_count"] == 2
    assert staff.json()["status_kind"] == "open"


def test_merging_duplicates_brings_their_messages_and_notifies_every_citizen(
    client: TestClient,
    database: Database,
    settings: Settings,
    personas: Any,
    writes: Writes,
    standin: ThreadedServer,
    oa_tokens: None,
) -> None:
    zalo = state_of(standin)
    h = personas.officer_a.headers
    first_conv = writes("Đèn đường thôn Khuổi Vìn hỏng cả tuần nay")
    second_conv = writes("Đèn đường ở thôn Khuổi Vìn bị hỏng, tối rất nguy hiểm")
    first = _create(
        client, personas.officer_a, first_conv, title="Đèn đường thôn Khuổi Vìn hỏng"
    ).json()
    second = _create(
        client, personas.officer_a, second_conv, title="Đèn đường Khuổi Vìn hỏng"
    ).json()
    worker.run(database, settings, once=True)

    similar = client.get(f"/api/v1/cases/{second['id']}/similar", headers=h).json()
    assert [c["id"] for c in similar["open"]] == [first["id"]]

    before = len(zalo.received)
    merged = client.post(
        f"/api/v1/cases/{second['id']}/merge", json={"into_id": first["id"]}, headers=h
    )
    assert merged.status_code == 200, merged.text
    worker.run(database, settings, once=True)
    notice = _new_texts(zalo, before)
    assert len(notice) == 1
    assert second["code"] in notice[0]
    assert first["code"] in notice[0]
    dup = client.get(f"/api/v1/cases/{second['id']}", headers=h).json()
    assert (dup["status"], dup["merged_into_id"]) == ("duplicate", first["id"])
    with database.session() as session:
        linked = {
            m.conversation_id
            for m in access.case_messages(session, case=session.get(Case, first["id"]))
        }  # type: ignore[arg-type]
    assert linked == {first_conv, second_conv}

    # The answer to the kept case reaches both citizens.
    before = len(zalo.received)
    client.patch(
        f"/api/v1/cases/{first['id']}",
        json={"status": "answered", "public_answer": ANSWER},
        headers=h,
    )
    worker.run(database, settings, once=True)
    recipients = {r.recipient for r in zalo.received[before:]}
    assert len(recipients) == 2
    assert all(first["code"] in r.text for r in zalo.received[before:])
    # A duplicate cannot be merged again or moved on its own.
    again = client.post(
        f"/api/v1/cases/{second['id']}/merge", json={"into_id": first["id"]}, headers=h
    )
    assert again.json()["code"] == "merged"
    page = client.get(f"/tra-cuu/{second['code']}")
    assert first["code"] in page.text


def test_notes_stay_internal_and_replies_reach_the_citizen(
    client: TestClient, database: Database, personas: Any, make_case: MakeCase
) -> None:
    h = personas.officer_a.headers
    case = make_case()
    client.post(f"/api/v1/cases/{case}/notes", json={"text": "Nội bộ: chờ kinh phí"}, headers=h)
    sent = client.post(
        f"/api/v1/cases/{case}/replies", json={"text": "Xin ông/bà gửi thêm ảnh"}, headers=h
    )
    assert sent.status_code == 201
    with database.session() as session:
        texts = [m.text for m in session.scalars(select(Message).where(Message.source == "system"))]
    assert any("Xin ông/bà gửi thêm ảnh" in t for t in texts)
    assert not any("chờ kinh phí" in t for t in texts)
    events = client.get(f"/api/v1/cases/{case}/timeline", headers=h).json()
    note = next(e for e in events if e["kind"] == "noted")
    assert note["public"] is False


def test_a_case_made_on_behalf_of_a_citizen_met_in_person_needs_no_conversation(
    client: TestClient, personas: Any
) -> None:
    made = _create(
        client,
        personas.officer_a,
        None,
        description="Bà Lý ở thôn 3 phản ánh trực tiếp tại trụ sở xã",
    )
    assert made.status_code == 201
    assert made.json()["source"] == "staff"
    assert made.json()["conversation_id"] is None
    # No channel: a reply is refused clearly.
    reply = client.post(
        f"/api/v1/cases/{made.json()['id']}/replies",
        json={"text": "x"},
        headers=personas.officer_a.headers,
    )
    assert reply.json()["code"] == "no_channel"


def test_a_web_form_citizen_reads_the_notices_on_their_thread_page(
    client: TestClient, database: Database, settings: Settings, personas: Any, writes: Writes
) -> None:
    from danvan.inbox.webform import new_tracking_code

    code = new_tracking_code()
    conversation = writes("Rác thải đổ trộm ven suối Nà Lầu", channel="web", user_id=code)
    case = _create(client, personas.officer_a, conversation, category="environment").json()
    client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"status": "answered", "public_answer": "Xã đã thu gom và lập biên bản."},
        headers=personas.officer_a.headers,
    )
    worker.run(database, settings, once=True)
    thread = client.get(f"/gop-y/{code}")
    assert thread.status_code == 200
    assert case["code"] in thread.text
    assert "Xã đã thu gom và lập biên bản." in thread.text


def test_without_a_category_the_classifiers_topic_is_taken(
    client: TestClient, database: Database, personas: Any, writes: Writes
) -> None:
    from danvan.opinion.models import MessageAnalysis

    conversation = writes("Trạm y tế xã thiếu thuốc điều trị tăng huyết áp")
    with database.session() as session:
        last = session.scalars(
            select(Message).where(Message.conversation_id == conversation).order_by(Message.id)
        ).all()[-1]
        session.add(
            MessageAnalysis(
                message_id=last.id,
                commune_code=COMMUNE_A,
                channel="zalo_oa",
                received_at=last.created_at,
                topic="health",
                sentiment="negative",
                kind="complaint",
            )
        )
    body = {"conversation_id": conversation, "commune_code": COMMUNE_A, "title": "Thiếu thuốc"}
    made = client.post("/api/v1/cases", json=body, headers=personas.officer_a.headers)
    assert made.status_code == 201
    assert made.json()["category"] == "health"
    other = client.post(
        "/api/v1/cases",
        json={"commune_code": COMMUNE_A, "title": "Gặp trực tiếp", "description": "x"},
        headers=personas.officer_a.headers,
    )
    assert other.json()["category"] == "other"
