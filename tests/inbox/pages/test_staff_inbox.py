"""The inbox: what each row shows, the filters, search with and without diacritics, polling and
pagination. The order (urgent and waiting first) is pinned in test_inbox_order.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from staff_helpers import listed

from danvan.inbox import conversations as inbox
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.testing.citizens import citizen_writes
from danvan.testing.staff import Staff

A, B = 2302, 2269


@dataclass
class Inbox:
    lamp: int  # Xã Minh Quang, Zalo OA
    land: int  # Xã Minh Quang, Zalo Bot
    form: int  # Xã Minh Quang, web form
    other: int  # Xã Thượng Lâm
    triage: int  # commune unknown


@pytest.fixture
def conversations(database: Database, personas) -> Inbox:
    now = utcnow()
    return Inbox(
        lamp=citizen_writes(
            database, commune=A, name="Hoàng Văn Thái", text="Đèn đường thôn 3 bị hỏng", at=now
        ),
        land=citizen_writes(
            database,
            commune=A,
            channel="zalo_bot",
            name="Lý Thị Mai",
            text="Hỏi thủ tục cấp sổ đỏ",
            at=now - timedelta(minutes=5),
        ),
        form=citizen_writes(
            database,
            commune=A,
            channel="web",
            name="Vàng A Páo",
            text="Xin hỏi lịch tiêm phòng",
            at=now - timedelta(minutes=10),
        ),
        other=citizen_writes(
            database, commune=B, name="Người Thượng Lâm", text="Nước sinh hoạt bị đục"
        ),
        triage=citizen_writes(database, name="Chưa rõ xã", text="Cho hỏi ai phụ trách"),
    )


def test_each_row_shows_name_channel_commune_preview_time_and_unread(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    at = datetime(2026, 1, 15, 1, 30, tzinfo=UTC)  # 08:30 in Hà Nội
    conversation_id = citizen_writes(
        database, commune=A, name="Hoàng Văn Thái", text="Đèn đường thôn 3 bị hỏng", at=at
    )
    with database.session() as session:
        conversation = inbox.access_conversation(
            session, actor=personas.officer_a.actor, conversation_id=conversation_id
        )
        inbox.do_assign(
            session,
            actor=personas.officer_a.actor,
            conversation=conversation,
            assignee_id=personas.colleague_a.user.id,
        )
        label = inbox.get_or_create_label(session, actor=personas.officer_a.actor, name="Điện")
        inbox.do_set_labels(
            session, actor=personas.officer_a.actor, conversation=conversation, label_ids=[label.id]
        )
    page = staff_client(personas.officer_a).get("/inbox")
    assert page.status_code == 200
    row = page.text[page.text.index(f'data-conversation="{conversation_id}"') :]
    assert "Hoàng Văn Thái" in row
    assert "Zalo OA" in row
    assert "Xã Minh Quang" in row
    assert "Đèn đường thôn 3 bị hỏng" in row
    assert 'title="15/01/2026 08:30"' in row
    assert 'title="2 tin chưa đọc"' in row  # the commune it named, then its request
    assert "@Trần Thị Bình" in row
    assert '<span class="label">Điện</span>' in row


def test_todays_times_are_relative(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    at = utcnow() - timedelta(minutes=3)
    citizen_writes(database, commune=A, at=at)
    page = staff_client(personas.officer_a).get("/inbox")
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    if at.astimezone(tz).date() == utcnow().astimezone(tz).date():
        assert re.search(r">[34] phút trước</time>", page.text)
    else:  # just after midnight in Hà Nội
        assert "Hôm qua" in page.text


def test_an_officer_sees_only_the_conversations_of_their_communes(
    conversations: Inbox, personas, staff_client: Callable[..., Staff]
) -> None:
    page = staff_client(personas.officer_a).get("/inbox")
    # All three wait for an answer: the longest waiting first.
    assert listed(page.text) == [conversations.form, conversations.land, conversations.lamp]
    assert "Người Thượng Lâm" not in page.text
    assert "Chưa rõ xã" not in page.text


def test_the_commune_filter(
    conversations: Inbox, personas, staff_client: Callable[..., Staff]
) -> None:
    admin = staff_client(personas.admin)
    everything = listed(admin.get("/inbox").text)
    assert set(everything) == {*vars(conversations).values()}
    assert set(listed(admin.get(f"/inbox?commune={B}").text)) == {conversations.other}
    assert conversations.other not in listed(admin.get(f"/inbox?commune={A}").text)
    # An officer's commune choice lists only their communes; another one shows nothing.
    officer = staff_client(personas.officer_a)
    page = officer.get("/inbox")
    assert f'<option value="{A}">Xã Minh Quang</option>' in page.text
    assert f'<option value="{B}"' not in page.text
    assert listed(officer.get(f"/inbox?commune={B}").text) == []


def test_the_channel_filter(
    conversations: Inbox, personas, staff_client: Callable[..., Staff]
) -> None:
    officer = staff_client(personas.officer_a)
    assert listed(officer.get("/inbox?channel=zalo_bot").text) == [conversations.land]
    assert listed(officer.get("/inbox?channel=web").text) == [conversations.form]
    assert listed(officer.get("/inbox?channel=zalo_oa").text) == [conversations.lamp]


def test_the_unread_filter(
    conversations: Inbox, personas, staff_client: Callable[..., Staff]
) -> None:
    officer = staff_client(personas.officer_a)
    officer.get(f"/conversations/{conversations.form}")  # opening it reads it
    assert listed(officer.get("/inbox?unread=1").text) == [conversations.land, conversations.lamp]


def test_the_assigned_to_me_filter(
    conversations: Inbox, personas, staff_client: Callable[..., Staff]
) -> None:
    officer = staff_client(personas.officer_a)
    officer.post(
        f"/conversations/{conversations.land}/assign", {"assignee_id": personas.officer_a.user.id}
    )
    officer.post(
        f"/conversations/{conversations.lamp}/assign",
        {"assignee_id": personas.colleague_a.user.id},
    )
    assert listed(officer.get("/inbox?mine=1").text) == [conversations.land]
    colleague = staff_client(personas.colleague_a)
    assert listed(colleague.get("/inbox?mine=1").text) == [conversations.lamp]


def test_the_triage_filter_is_for_admins(
    conversations: Inbox, personas, staff_client: Callable[..., Staff]
) -> None:
    admin = staff_client(personas.admin)
    page = admin.get("/inbox?triage=1")
    assert listed(page.text) == [conversations.triage]
    assert "Chưa rõ xã" in page.text
    officer = staff_client(personas.officer_a)
    assert 'name="triage"' not in officer.get("/inbox").text
    assert conversations.triage not in listed(officer.get("/inbox?triage=1").text)


def test_the_status_and_label_filters(
    conversations: Inbox, personas, staff_client: Callable[..., Staff]
) -> None:
    officer = staff_client(personas.officer_a)
    officer.post(f"/conversations/{conversations.land}/status", {"status": "closed"})
    officer.post(f"/conversations/{conversations.form}/labels", {"new_label": "Y tế"})
    assert listed(officer.get("/inbox?status=closed").text) == [conversations.land]
    assert conversations.land not in listed(officer.get("/inbox?status=open").text)
    page = officer.get("/inbox")
    label_id = re.search(r'<option value="(\d+)">Y tế</option>', page.text)
    assert label_id
    assert listed(officer.get(f"/inbox?label={label_id.group(1)}").text) == [conversations.form]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Đèn đường", "lamp"),
        ("den duong", "lamp"),
        ("DEN DUONG", "lamp"),
        ("hoàng văn", "lamp"),
        ("hoang van thai", "lamp"),
        ("ly thi mai", "land"),
        ("so do", "land"),
        ("tiêm phòng", "form"),
    ],
)
def test_search_works_with_and_without_diacritics(
    conversations: Inbox, personas, staff_client: Callable[..., Staff], query: str, expected: str
) -> None:
    page = staff_client(personas.officer_a).get("/inbox", params={"q": query})
    assert listed(page.text) == [getattr(conversations, expected)]
    assert f'value="{query}"' in page.text


def test_search_never_reaches_outside_the_officers_communes(
    conversations: Inbox, personas, staff_client: Callable[..., Staff]
) -> None:
    officer = staff_client(personas.officer_a)
    assert listed(officer.get("/inbox", params={"q": "nuoc sinh hoat"}).text) == []


def test_the_list_refreshes_itself_and_answers_204_while_nothing_changed(
    database: Database, conversations: Inbox, personas, staff_client: Callable[..., Staff]
) -> None:
    officer = staff_client(personas.officer_a)
    page = officer.get("/inbox")
    assert 'hx-trigger="every 5s"' in page.text
    poll = re.search(r'id="inbox-list" class="conv-list"\s+hx-get="([^"]+)"', page.text)
    assert poll
    url = poll.group(1).replace("&amp;", "&")
    unchanged = officer.get(url)
    if unchanged.status_code == 200:  # the minute turned: relative times changed; ask again
        again = re.search(r'hx-get="([^"]+)"', unchanged.text)
        assert again
        url = again.group(1).replace("&amp;", "&")
        unchanged = officer.get(url)
    assert unchanged.status_code == 204
    newcomer = citizen_writes(database, commune=A, name="Người mới", text="Tin mới đến")
    changed = officer.get(url)
    assert changed.status_code == 200
    assert listed(changed.text)[-1] == newcomer  # it has waited the least
    assert "Tin mới đến" in changed.text
    assert changed.text.lstrip().startswith('<div id="inbox-list"')  # a fragment, not a page


def test_older_conversations_come_by_keyset_pages(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    same_time = utcnow() - timedelta(hours=1)  # ties on the sort key must not lose a row
    ids = [citizen_writes(database, commune=A, at=same_time) for _ in range(51)]
    officer = staff_client(personas.officer_a)
    first = officer.get("/inbox?channel=zalo_oa")
    shown = listed(first.text)
    assert len(shown) == 50
    older = re.search(r'<a class="btn" href="(/inbox\?[^"]+)">Cũ hơn', first.text)
    assert older
    second = officer.get(older.group(1).replace("&amp;", "&"))
    rest = listed(second.text)
    assert sorted(shown + rest) == sorted(ids)
    assert "channel=zalo_oa" in older.group(1)
    # An older page stays put while it is read (only the urgency badges refresh in place).
    assert 'hx-trigger="every 5s"' not in second.text


@pytest.mark.parametrize("query", ["commune=abc", "before=yesterday", "label=x1"])
def test_a_malformed_filter_gets_a_clear_4xx(
    personas, staff_client: Callable[..., Staff], query: str
) -> None:
    page = staff_client(personas.officer_a).get(f"/inbox?{query}")
    assert page.status_code == 422
    assert "không hợp lệ" in page.text
    assert "<html" in page.text
