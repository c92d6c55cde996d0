"""Training benchmark: a hall of N trainees (default 250) through the API, in-process.

A course of nine topics, one session and a 10-question quiz is set up; N trainees are imported
from one XLSX; then every trainee checks in with the current QR code, starts an attempt and
submits it (one HTTP call each, through the ASGI app with `TestClient`, so framework, JSON,
auth by personal key and the database are all in the figure); finally the course report (JSON
and XLSX) is built. Prints the wall time of each phase and the p50/p95 per call.

    .venv/bin/python -m bench.training                    # SQLite in a temporary file
    .venv/bin/python -m bench.training --trainees 500 --postgres postgresql://…/postgres
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from danvan.accounts.staff import do_create_token, do_create_user
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.migrations import upgrade
from danvan.training.models import Question
from danvan.web.app import create_app

COMMUNES = ["Xã Minh Quang", "Xã Thượng Lâm", "Xã Trung Hà", "Xã Lâm Bình"]


def _timed(calls: list[float], work: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = work()
    calls.append(time.perf_counter() - start)
    return result


def _line(name: str, calls: list[float], wall: float) -> None:
    ms = sorted(c * 1000 for c in calls)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    print(
        f"{name:<12} {len(ms):>5} calls  {wall:6.2f} s  "
        f"p50 {statistics.median(ms):6.1f} ms  p95 {p95:6.1f} ms"
    )


def run(url: str, trainees: int) -> None:
    database = Database(url)
    settings = Settings(
        database_url=url,
        secret_key="bench-secret-key-0123456789",  # noqa: S106
        _env_file=None,  # type: ignore[call-arg]
    )
    with database.session() as session:
        admin = do_create_user(
            session,
            actor=None,
            email="bench@x.vn",
            password="bench-password",  # noqa: S106
            role="admin",
            communes=[],
            full_name="Bench",
        )
        token = do_create_token(session, user=admin)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings, database)) as client:
        api = "/api/v1"
        course = client.post(
            f"{api}/courses",
            json={"title": "Bench", "topics": [f"Chuyên đề {n}" for n in range(9)]},
            headers=headers,
        ).json()
        session = client.post(
            f"{api}/courses/{course['id']}/sessions",
            json={"starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-01T10:00:00Z"},
            headers=headers,
        ).json()
        for n, topic in enumerate(course["topics"]):
            for k in range(3):
                client.post(
                    f"{api}/topics/{topic['id']}/questions",
                    json={
                        "kind": "multiple" if k == 2 else "single",
                        "text": f"Câu {n}.{k}",
                        "options": [
                            {"text": "Đúng", "correct": True},
                            {"text": "Cũng đúng", "correct": k == 2},
                            {"text": "Sai", "correct": False},
                        ],
                    },
                    headers=headers,
                )
        quiz = client.post(
            f"{api}/courses/{course['id']}/quizzes",
            json={"title": "Q", "question_count": 10},
            headers=headers,
        ).json()
        with database.session() as db:
            right = {
                q.id: [o.id for o in q.options if o.is_correct] for q in db.query(Question).all()
            }

        book = Workbook()
        book.active.append(["Họ và tên", "Chức vụ", "Xã/phường", "Số điện thoại"])
        for n in range(trainees):
            book.active.append([f"Học viên {n}", "Cán bộ", COMMUNES[n % 4], f"09{n:08d}"])
        data = io.BytesIO()
        book.save(data)
        calls: list[float] = []
        start = time.perf_counter()
        imported = _timed(
            calls,
            lambda: client.post(
                f"{api}/courses/{course['id']}/trainees/import",
                files={"file": ("ds.xlsx", data.getvalue(), "application/octet-stream")},
                headers=headers,
            ),
        )
        assert imported.status_code == 201, imported.text
        keys = [t["key"] for t in imported.json()["trainees"]]
        _line("import", calls, time.perf_counter() - start)

        calls, start = [], time.perf_counter()
        for key in keys:
            code = client.get(f"{api}/sessions/{session['id']}/code", headers=headers).json()[
                "code"
            ]
            response = _timed(
                calls,
                lambda key=key, code=code: client.post(
                    f"{api}/sessions/{session['id']}/checkins",
                    json={"code": code},
                    headers={"Authorization": f"Bearer {key}"},
                ),
            )
            assert response.status_code == 201, response.text
        _line("check-in", calls, time.perf_counter() - start)

        started: list[float] = []
        submitted: list[float] = []
        start = time.perf_counter()
        for key in keys:
            auth = {"Authorization": f"Bearer {key}"}
            attempt = _timed(
                started,
                lambda auth=auth: client.post(f"{api}/quizzes/{quiz['id']}/attempts", headers=auth),
            ).json()
            answers = [
                {"question_id": q["id"], "option_ids": right[q["id"]]} for q in attempt["questions"]
            ]
            graded = _timed(
                submitted,
                lambda auth=auth, attempt=attempt, answers=answers: client.post(
                    f"{api}/attempts/{attempt['id']}/answers",
                    json={"answers": answers},
                    headers=auth,
                ),
            )
            assert graded.json()["passed"] is True
        wall = time.perf_counter() - start
        _line("attempt", started, wall)
        _line("submit", submitted, wall)

        for fmt in ("json", "xlsx"):
            calls, start = [], time.perf_counter()
            for _ in range(5):
                _timed(
                    calls,
                    lambda fmt=fmt: client.get(
                        f"{api}/courses/{course['id']}/report",
                        params={"format": fmt},
                        headers=headers,
                    ),
                )
            _line(f"report {fmt}", calls, time.perf_counter() - start)
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trainees", type=int, default=250)
    parser.add_argument("--postgres", help="server URL; a scratch database is created and dropped")
    args = parser.parse_args()
    if args.postgres:
        name = f"danvan_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
        try:
            upgrade(url)
            run(url, args.trainees)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        run(url, args.trainees)


if __name__ == "__main__":
    main()
