"""`danvan cases …`: Open311 keys and units from the command line (admins only)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from danvan.cli import app


def test_an_admin_makes_a_key_that_partners_can_use_and_officers_cannot(
    client: TestClient, personas: Any
) -> None:
    runner = CliRunner()
    made = runner.invoke(
        app, ["cases", "open311-key", "Cổng DVC", "--as", personas.admin.user.email]
    )
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert key.startswith("o311_")
    refused = runner.invoke(
        app, ["cases", "open311-key", "x", "--as", personas.officer_a.user.email]
    )
    assert refused.exit_code == 1
    form = {"api_key": key, "service_code": "roads", "description": "Ổ gà", "address_id": "2302"}
    assert client.post("/open311/v2/requests.json", data=form).status_code == 200

    unit = runner.invoke(
        app,
        [
            "cases",
            "unit-create",
            "Sở Y tế",
            "--as",
            personas.admin.user.email,
            "--head",
            personas.officer_a.user.email,
        ],
    )
    assert unit.exit_code == 0, unit.output
    units = client.get("/api/v1/case-units", headers=personas.admin.headers).json()
    assert [(u["name"], u["head_id"]) for u in units] == [("Sở Y tế", personas.officer_a.user.id)]
