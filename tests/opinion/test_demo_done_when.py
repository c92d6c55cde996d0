"""The issue's Done-when, through the real CLI: `danvan demo --seed-only` fills the configured
database, then `danvan report situation` writes a DOCX and an XLSX with the report's sections
and non-zero figures. The demo's messages are labelled by the real classifiers (no ready-made
labels): the default set, trained once into the suite's models folder
(danvan/testing/models.py), is used."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.taxonomy import DEFAULT_TOPICS
from danvan.nlp import classifiers
from danvan.opinion.demo import MINH_QUANG
from danvan.opinion.models import EmergingIssue, MessageAnalysis, OpinionAlert, OpinionRollup
from danvan.testing.models import TEST_MODELS_DIR

MODELS_DIR = TEST_MODELS_DIR
pytestmark = [pytest.mark.long, pytest.mark.default_set]


def _cli(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "danvan", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_demo_seed_only_then_situation_reports_with_figures(
    database_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DANVAN_DATABASE_URL": database_url,
        "DANVAN_ANALYSIS_ENABLED": "1",
        "DANVAN_ANALYSIS_MODELS_DIR": str(MODELS_DIR),
        "DANVAN_MEDIA_DIR": str(tmp_path / "media"),
    }
    out = _cli("demo", "--seed-only", env=env)
    assert "Background jobs done" in out

    db = Database(database_url)
    try:
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(MessageAnalysis)) > 500
            versions = set(session.scalars(select(MessageAnalysis.model_version)))
            assert len(versions) == 1
            # The real model's labels: the default set trained from the seed and real corpora.
            assert versions.pop() == classifiers.default_version([t.code for t in DEFAULT_TOPICS])
            assert session.scalar(select(func.count()).select_from(OpinionRollup)) > 0
            communes = session.scalar(
                select(func.count(func.distinct(MessageAnalysis.commune_code)))
            )
            assert communes is not None
            assert communes >= 10
            # The visible emerging issue: the burst in Minh Quang is an alert and an issue.
            alert = session.scalars(
                select(OpinionAlert).where(OpinionAlert.commune_code == MINH_QUANG)
            ).first()
            assert alert is not None
            assert alert.topic == "roads"
            issue = session.get(EmergingIssue, alert.issue_id)
            assert issue is not None
            assert "sạt lở" in issue.label
    finally:
        db.dispose()

    local = utcnow() + timedelta(hours=7)
    month = local if local.day >= 8 else local.replace(day=1) - timedelta(days=1)
    period = f"{month:%Y-%m}"
    docx_file, xlsx_file = tmp_path / "report.docx", tmp_path / "report.xlsx"
    _cli(
        "report",
        "situation",
        "--period",
        period,
        "--format",
        "docx",
        "--out",
        str(docx_file),
        env=env,
    )
    _cli(
        "report",
        "situation",
        "--period",
        period,
        "--format",
        "xlsx",
        "--out",
        str(xlsx_file),
        env=env,
    )

    doc = Document(io.BytesIO(docx_file.read_bytes()))
    text = "\n".join(p.text for p in doc.paragraphs)
    for heading in (
        "I. TỔNG QUAN",
        "II. NHỮNG VẤN ĐỀ NỔI BẬT",
        "III. TÌNH HÌNH THEO XÃ",
        "IV. CHUYỂN BIẾN TÂM TRẠNG",
        "V. VẤN ĐỀ MỚI NỔI",
        "VI. Ý KIẾN TIÊU BIỂU",
        "VII. TIẾP NHẬN VÀ GIẢI QUYẾT",
    ):
        assert heading in text
    overview = doc.tables[1]
    total = overview.rows[1].cells[1].text
    assert int(total.replace(".", "")) > 100

    wb = load_workbook(io.BytesIO(xlsx_file.read_bytes()))
    rows = list(wb["Theo xã"].iter_rows(min_row=5, values_only=True))
    assert len(rows) >= 10
    assert all(isinstance(r[1], int) and r[1] > 0 for r in rows)
    concerns = list(wb["Mối quan tâm"].iter_rows(min_row=5, values_only=True))
    assert concerns[0][1] > 0
    issues = list(wb["Vấn đề mới nổi"].iter_rows(min_row=5, values_only=True))
    assert any("sạt lở" in str(r[0]) for r in issues)
