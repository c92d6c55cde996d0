"""A conversation page: reading, replying, assignment, labels, notes, commune, status, delivery
states and what the poller sends."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select, update
from staff_helpers import conversation, poll_url

from danvan.accounts.models import AuditEntry
from danvan.channels.base import Attachment, EventKind, InboundEvent
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Delivery, Message, Note, OutboxItem, OutboxStatus
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.testing.citizens import citizen_writes
from danvan.testing.staff import Staff

A, B = 2302, 2269


def _audit(database: Database, action: str) -> list[AuditEntry]:
    with database.session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _replies(database: Database, conversation_id: int) -> list[Message]:
    with database.session() as session:
        return list(
            session.scalars(
                select(Message).where(
                    Message.conversation_id == conversation_id,
                    Message.direction == "out",
                    Message.source == "staff",
                )
            )
        )


def test_opening_a_conversation_shows_it_and_marks_it_read(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(
        database, commune=A, name="Hoàng Văn Thái", text="Cầu treo bản Khuổi bị hỏng"
    )
    page = staff_client(personas.officer_a).get(f"/conversations/{conversation_id}")
    assert page.status_code == 200
    assert "<title>Hoàng Văn Thái · Dân Vận</title>" in page.text
    text = page.text
    log = text[text.index('id="messages"') :]
    # Oldest first.
    assert log.index("Tôi ở xã Minh Quang") < log.index("Cầu treo bản Khuổi bị hỏng")
    assert "người dân cho biết" in text  # where the commune came from
    assert "Đang quan tâm" in text  # follower of the OA
    assert conversation(database, conversation_id).unread_count == 0


def test_the_phone_is_shown_only_when_the_citizen_shared_it(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)
    assert "Số điện thoại" not in officer.get(f"/conversations/{conversation_id}").text
    with database.session() as session:
        contact = conversation(database, conversation_id).contact
        session.execute(
            update(type(contact)).where(type(contact).id == contact.id).values(phone="0912345678")
        )
    page = officer.get(f"/conversations/{conversation_id}").text
    assert "Số điện thoại" in page
    assert "0912345678" in page


def test_a_reply_queues_an_outbox_row_and_shows_waiting_to_send(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)
    response = officer.post(
        f"/conversations/{conversation_id}/reply", {"text": "Xã đã cử người xuống kiểm tra."}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/conversations/{conversation_id}"
    [reply] = _replies(database, conversation_id)
    assert reply.text == "Xã đã cử người xuống kiểm tra."
    with database.session() as session:
        item = session.scalars(select(OutboxItem).where(OutboxItem.message_id == reply.id)).one()
        assert item.status == OutboxStatus.PENDING
    page = officer.get(f"/conversations/{conversation_id}").text
    assert "Đã đưa câu trả lời vào hàng chờ gửi." in page
    article = page[page.index(f'id="msg-{reply.id}"') :]
    assert "Đang chờ gửi" in article
    assert "Nguyễn Văn An" in article  # who wrote it
    [entry] = _audit(database, "reply")
    assert entry.actor_id == personas.officer_a.user.id


def test_a_reply_is_normalised_to_nfc(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    decomposed = "Xin cha\u0300o"  # "Xin chào" typed with a combining grave accent
    staff_client(personas.officer_a).post(
        f"/conversations/{conversation_id}/reply", {"text": decomposed}
    )
    assert _replies(database, conversation_id)[0].text == "Xin chào"


def test_an_empty_or_too_long_reply_shows_the_cores_error_and_queues_nothing(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)
    empty = officer.post(f"/conversations/{conversation_id}/reply", {"text": "   "})
    assert empty.status_code == 422
    assert "Nội dung trả lời không được để trống" in empty.text
    long_text = "Dài " * 2100
    too_long = officer.post(f"/conversations/{conversation_id}/reply", {"text": long_text})
    assert too_long.status_code == 422
    assert "dài quá 8000 ký tự" in too_long.text
    assert long_text.strip() in too_long.text  # what was typed is not lost
    assert _replies(database, conversation_id) == []
    assert _audit(database, "reply") == []


def test_assigning_a_colleague_is_audited(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)
    page = officer.get(f"/conversations/{conversation_id}").text
    # Colleagues of the commune can be picked; viewers and other communes cannot.
    assert "Trần Thị Bình" in page
    assert "Lê Văn Xem" not in page
    assert "Phạm Văn Cường" not in page
    response = officer.post(
        f"/conversations/{conversation_id}/assign", {"assignee_id": personas.colleague_a.user.id}
    )
    assert response.status_code == 303
    assert conversation(database, conversation_id).assignee_id == personas.colleague_a.user.id
    [entry] = _audit(database, "assign")
    assert entry.detail == {"assignee_id": personas.colleague_a.user.id}
    officer.post(f"/conversations/{conversation_id}/assign", {"assignee_id": ""})
    assert conversation(database, conversation_id).assignee_id is None


def test_assigning_someone_outside_the_commune_is_refused(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)
    for assignee in (personas.officer_b.user.id, personas.viewer_a.user.id, 999999):
        response = officer.post(
            f"/conversations/{conversation_id}/assign", {"assignee_id": assignee}
        )
        assert response.status_code == 422
        assert 'class="field-error"' in response.text
    assert (
        officer.post(f"/conversations/{conversation_id}/assign", {"assignee_id": "abc"}).status_code
        == 422
    )
    assert conversation(database, conversation_id).assignee_id is None
    assert _audit(database, "assign") == []


def test_labels_can_be_picked_and_created_and_are_audited(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    first = citizen_writes(database, commune=A)
    second = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)
    officer.post(f"/conversations/{first}/labels", {"new_label": "Giao thông"})
    label = conversation(database, first).labels[0]
    assert label.name == "Giao thông"
    # The same label, typed without accents, is picked rather than duplicated.
    officer.post(f"/conversations/{second}/labels", {"new_label": "giao thong"})
    assert [lb.id for lb in conversation(database, second).labels] == [label.id]
    officer.post(
        f"/conversations/{second}/labels", {"label_ids": [str(label.id)], "new_label": "Khẩn"}
    )
    assert [lb.name for lb in conversation(database, second).labels] == ["Giao thông", "Khẩn"]
    officer.post(f"/conversations/{second}/labels", {})
    assert conversation(database, second).labels == []
    assert len(_audit(database, "label")) == 4
    page = officer.get(f"/conversations/{first}").text
    assert f'name="label_ids" value="{label.id}" checked' in page


def test_an_unknown_label_is_refused_and_nothing_is_created(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)
    response = officer.post(
        f"/conversations/{conversation_id}/labels", {"label_ids": ["424242"], "new_label": "Mới"}
    )
    assert response.status_code == 422
    assert "Nhãn không tồn tại" in response.text
    assert "Mới" not in [lb.name for lb in conversation(database, conversation_id).labels]
    with database.session() as session:
        assert session.scalars(select(Note)).all() == []
        from danvan.inbox.models import Label

        assert session.scalars(select(Label)).all() == []  # the new label was rolled back too


def test_notes_are_internal_never_sent_and_audited(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)
    response = officer.post(
        f"/conversations/{conversation_id}/notes", {"text": "Đã gọi trưởng thôn, chờ báo lại"}
    )
    assert response.status_code == 303
    page = staff_client(personas.colleague_a).get(f"/conversations/{conversation_id}").text
    notes = page[page.index('id="notes"') :]
    assert "Đã gọi trưởng thôn, chờ báo lại" in notes
    assert "không bao giờ gửi cho người dân" in page
    messages = page[page.index('id="messages"') : page.index('id="notes"')]
    assert "Đã gọi trưởng thôn" not in messages
    with database.session() as session:
        assert session.scalars(select(OutboxItem)).all() == []
    assert len(_audit(database, "note")) == 1
    assert officer.post(f"/conversations/{conversation_id}/notes", {"text": ""}).status_code == 422


def test_an_admin_moves_a_triage_conversation_to_a_commune(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, text="Cho hỏi ai phụ trách")
    admin = staff_client(personas.admin)
    page = admin.get(f"/conversations/{conversation_id}").text
    assert "Chưa rõ xã" in page
    assert page.count("<option value=") > 100  # every commune of the province
    assert 'data-filter-select="set-commune"' in page  # with a search box
    response = admin.post(f"/conversations/{conversation_id}/commune", {"commune_code": A})
    assert response.status_code == 303
    moved = conversation(database, conversation_id)
    assert moved.commune_code == A
    assert moved.contact.commune_source == "staff"
    [entry] = _audit(database, "set_commune")
    assert entry.detail == {"from": None, "to": A}
    assert (
        "cán bộ xác định"
        in staff_client(personas.officer_a).get(f"/conversations/{conversation_id}").text
    )


def test_an_officer_cannot_move_a_conversation_to_a_commune_not_theirs(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)
    page = officer.get(f"/conversations/{conversation_id}").text
    assert f'<option value="{B}"' not in page
    response = officer.post(f"/conversations/{conversation_id}/commune", {"commune_code": B})
    assert response.status_code == 422
    assert conversation(database, conversation_id).commune_code == A
    assert (
        officer.post(
            f"/conversations/{conversation_id}/commune", {"commune_code": "99999999"}
        ).status_code
        == 422
    )


def test_closing_and_reopening_are_audited(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)
    officer.post(f"/conversations/{conversation_id}/status", {"status": "closed"})
    assert conversation(database, conversation_id).status == "closed"
    page = officer.get(f"/conversations/{conversation_id}").text
    assert "Đã đóng cuộc hội thoại." in page
    assert "Mở lại hội thoại" in page
    officer.post(f"/conversations/{conversation_id}/status", {"status": "open"})
    assert conversation(database, conversation_id).status == "open"
    assert len(_audit(database, "conversation_closed")) == 1
    assert len(_audit(database, "conversation_open")) == 1
    bad = officer.post(f"/conversations/{conversation_id}/status", {"status": "deleted"})
    assert bad.status_code == 422


def test_the_poller_sends_only_what_changed(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, user_id="citizen-1", commune=A)
    officer = staff_client(personas.officer_a)
    officer.post(f"/conversations/{conversation_id}/reply", {"text": "Đã nhận phản ánh"})
    page = officer.get(f"/conversations/{conversation_id}").text
    url = poll_url(page)
    assert 'hx-trigger="every 3s"' in page
    assert officer.get(url).status_code == 204

    # The citizen writes again: only the new message comes, appended out of band.
    citizen_writes(database, user_id="citizen-1", text="Cảm ơn cán bộ", at=utcnow())
    update_ = officer.get(url)
    assert update_.status_code == 200
    assert 'hx-swap-oob="beforeend:#messages"' in update_.text
    assert "Cảm ơn cán bộ" in update_.text
    assert "Đã nhận phản ánh" not in update_.text
    assert "<textarea" not in update_.text
    assert conversation(database, conversation_id).unread_count == 0  # seen while open
    url = poll_url(update_.text)
    assert officer.get(url).status_code == 204

    # The worker sends the reply: its state is replaced in place.
    [reply] = _replies(database, conversation_id)
    with database.session() as session:
        session.execute(
            update(Message).where(Message.id == reply.id).values(delivery_status=Delivery.SENT)
        )
    changed = officer.get(url)
    assert changed.status_code == 200
    assert f'id="delivery-{reply.id}" hx-swap-oob="true"' in changed.text
    assert "Đã gửi" in changed.text
    assert "Cảm ơn cán bộ" not in changed.text
    url = poll_url(changed.text)

    # A colleague adds a note.
    staff_client(personas.colleague_a).post(
        f"/conversations/{conversation_id}/notes", {"text": "Tôi sẽ gọi lại"}
    )
    noted = officer.get(url)
    assert 'hx-swap-oob="beforeend:#notes"' in noted.text
    assert "Tôi sẽ gọi lại" in noted.text
    assert officer.get(poll_url(noted.text)).status_code == 204


def test_delivery_states_are_shown_in_vietnamese(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)
    states = {
        Delivery.QUEUED: "Đang chờ gửi",
        Delivery.SENDING: "Đang gửi",
        Delivery.RETRYING: "Thử lại sau",
        Delivery.SENT: "Đã gửi",
        Delivery.DELIVERED: "Đã nhận",
        Delivery.SEEN: "Đã xem",
        Delivery.FAILED: "Không gửi được",
        Delivery.UNREACHABLE: "Không gửi được",
        Delivery.UNCERTAIN: "Không xác định",
    }
    for status in states:
        officer.post(f"/conversations/{conversation_id}/reply", {"text": f"Trả lời {status}"})
    with database.session() as session:
        for status in states:
            session.execute(
                update(Message)
                .where(Message.text == f"Trả lời {status}")
                .values(
                    delivery_status=status,
                    delivery_error="Người dân chưa quan tâm OA (-213)"
                    if status in (Delivery.FAILED, Delivery.UNREACHABLE)
                    else None,
                )
            )
    page = officer.get(f"/conversations/{conversation_id}").text
    page = page[page.index('id="messages"') :]
    for status, label in states.items():
        article = page[page.index(f"Trả lời {status}") :]
        article = article[: article.index("</article>")]
        assert f'<span class="state-label">{label}</span>' in article, status
        if status in (Delivery.FAILED, Delivery.UNREACHABLE):
            assert "Người dân chưa quan tâm OA (-213)" in article
        assert ("Gửi lại" in article) == (status in (Delivery.UNCERTAIN, Delivery.FAILED))


def test_an_uncertain_reply_can_be_sent_again(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=A)
    officer = staff_client(personas.officer_a)
    officer.post(f"/conversations/{conversation_id}/reply", {"text": "Có tới nơi không?"})
    [reply] = _replies(database, conversation_id)
    with database.session() as session:
        session.execute(
            update(Message).where(Message.id == reply.id).values(delivery_status=Delivery.UNCERTAIN)
        )
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.message_id == reply.id)
            .values(status=OutboxStatus.UNCERTAIN)
        )
    page = officer.get(f"/conversations/{conversation_id}").text
    assert f'hx-post="/conversations/{conversation_id}/messages/{reply.id}/retry"' in page
    response = officer.post(
        f"/conversations/{conversation_id}/messages/{reply.id}/retry",
        headers={"HX-Request": "true", "X-CSRF-Token": officer.csrf},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(
        f'<div class="delivery state-queued" id="delivery-{reply.id}"'
    )
    assert "Đang chờ gửi" in response.text
    with database.session() as session:
        item = session.scalars(select(OutboxItem).where(OutboxItem.message_id == reply.id)).one()
        assert item.status == OutboxStatus.PENDING
    assert len(_audit(database, "resend")) == 1
    # Once queued again, it cannot be resent a second time.
    again = officer.post(f"/conversations/{conversation_id}/messages/{reply.id}/retry")
    assert again.status_code == 422
    assert len(_audit(database, "resend")) == 1


def test_a_message_of_another_conversation_cannot_be_resent_through_this_one(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    mine = citizen_writes(database, commune=A)
    theirs = citizen_writes(database, commune=B)
    with database.session() as session:
        their_message = session.scalars(
            select(Message.id).where(Message.conversation_id == theirs)
        ).first()
    officer = staff_client(personas.officer_a)
    response = officer.post(f"/conversations/{mine}/messages/{their_message}/retry")
    assert response.status_code == 404


def test_media_is_shown_safely(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    attachments = (
        Attachment(type="image", url="https://cdn.zalo.example/a.jpg"),
        Attachment(type="image", url="javascript:alert(1)"),
        Attachment(type="sticker", url="https://cdn.zalo.example/sticker.png"),
        Attachment(type="location", latitude=22.1234, longitude=105.2345),
        Attachment(type="file", url="https://cdn.zalo.example/don.pdf", name="don.pdf", size=20480),
        Attachment(type="link", url="http://example.vn/tin", title="Tin tức xã"),
        Attachment(type="audio", url="https://cdn.zalo.example/voice.aac"),
        Attachment(type="video", url="data:text/html,<script>alert(1)</script>"),
    )
    conversation_id = citizen_writes(
        database, commune=A, text="", kind="image", attachments=attachments
    )
    page = staff_client(personas.officer_a).get(f"/conversations/{conversation_id}").text
    assert (
        '<img src="https://cdn.zalo.example/a.jpg" alt="Hình ảnh" loading="lazy" '
        'referrerpolicy="no-referrer"' in page
    )
    assert "javascript:" not in page
    assert "data:text/html" not in page
    assert 'src="https://cdn.zalo.example/sticker.png"' in page
    assert "22.12340, 105.23450" in page
    assert (
        'href="https://www.openstreetmap.org/?mlat=22.123400&amp;mlon=105.234500'
        '#map=17/22.123400/105.234500" target="_blank" rel="noopener noreferrer"' in page
    )
    assert re.search(
        r'href="https://cdn.zalo.example/don.pdf" target="_blank" rel="noopener noreferrer">'
        r"\s*<span aria-hidden=\"true\">📎</span> don.pdf\s*<span class=\"muted\">\(20,0 KB\)",
        page,
    )
    assert ">Tin tức xã</a>" in page
    assert 'href="https://cdn.zalo.example/voice.aac"' in page
    assert "[Video]" in page  # a video whose URL is not http(s) is named, not linked
    assert "tile.openstreetmap" not in page  # no external map tiles


def test_outbound_messages_say_who_sent_them(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    # No commune named, and this deployment asks for it automatically.
    conversation_id = citizen_writes(
        database, user_id="citizen-9", text="Cho hỏi", ask_commune=True
    )
    with database.session() as session:
        echo = InboundEvent(
            channel="zalo_oa",
            kind=EventKind.ECHO,
            event_name="oa_send_text",
            dedupe_key="echo-1",
            occurred_at=utcnow() + timedelta(seconds=1),
            user_id="citizen-9",
            message_id="oa-msg-1",
            text="Trả lời từ hộp thư Zalo",
            raw="{}",
        )
        ingest_events(session, events=[echo], province_code=8)
    admin = staff_client(personas.admin)
    admin.post(f"/conversations/{conversation_id}/reply", {"text": "Trả lời từ Dân Vận"})
    page = admin.get(f"/conversations/{conversation_id}").text
    page = page[page.index('id="messages"') :]

    def source_of(text: str) -> str:
        article = page[page.index(text) :]
        found = re.search(r'<span class="msg-source">\s*(.*?)\s*</span>', article, re.S)
        assert found
        return found.group(1)

    assert source_of("bạn đang sinh sống ở xã/phường nào") == "Tin nhắn tự động"
    assert source_of("Trả lời từ hộp thư Zalo") == "Gửi từ Zalo OA"
    assert source_of("Trả lời từ Dân Vận") == "Quản trị Tỉnh"


def test_staff_ask_a_triage_citizen_for_their_commune_from_the_page(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, user_id="citizen-ask", text="Đường hỏng quá")
    admin = staff_client(personas.admin)
    page = admin.get(f"/conversations/{conversation_id}").text
    assert f'action="/conversations/{conversation_id}/ask-commune"' in page
    admin.post(f"/conversations/{conversation_id}/ask-commune", {})
    page = admin.get(f"/conversations/{conversation_id}").text
    assert "bạn đang sinh sống ở xã/phường nào" in page
    assert f'action="/conversations/{conversation_id}/ask-commune"' not in page
    assert "Đã hỏi người dân về xã/phường." in page


def test_a_web_form_photo_is_shown_to_staff_and_other_relative_links_are_not(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    photo = "/media/" + "a" * 32 + ".jpg"
    conversation_id = citizen_writes(
        database,
        channel="web",
        commune=2302,
        kind="image",
        attachments=(
            Attachment(type="image", url=photo),
            Attachment(type="image", url="/admin/users"),
        ),
    )
    page = staff_client(personas.officer_a).get(f"/conversations/{conversation_id}").text
    assert f'src="{photo}"' in page
    assert 'src="/admin/users"' not in page
