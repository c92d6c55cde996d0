"""The web kit's shared parts (issue 14): the menu (an admin group; a "Menu" disclosure for
phones, working without script), the favicon on every page with cache headers, and the one
helper that cuts text at a word."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from danvan.kernel import areas
from danvan.kernel.text import preview, shorten
from danvan.testing.staff import Staff


def _staff(app: FastAPI, persona: Any) -> Staff:
    return Staff.signed_in(TestClient(app), persona.user.email, persona.password)


def test_the_admin_links_sit_under_one_entry_and_phones_get_a_menu(
    app: FastAPI, personas: Any
) -> None:
    admin = _staff(app, personas.admin).get("/inbox").text
    bar = admin.split('<nav class="mainnav"')[1].split("</nav>")[0]
    group = bar.split('<details class="nav-group" data-menu>')[1].split("</details>")[0]
    assert "<summary>Quản trị</summary>" in group
    assert 'href="/admin/users"' in group
    assert 'href="/admin/audit"' in group
    # Every area's link once: the admin-only ones inside the group, the others outside it.
    links = areas.nav_links(admin=True)
    assert bar.count("<a ") == len(links)
    assert group.count("<a ") == sum(1 for link in links if link.admin_only)
    # The phone menu: a <details> (keyboard and no script), a vertical list of every link.
    sheet = admin.split('<details class="nav-phone" data-menu>')[1].split("</details>")[0]
    assert re.search(r"<summary[^>]*>.*Menu</summary>", sheet)
    for href in ("/inbox", "/cases", "/dashboard", "/outreach", "/training", "/admin/audit"):
        assert f'href="{href}"' in sheet
    assert 'aria-current="page"' in sheet  # the inbox, here too

    officer = _staff(app, personas.officer_a).get("/cases").text
    assert "Quản trị</summary>" not in officer  # no admin group (calls still fold under the inbox)
    assert "/admin/audit" not in officer
    assert '<details class="nav-phone" data-menu>' in officer


def test_every_page_links_the_favicon_served_with_cache_headers(
    app: FastAPI, client: TestClient, personas: Any
) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.headers["cache-control"] == "public, max-age=604800"
    assert icon.content[:4] == b"\x00\x00\x01\x00"
    link = '<link rel="icon" href="/favicon.ico" sizes="any">'
    for path in ("/login", "/gop-y", "/tra-cuu", "/chung-nhan"):
        assert link in client.get(path).text, path
    assert link in _staff(app, personas.officer_a).get("/inbox").text
    assert 'href="data:,"' not in client.get("/login").text


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Đèn đường tắt", 40, "Đèn đường tắt"),
        (
            "Đường liên thôn Bản Pài bị sạt lở nghiêm trọng sau mưa",
            30,
            "Đường liên thôn Bản Pài bị…",
        ),
        ("Cầu tràn ngập,   nước   lên cao quá mức báo động", 24, "Cầu tràn ngập, nước lên…"),
        ("x" * 50, 20, "x" * 19 + "…"),  # one long word: cut inside it
    ],
)
def test_text_is_cut_at_a_word_with_an_ellipsis(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit
    assert preview(text, limit) == expected


def test_shortened_text_is_escaped_once() -> None:
    from danvan.web.templating import env

    page = env.from_string("{{ v|shorten(40) }} {{ items|join(', ')|shorten(40) }}")
    assert page.render(v="a & <b>", items=["x&y", "<i>"]) == "a &amp; &lt;b&gt; x&amp;y, &lt;i&gt;"


def test_a_menu_too_long_for_one_bar_gets_a_row_of_its_own(
    app: FastAPI, personas: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from danvan.kernel.areas import nav_links
    from danvan.web import templating
    from danvan.web.i18n import translator

    def body(staff: Staff) -> str:
        return staff.get("/inbox").text.split("<body", 1)[1].split(">", 1)[0]

    vi = translator("vi")
    # The bar's width with every badge showing, and with none.
    widest = templating.nav_width(
        [(link, 3 if link.badge else 0) for link in nav_links(admin=True)], vi
    )
    narrowest = templating.nav_width([(link, 0) for link in nav_links(admin=True)], vi)
    admin = _staff(app, personas.admin)
    monkeypatch.setattr(templating, "NAV_ROOM", widest)  # the menu fits the bar
    assert "nav-long" not in body(admin)
    monkeypatch.setattr(templating, "NAV_ROOM", narrowest - 1)  # it cannot
    assert "nav-long" in body(admin)


def test_calls_and_label_review_fold_under_their_parents_so_the_admins_bar_keeps_one_row(
    app: FastAPI, personas: Any
) -> None:
    from danvan.kernel.areas import nav_links
    from danvan.web import templating
    from danvan.web.i18n import translator

    page = _staff(app, personas.admin).get("/inbox").text
    body = page.split("<body", 1)[1].split(">", 1)[0]
    assert "nav-long" not in body  # the Vietnamese admin's menu, no badge on a drop-down
    bar = page.split('<ul class="nav-bar">', 1)[1].split("</nav>", 1)[0]
    for parent, child in (("Hộp thư", "/inbox/calls"), ("Tình hình dư luận", "/analysis/review")):
        group = bar.split(f"Thêm trong mục {parent}", 1)[1].split("</details>", 1)[0]
        assert f'href="{child}"' in group
        assert bar.count(f'href="{child}"') == 1  # only in the drop-down, not as a bar entry
    sheet = page.split('class="nav-sheet"', 1)[1]
    assert 'href="/inbox/calls"' in sheet  # phones list every link
    links = [(link, 0) for link in nav_links(admin=True)]
    assert templating.nav_width(links, translator("vi")) <= templating.NAV_ROOM
