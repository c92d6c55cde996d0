"""Helpers of the training tests: XLSX lists, the API calls of a typical course, right answers."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import select

from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.testing.staff import csrf_of
from danvan.training.models import Question

API = "/api/v1"
HEADER = ("STT", "Họ và tên", "Chức vụ", "Xã/phường", "Số điện thoại")
NINE_TOPICS = [
    "Công tác dân vận của Đảng trong tình hình mới",
    "Lý luận chính trị và truyền thống cách mạng ở cơ sở",
    "Thực hiện dân chủ ở cơ sở",
    "Công tác vận động vùng đồng bào dân tộc thiểu số và tôn giáo",
    "Tuyên truyền miệng và nắm bắt dư luận xã hội",
    "Bảo vệ nền tảng tư tưởng của Đảng",
    "Công tác khoa giáo, văn hoá, văn nghệ ở cơ sở",
    "Xây dựng mô hình “Dân vận khéo” và phương pháp nắm tình hình nhân dân",
    "Ứng dụng chuyển đổi số, trong đó có Zalo OA của tỉnh",
]
PEOPLE = [
    (1, "Hoàng Thị Lan", "Chủ tịch MTTQ xã", "Xã Minh Quang", "0912345601"),
    (2, "Vàng A Dính", "Cán bộ văn phòng", "minh quang", 912345602),  # a number: lost its 0
    (3, "Lò Văn Sáng", "Phó Chủ tịch UBND xã", "Thượng Lâm", "+84 912 345 603"),
]


def xlsx(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client: TestClient, course_id: int, data: bytes, headers: dict[str, str]) -> Any:
    return client.post(
        f"{API}/courses/{course_id}/trainees/import",
        files={"file": ("hoc-vien.xlsx", data, "application/vnd.ms-excel")},
        headers=headers,
    )


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def create_course(client: TestClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {
        "title": "Bồi dưỡng công tác dân vận năm 2026",
        "topics": NINE_TOPICS,
        "trainers": ["Đ/c Trần Văn Giảng"],
        "audience_communes": [2302, 2269],
        "audience_roles": ["officer"],
        **extra,
    }
    response = client.post(f"{API}/courses", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def create_session(client: TestClient, headers: dict[str, str], course_id: int) -> dict[str, Any]:
    start = clock.now().replace(microsecond=0)
    response = client.post(
        f"{API}/courses/{course_id}/sessions",
        json={
            "title": "Ngày 1 — buổi sáng",
            "venue": "Hội trường Tỉnh uỷ",
            "starts_at": (start - timedelta(hours=1)).isoformat(),
            "ends_at": (start + timedelta(hours=3)).isoformat(),
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def add_question(
    client: TestClient,
    headers: dict[str, str],
    topic_id: int,
    *,
    kind: str = "single",
    text: str = "Phương châm dân vận?",
    options: Sequence[tuple[str, bool]] = (
        ("Dân biết, dân bàn, dân làm, dân kiểm tra", True),
        ("Chỉ dân biết", False),
    ),
) -> int:
    response = client.post(
        f"{API}/topics/{topic_id}/questions",
        json={
            "kind": kind,
            "text": text,
            "explanation": "Theo Chỉ thị về dân chủ ở cơ sở.",
            "options": [{"text": t, "correct": c} for t, c in options],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def right_answers(database: Database, attempt: dict[str, Any]) -> list[dict[str, Any]]:
    ids = [q["id"] for q in attempt["questions"]]
    with database.session() as session:
        questions = session.scalars(select(Question).where(Question.id.in_(ids))).all()
        return [
            {"question_id": q.id, "option_ids": [o.id for o in q.options if o.is_correct]}
            for q in questions
        ]


def sign_in_staff(client: TestClient, email: str, password: str) -> str:
    """Sign in through the login form; the CSRF token of the new session."""
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"email": email, "password": password, "next": "/training", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/training").text)
