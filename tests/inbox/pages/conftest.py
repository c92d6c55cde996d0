"""Fixtures of the staff UI tests (helpers live in `staff_helpers`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from staff_helpers import Staff


@pytest.fixture
def staff_client(app: FastAPI) -> Iterator[Callable[..., Staff]]:
    """`staff_client(persona)`: a new client signed in as that persona."""
    clients: list[TestClient] = []

    def make(persona: Any = None) -> Staff:
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        staff = Staff(client)
        if persona is not None:
            response = staff.login(persona.user.email, persona.password)
            assert response.status_code == 303, response.text
        return staff

    yield make
    for client in clients:
        client.__exit__(None, None, None)
