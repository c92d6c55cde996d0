"""Trainees imported from XLSX: bad rows reported row by row, nothing half-imported."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from danvan.kernel.db import Database
from danvan.training.models import Trainee
from training.training_helpers import PEOPLE, create_course, upload, xlsx

if TYPE_CHECKING:
    from tests.conftest import Personas


def _count(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(Trainee)) or 0)


BAD_ROWS: list[tuple[str, list[list[Any]], list[tuple[int, str]]]] = [
    (
        "a missing name and an unknown commune",
        [
            [1, "", "Cán bộ", "Xã Minh Quang", "0912000001"],
            [2, "Lê Văn Bốn", "", "Xã Không Có", "0912000002"],
        ],
        [(2, "Họ và tên"), (3, "Xã/phường")],
    ),
    (
        "a bad phone between good rows",
        [
            [1, "Lê A", "", "Minh Quang", "0912000001"],
            [2, "Lê B", "", "Minh Quang", "12345"],
            [3, "Lê C", "", "Minh Quang", "0912000003"],
        ],
        [(3, "Số điện thoại")],
    ),
    (
        "the same phone twice",
        [
            [1, "Lê A", "", "Minh Quang", "0912000001"],
            [2, "Lê B", "", "Minh Quang", "0912 000 001"],
        ],
        [(3, "Số điện thoại")],
    ),
    (
        "a commune of another province",
        [[1, "Lê A", "", 26734, "0912000001"]],  # a Hồ Chí Minh City ward code
        [(2, "Xã/phường")],
    ),
]


@pytest.mark.parametrize(
    ("rows", "expected"), [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS]
)
def test_bad_rows_are_reported_row_by_row_and_nothing_is_imported(
    client: TestClient,
    database: Database,
    personas: Personas,
    rows: list[list[Any]],
    expected: list[tuple[int, str]],
) -> None:
    course = create_course(client, personas.admin.headers)
    response = upload(client, course["id"], xlsx(rows), personas.admin.headers)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "bad_rows"
    assert [(e["row"], e["column"]) for e in body["errors"]] == expected
    assert all(e["message"] for e in body["errors"])
    assert f"dòng {expected[0][0]}" in body["detail"]
    assert _count(database) == 0


def test_a_second_import_with_one_known_phone_adds_nobody(
    client: TestClient, database: Database, personas: Personas
) -> None:
    course = create_course(client, personas.admin.headers)
    assert upload(client, course["id"], xlsx(PEOPLE), personas.admin.headers).status_code == 201
    again = [[9, "Người Mới", "", "Minh Quang", "0987000009"], PEOPLE[0]]
    response = upload(client, course["id"], xlsx(again), personas.admin.headers)
    assert response.status_code == 422
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(3, "Số điện thoại")]
    assert _count(database) == len(PEOPLE)


def test_phones_are_normalised_and_names_kept_in_nfc(
    client: TestClient, database: Database, personas: Personas
) -> None:
    course = create_course(client, personas.admin.headers)
    nfd_name = "Hoàng Thị Lan".encode().decode()  # typed as NFD below
    import unicodedata

    rows = [[1, unicodedata.normalize("NFD", nfd_name), "", "xa minh quang", 912345601]]
    assert upload(client, course["id"], xlsx(rows), personas.admin.headers).status_code == 201
    with database.session() as session:
        trainee = session.scalars(select(Trainee)).one()
        assert trainee.full_name == unicodedata.normalize("NFC", nfd_name)
        assert trainee.phone == "0912345601"
        assert trainee.commune_code == 2302


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not a spreadsheet", "invalid_file"),
        (xlsx([[1, "Lê A"]], header=("STT", "Họ và tên")), "missing_columns"),
        (xlsx([]), "empty"),
    ],
    ids=["not xlsx", "missing columns", "no rows"],
)
def test_unusable_files_are_refused_clearly(
    client: TestClient, database: Database, personas: Personas, data: bytes, code: str
) -> None:
    course = create_course(client, personas.admin.headers)
    response = upload(client, course["id"], data, personas.admin.headers)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert _count(database) == 0


def test_a_row_with_a_staff_email_is_linked_to_that_account(
    client: TestClient, database: Database, personas: Personas
) -> None:
    course = create_course(client, personas.admin.headers)
    header = ("Họ và tên", "Chức vụ", "Xã/phường", "Số điện thoại", "Email")
    rows = [["Nguyễn Văn An", "Cán bộ", "Minh Quang", "0912000001", personas.officer_a.user.email]]
    response = upload(client, course["id"], xlsx(rows, header=header), personas.admin.headers)
    assert response.status_code == 201
    trainee = response.json()["trainees"][0]
    assert trainee["staff_account"] is True
    assert trainee["key"] is None  # staff sign in as staff


@pytest.mark.parametrize("who", ["officer_a", "viewer_a"])
def test_only_organisers_import(
    client: TestClient, database: Database, personas: Personas, who: str
) -> None:
    course = create_course(client, personas.admin.headers)
    response = upload(client, course["id"], xlsx(PEOPLE), getattr(personas, who).headers)
    assert response.status_code == 403
    assert _count(database) == 0
