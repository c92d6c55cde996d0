"""Vietnamese first, English on request; every UI string comes from the catalogs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

import danvan.web
from danvan.accounts.models import Role
from danvan.inbox.conversations import CHANNELS
from danvan.inbox.models import Delivery
from danvan.inbox.routes.pages import KINDS
from danvan.kernel.db import Database
from danvan.kernel.errors import Invalid, NotFound
from danvan.testing.citizens import citizen_writes
from danvan.testing.staff import Staff, csrf_of
from danvan.web.i18n import catalogs, translate, translate_error, translator

WEB = Path(danvan.web.__file__).parent
# Every template of every area (public pages included): their keys live in the merged catalogs.
TEMPLATES = sorted((WEB / "templates").rglob("*.html"))
LOCALES = WEB / "locales"


def _catalog(name: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((LOCALES / f"{name}.json").read_text("utf-8"))
    return data


def test_switching_to_english_and_back(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=2302)
    officer = staff_client(personas.officer_a)
    officer.post(f"/conversations/{conversation_id}/reply", {"text": "Đã nhận"})
    switched = officer.post("/lang", {"locale": "en", "next": f"/conversations/{conversation_id}"})
    assert switched.status_code == 303
    assert switched.headers["location"] == f"/conversations/{conversation_id}"
    page = officer.get(f"/conversations/{conversation_id}").text
    assert '<html lang="en">' in page
    assert "Sign out" in page
    assert "Waiting to send" in page
    assert "Internal notes" in page
    assert "Đăng xuất" not in page
    assert "Đã nhận" in page  # people's words are never translated
    assert "Inbox" in officer.get("/inbox").text
    officer.post("/lang", {"locale": "vi", "next": "/inbox"})
    assert "Hộp thư" in officer.get("/inbox").text


def test_the_language_survives_signing_in_and_out(client: TestClient, personas) -> None:
    token = csrf_of(client.get("/login").text)
    client.post("/lang", data={"locale": "en", "next": "/login", "csrf_token": token})
    login = client.get("/login").text
    assert "Sign in to Dân Vận" in login
    client.post(
        "/login",
        data={
            "email": personas.officer_a.user.email,
            "password": personas.officer_a.password,
            "csrf_token": csrf_of(login),
        },
    )
    inbox = client.get("/inbox").text
    assert "Sign out" in inbox
    client.post("/logout", data={"csrf_token": csrf_of(inbox)})
    assert "Sign in to Dân Vận" in client.get("/login").text


def test_an_unknown_language_falls_back_to_vietnamese(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/lang",
        data={"locale": "fr", "next": "https://evil.example", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/login"
    assert '<html lang="vi">' in client.get("/login").text


def test_both_catalogs_have_the_same_keys() -> None:
    """vi.json/en.json and every area's <area>.vi.json/<area>.en.json pair. (errors.en.json has
    no Vietnamese twin: its keys are the Vietnamese sentences themselves.)"""
    areas = {path.name.removesuffix(".vi.json") for path in LOCALES.glob("*.vi.json")}
    assert {"public"} <= areas
    for prefix in ["", *(f"{area}." for area in sorted(areas))]:
        assert set(_catalog(f"{prefix}vi")) == set(_catalog(f"{prefix}en")), prefix


def test_every_string_the_staff_templates_use_is_translated() -> None:
    used: set[str] = set()
    for template in TEMPLATES:
        used |= set(re.findall(r"""_\(["']([a-z0-9_.]+)["']""", template.read_text("utf-8")))
    used = {key for key in used if not key.endswith(".")}  # prefixes of built keys
    # Keys built from values ("delivery." ~ status and the like).
    used |= {"att.audio", "att.video"}
    used |= {f"delivery.{status.value}" for status in Delivery} | {"delivery.none"}
    used |= {f"role.{role.value}" for role in Role}
    used |= {f"kind.{kind}" for kind in KINDS}
    used |= {f"channel.{channel}" for channel in CHANNELS}
    used |= {"status.open", "status.closed", "commune_source.citizen", "commune_source.staff"}
    for locale in ("vi", "en"):
        missing = sorted(used - set(catalogs()[locale]))
        assert missing == [], (locale, missing)


def test_translations_fill_their_placeholders_and_fall_back() -> None:
    assert translate("vi", "time.minutes_ago", n=3) == "3 phút trước"
    assert translate("en", "time.minutes_ago", n=3) == "3 min ago"
    assert translator("xx")("inbox.title") == "Hộp thư"  # unknown locale: Vietnamese
    assert translate("en", "Một câu chưa dịch") == "Một câu chưa dịch"
    assert translate("vi", "time.minutes_ago") == "{n} phút trước"
    assert translate("vi", "time.minutes_ago", wrong=1) == "{n} phút trước"  # never a crash


def test_core_errors_read_in_the_users_language() -> None:
    too_long = Invalid("{what} dài quá {limit} ký tự", what="Ghi chú", limit=4000)
    assert too_long.message == "Ghi chú dài quá 4000 ký tự"  # what the API and the CLI show
    assert translate_error("vi", too_long) == "Ghi chú dài quá 4000 ký tự"
    assert translate_error("en", too_long) == "The note is longer than 4000 characters"
    assert translate_error("en", NotFound()) == "Not found"
    # A sentence nobody translated yet stays Vietnamese rather than failing.
    assert translate_error("en", Invalid("Câu mới chưa dịch")) == "Câu mới chưa dịch"


def test_an_english_officer_sees_core_errors_in_english(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=2302)
    officer = staff_client(personas.officer_a)
    officer.post("/lang", {"locale": "en", "next": "/inbox"})
    response = officer.post(f"/conversations/{conversation_id}/notes", {"text": "x" * 5000})
    assert response.status_code == 422
    assert "The note is longer than" in response.text
    assert "dài quá" not in response.text
