"""The OpenAPI document at /api/openapi.json, built in a child process once per web process.

Building it imports and walks every pydantic schema of the API (about 12 MB that a web process
kept for good, measured: bench/README.md "memory"); a child builds the very same app
(`create_app`) and hands the JSON back, which is all the web process keeps (~0.2 MB).
`app.openapi()` still works in process (tests compare the two).

    python -m danvan.web.openapi < /dev/null      # the document, on stdout
"""

from __future__ import annotations

import json
import threading
from typing import Any

from danvan.kernel import child

_document: bytes | None = None
_building = threading.Lock()


def document_bytes() -> bytes:
    """The document as served (built by a child the first time)."""
    global _document
    with _building:
        if _document is None:
            _document = child.render(__name__, None)
        return _document


def encode(document: dict[str, Any]) -> bytes:
    """As FastAPI's JSONResponse encodes it."""
    return json.dumps(
        document, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


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
