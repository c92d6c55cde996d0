"""/api/openapi.json is built by a child process (danvan.web.openapi: the web process keeps
the JSON, not the schemas it took to build it), and is exactly the app's own document."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_the_served_document_is_the_apps_and_built_elsewhere(
    client: TestClient, app: FastAPI
) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == app.openapi()
    assert "/api/v1/conversations" in response.json()["paths"]
    assert client.get("/api/openapi.json").content == response.content  # kept, not rebuilt
