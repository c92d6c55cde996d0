"""Security headers on every response, and pages that need no inline script or style."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from danvan.kernel.db import Database
from danvan.testing.citizens import citizen_writes
from danvan.testing.staff import Staff
from danvan.web.security_headers import CSP


def _directives(header: str) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in header.split(";")
        if part.strip()
    }


def test_pages_carry_a_strict_policy(client: TestClient) -> None:
    response = client.get("/login")
    policy = _directives(response.headers["content-security-policy"])
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert "unsafe-eval" not in response.headers["content-security-policy"]
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_every_kind_of_response_gets_the_headers(client: TestClient) -> None:
    for url in ("/static/app.css", "/healthz", "/inbox", "/no-such-page"):
        response = client.get(url, follow_redirects=False)
        assert response.headers["x-frame-options"] == "DENY", url
        assert "content-security-policy" in response.headers, url


def test_staff_pages_have_no_inline_scripts_styles_or_handlers(
    database: Database, personas, staff_client: Callable[..., Staff]
) -> None:
    conversation_id = citizen_writes(database, commune=2302)
    admin = staff_client(personas.admin)
    for url in ("/inbox", f"/conversations/{conversation_id}", "/admin/users", "/admin/audit"):
        page = admin.get(url)
        assert page.headers["cache-control"] == "no-store", url
        html = page.text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], url
        assert "<style" not in html, url
        assert not re.search(r"\sstyle=", html), url
        assert not re.search(r"\son[a-z]+=", html), url
        assert "hx-on" not in html, url
        assert '"includeIndicatorStyles": false' in html  # htmx must not inject a <style>


def test_the_api_docs_page_works_offline_under_the_strict_policy(client: TestClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CSP
    assert "cdn" not in response.text
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.text) == []
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', response.text):
        assert client.get(asset).status_code == 200, asset
    assert response.headers["x-frame-options"] == "DENY"
