"""The OpenAPI document at /api/openapi.json, built in a child process once per web process.

Building it imports and walks every pydantic schema of the API (about 12 MB that a web process
kept for good, measured: bench/README.md "memory"); a child builds the very same app
(`create_app`) and hands the JSON back, which is all the web process keeps (~0.2 MB).
`app.openapi()` still works in process (tests compare the two).

    python -m danvan.web.openapi_build < /dev/null      # the document, on stdout
"""

from __future__ import annotations

import json
import threading
from typing import Any

from danvan.kernel import child

_document: bytes | None = None
_building = threading.Lock()
# The child's module: it imports the app, which imports this module (a separate module keeps
# the import graph acyclic).
BUILDER = "danvan.web.openapi_build"


def document_bytes() -> bytes:
    """The document as served (built by a child the first time)."""
    global _document
    with _building:
        if _document is None:
            _document = child.render(BUILDER, None)
        return _document


def encode(document: dict[str, Any]) -> bytes:
    """As FastAPI's JSONResponse encodes it."""
    return json.dumps(
        document, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")
