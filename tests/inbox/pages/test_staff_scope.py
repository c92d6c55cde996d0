"""Scope: an officer of another commune sees nothing of commune A; a viewer reads but never
writes; admin pages do not exist for others."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from staff_helpers import conversation, listed

from danvan.accounts.models import AuditEntry
from danvan.inbox.models import Label, Message, Note, OutboxItem
from danvan.kernel.db import Database
from danvan.testing.citizens import citizen_writes
from danvan.testing.staff import Staff

A = 2302


def _counts(database: Database) -> dict[str, int]:
    with database.session() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (OutboxItem, Note, Label, AuditEntry, Message)
        }


def _posts(
    conversation_id: int, message_id: int, officer_id: int
) -> list[tuple[str, dict[str, object]]]:
    base = f"/conversations/{conversation_id}"
    return [
        (f"{base}/reply", {"text": "Tôi trả lời hộ"}),
        (f"{base}/assign", {"assignee_id": officer_id}),
        (f"{base}/labels", {"new_label": "Xâm nhập"}),
        (f"{base}/notes", {"text": "Ghi chú lạ"}),
        (f"{base}/commune", {"commune_code": 2269}),
        (f"{base}/status", {"status": "closed"}),
        (f"{base}/messages/{message_id}/retry", {}),
    ]


def test_an_officer_of_another_commune_sees_none_of_its_conversations(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A, name="Hoàng Văn Thái", text="Bí mật xã A")
    officer_b = staff_client(personas.officer_b)
    page = officer_b.get("/inbox")
    assert listed(page.text) == []
    assert "Hoàng Văn Thái" not in page.text
    assert "Bí mật xã A" not in page.text
    assert listed(officer_b.get("/inbox", params={"q": "bi mat"}).text) == []
    assert listed(officer_b.get(f"/inbox?commune={A}").text) == []
    for url in (f"/conversations/{conversation_id}", f"/conversations/{conversation_id}/updates"):
        response = officer_b.get(url)
        assert response.status_code == 404
        assert "Bí mật xã A" not in response.text
        assert "Không tìm thấy" in response.text


def test_every_post_to_another_communes_conversation_gets_404_and_changes_nothing(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    with database.session() as session:
        message_id = session.scalars(select(Message.id)).first()
    assert message_id is not None
    officer_b = staff_client(personas.officer_b)
    before = _counts(database)
    for url, data in _posts(conversation_id, message_id, personas.officer_b.user.id):
        response = officer_b.post(url, data)
        assert response.status_code == 404, url
    assert _counts(database) == before
    after = conversation(database, conversation_id)
    assert after.commune_code == A
    assert after.status == "open"
    assert after.assignee_id is None


def test_a_viewer_sees_the_conversation_but_gets_no_forms(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A, text="Xin hỏi lịch họp dân")
    viewer = staff_client(personas.viewer_a)
    assert listed(viewer.get("/inbox").text) == [conversation_id]
    page = viewer.get(f"/conversations/{conversation_id}")
    assert page.status_code == 200
    assert "Xin hỏi lịch họp dân" in page.text
    assert "chỉ có quyền xem" in page.text
    assert "<textarea" not in page.text
    assert 'method="post" action="/conversations/' not in page.text
    # Reading it leaves it unread for the officers who answer.
    assert conversation(database, conversation_id).unread_count == 2


def test_a_viewer_cannot_write_and_nothing_is_queued(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    with database.session() as session:
        message_id = session.scalars(select(Message.id)).first()
    assert message_id is not None
    viewer = staff_client(personas.viewer_a)
    before = _counts(database)
    for url, data in _posts(conversation_id, message_id, personas.officer_a.user.id):
        response = viewer.post(url, data)
        assert response.status_code == 403, url
        assert "chỉ xem" in response.text
    assert _counts(database) == before


@pytest.mark.parametrize("who", ["officer_a", "viewer_a", "officer_b"])
@pytest.mark.parametrize("url", ["/admin/users", "/admin/audit", "/admin/users/1"])
def test_admin_pages_do_not_exist_for_others(
    personas, staff_client: Callable[..., Staff], who: str, url: str
) -> None:
    staff = staff_client(getattr(personas, who))
    assert staff.get(url).status_code == 404
    assert 'href="/admin/users"' not in staff.get("/inbox").text


def test_admin_posts_are_404_for_others(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    officer = staff_client(personas.officer_a)
    before = _counts(database)
    created = officer.post(
        "/admin/users",
        {"email": "x@tq.gov.vn", "password": "long enough pw", "role": "admin"},
    )
    promoted = officer.post(f"/admin/users/{personas.officer_a.user.id}", {"role": "admin"})
    assert created.status_code == 404
    assert promoted.status_code == 404
    assert _counts(database) == before
