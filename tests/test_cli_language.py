"""The CLI follows one language setting: DANVAN_CLI_LANG (vi | en), else the locale (LC_ALL,
LC_MESSAGES, LANG starting with "vi"), else English; its help and its errors alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from danvan.cli import app as cli_app
from danvan.cli_vi import HELP
from danvan.kernel import cli_lang
from danvan.kernel.db import Database


def danvan(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DANVAN_", "LC_", "LANG"))}
    return subprocess.run(
        [sys.executable, "-m", "danvan", *args],
        env={**base, "DANVAN_CLOCK_START": os.environ["DANVAN_CLOCK_START"], **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DANVAN_CLI_LANG": "vi"}, "vi"),
        ({"DANVAN_CLI_LANG": "en", "LANG": "vi_VN.UTF-8"}, "en"),  # the setting wins
        ({"LANG": "vi_VN.UTF-8"}, "vi"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "vi_VN.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_the_setting_then_the_locale_then_english(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name in ("DANVAN_CLI_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli_lang.cli_locale() == expected


@pytest.mark.parametrize(
    ("lang", "help_text", "missing", "no_account"),
    [
        (
            {"DANVAN_CLI_LANG": "vi"},
            ["Xoá dữ liệu cá nhân", "Lý do (ghi vào nhật ký)", "Tuỳ chọn"],
            "Thiếu tuỳ chọn '--as'",
            "lỗi: Không có tài khoản ai@x.vn",
        ),
        (
            {"LANG": "vi_VN.UTF-8"},
            ["Xoá dữ liệu cá nhân", "Lý do (ghi vào nhật ký)", "Tuỳ chọn"],
            "Thiếu tuỳ chọn '--as'",
            "lỗi: Không có tài khoản ai@x.vn",
        ),
        (
            {"LANG": "C.UTF-8"},
            ["Erase the personal data", "Why (kept in the audit log)", "Options"],
            "Missing option '--as'",
            "error: There is no account ai@x.vn",
        ),
    ],
)
def test_help_and_errors_speak_the_same_language(
    database: Database,
    tmp_path: Path,
    lang: dict[str, str],
    help_text: list[str],
    missing: str,
    no_account: str,
) -> None:
    env = {**lang, "DANVAN_DATABASE_URL": database.url, "COLUMNS": "200"}
    shown = danvan("contact", "delete", "--help", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    for text in help_text:
        assert text in shown.stdout
    usage = danvan("contact", "export", "1", env=env, cwd=tmp_path)
    assert usage.returncode == 2
    assert missing in usage.stderr
    refused = danvan("contact", "export", "1", "--as", "ai@x.vn", env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip() == no_account


def _paths(command: Any, path: str = "") -> list[str]:
    found = [path] if command.help else []
    found += [
        f"{path} {p.opts[0]}".strip()
        for p in command.params
        if getattr(p, "param_type_name", "") == "option" and p.help
    ]
    for name, sub in getattr(command, "commands", {}).items():
        found += _paths(sub, f"{path} {name}".strip())
    return found


def test_every_command_and_option_has_its_vietnamese_help() -> None:
    expected = _paths(typer.main.get_command(cli_app))
    assert sorted(set(expected) - set(HELP)) == []
    assert sorted(set(HELP) - set(expected)) == []  # none left behind by a removed command
