"""Citizen text is untrusted: hostile names, messages, notes and labels are shown as text."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from staff_helpers import poll_url

from danvan.channels.base import Attachment
from danvan.kernel.db import Database
from danvan.testing.citizens import citizen_writes
from danvan.testing.staff import Staff

SCRIPT = '<script>alert("x")</script>'
BREAKOUT = '"><img src=x onerror=alert(1)>'
LINK = 'https://example.vn/"><svg/onload=alert(1)>'
RAW = ("<script>alert", "<img src=x", "onerror=alert(1)>", "<svg/onload")


def _assert_escaped(html: str) -> None:
    for raw in RAW:
        assert raw not in html
    assert "&lt;script&gt;alert(" in html or "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.fixture
def hostile(database: Database) -> int:
    return citizen_writes(
        database,
        user_id="hostile",
        commune=2302,
        name=SCRIPT,
        text=BREAKOUT,
        attachments=(Attachment(type="link", url=LINK, title=SCRIPT),),
    )


def test_a_hostile_name_and_message_are_escaped_in_the_inbox(
    hostile: int, personas, staff_client: Callable[..., Staff]
) -> None:
    page = staff_client(personas.officer_a).get("/inbox").text
    _assert_escaped(page)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_hostile_name_and_message_are_escaped_in_the_conversation(
    hostile: int, personas, staff_client: Callable[..., Staff]
) -> None:
    officer = staff_client(personas.officer_a)
    page = officer.get(f"/conversations/{hostile}").text
    _assert_escaped(page)
    assert "<title>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; · Dân Vận</title>" in page
    assert '<p class="msg-text">&#34;&gt;&lt;img src=x onerror=alert(1)&gt;</p>' in page
    # A link's URL stays inside its attribute.
    assert 'href="https://example.vn/&#34;&gt;&lt;svg/onload=alert(1)&gt;"' in page
    assert ">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</a>" in page


def test_hostile_text_is_escaped_in_the_pollers_fragments(
    database: Database, hostile: int, personas, staff_client: Callable[..., Staff]
) -> None:
    officer = staff_client(personas.officer_a)
    url = poll_url(officer.get(f"/conversations/{hostile}").text)
    citizen_writes(database, user_id="hostile", name=SCRIPT, text=SCRIPT + BREAKOUT)
    fragment = officer.get(url).text
    _assert_escaped(fragment)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in fragment
    listing = officer.get("/inbox/list").text
    _assert_escaped(listing)


def test_hostile_notes_labels_and_replies_are_escaped(
    hostile: int, personas, staff_client: Callable[..., Staff]
) -> None:
    officer = staff_client(personas.officer_a)
    officer.post(f"/conversations/{hostile}/notes", {"text": SCRIPT})
    officer.post(f"/conversations/{hostile}/labels", {"new_label": BREAKOUT})
    officer.post(f"/conversations/{hostile}/reply", {"text": SCRIPT})
    for url in (f"/conversations/{hostile}", "/inbox"):
        _assert_escaped(officer.get(url).text)
    invalid = officer.post(f"/conversations/{hostile}/reply", {"text": SCRIPT * 400})
    assert invalid.status_code == 422
    _assert_escaped(invalid.text)


def test_a_hostile_email_typed_at_login_is_escaped_in_the_form_and_the_audit_log(
    personas, staff_client: Callable[..., Staff]
) -> None:
    visitor = staff_client()
    failed = visitor.login(BREAKOUT + "@x.vn", "wrong password")
    _assert_escaped(failed.text)
    audit = staff_client(personas.admin).get("/admin/audit").text
    _assert_escaped(audit)
    assert "onerror=alert(1)&gt;@x.vn" in audit


def test_no_template_marks_data_safe() -> None:
    from pathlib import Path

    import danvan.web

    root = Path(danvan.web.__file__).parent / "templates"
    for folder in ("staff", "partials", "admin"):
        for template in (root / folder).rglob("*.html"):
            assert "|safe" not in template.read_text(encoding="utf-8").replace(" ", ""), template
    assert "|safe" not in (root / "base.html").read_text(encoding="utf-8").replace(" ", "")
