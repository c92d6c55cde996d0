"""Builds the API's OpenAPI document in a child process (`python -m danvan.web.openapi_build`,
run by danvan.web.openapi, which keeps only the JSON)."""

from __future__ import annotations

from danvan.kernel import child
from danvan.web.openapi import encode


def build() -> bytes:
    """The app's document, built here (in the child)."""
    from danvan.kernel.db import Database
    from danvan.kernel.settings import Settings
    from danvan.web.app import create_app

    # The document depends on the routes only: any settings, an in-memory database.
    settings = Settings(secret_key="x" * 32, database_url="sqlite://", _env_file=None)
    app = create_app(settings, Database("sqlite://"))
    return encode(app.openapi())


if __name__ == "__main__":
    child.write_result(build())
