"""The command line: accounts, tokens that work against the API, and `danvan contact …`.

Account and token commands run in a subprocess, as an operator would run them, against the test
database named by DANVAN_DATABASE_URL; the contact commands run through typer's CliRunner.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from danvan.accounts.models import AuditEntry, User
from danvan.accounts.staff import authenticate
from danvan.channels.base import EventKind, InboundEvent
from danvan.cli import app as cli
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Contact
from danvan.kernel.db import Database

if TYPE_CHECKING:
    from tests.conftest import Personas


def danvan(
    database: Database,
    tmp_path: Path,
    *args: str,
    stdin: str = "",
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m danvan ARGS` against the test database, from an empty directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANVAN_")}
    env["DANVAN_DATABASE_URL"] = database.url
    env["DANVAN_CLI_LANG"] = os.environ["DANVAN_CLI_LANG"]
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "danvan", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def _users(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def test_user_create_reads_the_password_from_stdin(database: Database, tmp_path: Path) -> None:
    result = danvan(
        database,
        tmp_path,
        "user",
        "create",
        "an@minhquang.tq.gov.vn",
        "--role",
        "officer",
        "--commune",
        "2302",
        "--name",
        "Nguyễn Văn An",
        stdin="mật khẩu của An\n",
    )
    assert result.returncode == 0, result.stderr
    assert "Created officer an@minhquang.tq.gov.vn" in result.stdout
    assert "mật khẩu" not in result.stdout + result.stderr
    with database.session() as session:
        user = authenticate(session, email="an@minhquang.tq.gov.vn", password="mật khẩu của An")
        assert user is not None
        assert user.commune_codes == {2302}
        assert user.full_name == "Nguyễn Văn An"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "superuser", "--commune", "2302"], "Vai trò không hợp lệ"),
        (["--role", "officer", "--commune", "99999"], "Mã xã/phường không tồn tại: 99999"),
        (["--role", "viewer"], "cần ít nhất một xã/phường"),
    ],
)
def test_user_create_refuses_bad_roles_and_communes(
    database: Database, tmp_path: Path, args: list[str], message: str
) -> None:
    result = danvan(
        database, tmp_path, "user", "create", "x@tq.gov.vn", *args, stdin="long enough pw\n"
    )
    assert result.returncode != 0
    assert message in result.stderr
    assert result.stderr.startswith("lỗi: ")
    assert _users(database) == 0


def test_user_create_refuses_a_short_password(database: Database, tmp_path: Path) -> None:
    result = danvan(
        database, tmp_path, "user", "create", "x@tq.gov.vn", "--role", "admin", stdin="short\n"
    )
    assert result.returncode != 0
    assert "Mật khẩu phải có ít nhất 8 ký tự" in result.stderr
    assert _users(database) == 0


def test_token_create_prints_the_token_alone_on_its_last_line_and_it_works(
    database: Database, tmp_path: Path, client: TestClient, personas: Personas
) -> None:
    result = danvan(database, tmp_path, "token", "create", "an@minhquang.tq.gov.vn")
    assert result.returncode == 0, result.stderr
    last_line = result.stdout.rstrip("\n").splitlines()[-1]
    assert last_line.startswith("dv_")
    assert " " not in last_line
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {last_line}"})
    assert response.status_code == 200
    assert response.json()["email"] == "an@minhquang.tq.gov.vn"


def test_token_create_for_an_unknown_account_fails_clearly(
    database: Database, tmp_path: Path
) -> None:
    result = danvan(database, tmp_path, "token", "create", "nobody@tq.gov.vn")
    assert result.returncode != 0
    assert "Không có tài khoản nobody@tq.gov.vn" in result.stderr
    assert result.stdout == ""


def test_a_command_run_before_the_tables_exist_says_to_upgrade_without_a_traceback(
    tmp_path: Path,
) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        result = danvan(empty, tmp_path, "token", "create", "an@minhquang.tq.gov.vn")
    finally:
        empty.dispose()
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "lỗi: cơ sở dữ liệu chưa có bảng (chưa khởi tạo hoặc chưa nâng cấp): chạy "
        "`danvan db upgrade` trước"
    ]
    assert result.stdout == ""


@pytest.fixture
def contact_id(database: Database, personas: Personas) -> int:
    event = InboundEvent(
        channel="zalo_oa",
        kind=EventKind.MESSAGE,
        event_name="user_send_text",
        dedupe_key="m-1",
        occurred_at=datetime(2026, 11, 29, 8, 0, tzinfo=UTC),
        user_id="8461000000000000001",
        display_name="Hoàng Thị Lan",
        message_id="m-1",
        text="Tôi ở xã Minh Quang, cầu hỏng",
        raw=json.dumps({"sender": {"id": "8461000000000000001"}}),
    )
    with database.session() as session:
        ingest_events(session, events=[event], province_code=8)
        return session.scalars(select(Contact.id)).one()


def test_contact_export_prints_json_to_stdout(
    database: Database, personas: Personas, contact_id: int
) -> None:
    result = CliRunner().invoke(
        cli, ["contact", "export", str(contact_id), "--as", "an@minhquang.tq.gov.vn"]
    )
    assert result.exit_code == 0, result.output
    export = json.loads(result.stdout)
    assert export["contact"]["display_name"] == "Hoàng Thị Lan"
    assert export["messages"][0]["text"] == "Tôi ở xã Minh Quang, cầu hỏng"
    with database.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert entry.via == "cli"
    assert entry.actor_id == personas.officer_a.user.id


def test_contact_delete_erases_as_an_admin(
    database: Database, personas: Personas, contact_id: int
) -> None:
    result = CliRunner().invoke(
        cli,
        [
            *("contact", "delete", str(contact_id)),
            *("--reason", "Đơn yêu cầu số 12", "--as", "admin@tq.gov.vn"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"Erased contact {contact_id}: 1 message(s)" in result.stdout
    with database.session() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        assert contact.display_name == "(đã xoá)"
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "contact_delete")
        ).one()
    assert entry.via == "cli"
    assert entry.detail["reason"] == "Đơn yêu cầu số 12"


def test_contact_commands_refuse_bad_input_clearly(
    database: Database, personas: Personas, contact_id: int
) -> None:
    runner = CliRunner()
    no_reason = runner.invoke(
        cli, ["contact", "delete", str(contact_id), "--as", "admin@tq.gov.vn"]
    )
    assert no_reason.exit_code != 0
    assert "--reason" in no_reason.output
    blank = runner.invoke(
        cli, ["contact", "delete", str(contact_id), "--reason", " ", "--as", "admin@tq.gov.vn"]
    )
    assert blank.exit_code == 1
    assert "Lý do xoá không được để trống" in blank.stderr
    stranger = runner.invoke(cli, ["contact", "export", str(contact_id), "--as", "who@x.vn"])
    assert stranger.exit_code == 1
    assert "Không có tài khoản who@x.vn" in stranger.stderr
    missing = runner.invoke(cli, ["contact", "export", "424242", "--as", "admin@tq.gov.vn"])
    assert missing.exit_code == 1
    assert "Không tìm thấy người dân" in missing.stderr
    with database.session() as session:
        user = session.get(User, personas.admin.user.id)
        assert user is not None
        user.is_active = False
    disabled = runner.invoke(cli, ["contact", "export", str(contact_id), "--as", "admin@tq.gov.vn"])
    assert disabled.exit_code == 1
    assert "đã bị khoá" in disabled.stderr
    with database.session() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        assert contact.display_name == "Hoàng Thị Lan"


@pytest.mark.parametrize("command", [("serve", "--port", "1"), ("worker", "--once")])
def test_serve_and_worker_refuse_to_start_without_a_base_url_outside_the_demo(
    database: Database, tmp_path: Path, command: tuple[str, ...]
) -> None:
    secret = {"DANVAN_SECRET_KEY": "a-real-secret-key-0123456789"}  # PostgreSQL needs one
    result = danvan(database, tmp_path, *command, extra_env=secret)
    assert result.returncode == 1
    assert "DANVAN_BASE_URL must be set" in result.stderr
