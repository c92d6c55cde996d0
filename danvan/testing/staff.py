"""Staff in a browser, for tests: a client with its own cookies that signs in through the login
form and sends the session's CSRF token with every form, as the staff pages do."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


class Staff:
    """A browser-like client for one staff member: its own cookie jar and CSRF token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    @classmethod
    def signed_in(cls, client: TestClient, email: str, password: str) -> Staff:
        """A client signed in as `email` (the sign-in must succeed)."""
        staff = cls(client)
        response = staff.login(email, password)
        assert response.status_code == 303, response.text
        return staff

    def login(self, email: str, password: str, *, next: str = "") -> Any:
        page = self.client.get("/login")
        token = csrf_of(page.text)
        response = self.client.post(
            "/login",
            data={"email": email, "password": password, "next": next, "csrf_token": token},
            follow_redirects=False,
        )
        if response.status_code == 303:
            self.csrf = csrf_of(self.client.get("/inbox").text)
        return response

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


@contextmanager
def staff_clients(app: FastAPI) -> Iterator[Callable[..., Staff]]:
    """`make(persona)`: a new client signed in as the persona (`make()`: not signed in), each
    closed at the end of the block. `ip` gives the client its own address (default: the
    test client's)."""
    clients: list[TestClient] = []

    def make(persona: Any = None, *, ip: str | None = None) -> Staff:
        client = TestClient(app, client=(ip, 50000)) if ip else TestClient(app)
        client.__enter__()
        clients.append(client)
        if persona is None:
            return Staff(client)
        return Staff.signed_in(client, persona.user.email, persona.password)

    try:
        yield make
    finally:
        for client in clients:
            client.__exit__(None, None, None)
