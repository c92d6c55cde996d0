"""Errors outside the staff pages: a friendly page in Vietnamese (English on request) for
browsers, the same JSON as before for API clients (Accept: application/json, /api/, webhooks,
Open311)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.web.app import create_app

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PROGRAM = {"Accept": "application/json"}


@pytest.fixture
def crashing_app(settings: Settings, database: Database) -> FastAPI:
    app = create_app(settings, database)

    @app.get("/gop-y-loi")
    def crash(status: int = 500) -> None:
        if status == 429:
            raise HTTPException(429, "refused", headers={"Retry-After": "60"})
        if status != 500:
            raise HTTPException(status, "refused")
        raise RuntimeError("boom")

    return app


@pytest.fixture
def crashing(crashing_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(crashing_app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/khong-co-trang-nay", 404, "Không tìm thấy trang"),
        ("/y-kien/999999", 404, "Không tìm thấy trang"),  # a refusal of the core
        ("/y-kien/abc", 422, "Địa chỉ hoặc thông tin không hợp lệ"),  # malformed path
        ("/tham-do/abc", 422, "Địa chỉ hoặc thông tin không hợp lệ"),
    ],
)
def test_browsers_get_a_friendly_page_in_vietnamese(
    client: TestClient, path: str, status: int, title: str
) -> None:
    page = client.get(path, headers=BROWSER)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="vi">' in page.text
    assert f'<h1 id="error-heading">{title}</h1>' in page.text
    assert '<link rel="stylesheet" href="/static/public.css">' in page.text
    assert 'href="/tra-cuu"' in page.text
    assert 'href="/gop-y"' in page.text
    assert "detail" not in page.text


def test_the_error_page_speaks_english_on_request(client: TestClient) -> None:
    page = client.get("/khong-co-trang-nay?lang=en", headers=BROWSER)
    assert page.status_code == 404
    assert '<html lang="en">' in page.text
    assert "Page not found" in page.text


@pytest.mark.parametrize(
    ("status", "title"), [(400, "Yêu cầu không hợp lệ"), (429, "Bạn thao tác quá nhiều lần")]
)
def test_a_bad_request_and_too_many_attempts_get_pages_too(
    crashing: TestClient, status: int, title: str
) -> None:
    page = crashing.get(f"/gop-y-loi?status={status}", headers=BROWSER)
    assert page.status_code == status
    assert title in page.text
    assert page.headers.get("retry-after") == ("60" if status == 429 else None)
    assert crashing.get(f"/gop-y-loi?status={status}", headers=PROGRAM).json() == {
        "detail": "refused"
    }


def test_a_crash_is_a_page_for_browsers_and_json_for_programs(crashing: TestClient) -> None:
    page = crashing.get("/gop-y-loi", headers=BROWSER)
    assert page.status_code == 500
    assert "Hệ thống đang gặp sự cố" in page.text
    assert "boom" not in page.text
    assert "Traceback" not in page.text
    program = crashing.get("/gop-y-loi", headers=PROGRAM)
    assert program.status_code == 500
    assert program.json() == {"detail": "Internal Server Error"}


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/v1/khong-co", BROWSER, 404),  # /api/ is JSON whatever the browser asks
        ("/open311/v2/khong-co", BROWSER, 404),
        ("/khong-co-trang-nay", PROGRAM, 404),  # a program asking for JSON
        ("/y-kien/999999", PROGRAM, 404),
        ("/y-kien/abc", PROGRAM, 422),
        ("/khong-co-trang-nay", {"Accept": "*/*"}, 404),  # curl and friends
    ],
)
def test_programs_keep_json(client: TestClient, path: str, headers: dict, status: int) -> None:
    answer = client.get(path, headers=headers)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    assert "detail" in answer.json()


def test_webhooks_keep_json(client: TestClient) -> None:
    answer = client.post("/webhooks/zalo-oa", content=b"{}", headers=BROWSER)
    assert answer.headers["content-type"] == "application/json"
