"""The course report shows session times in the deployment's zone (DANVAN_TIMEZONE), on the
page and in the workbook, and writes percentages the Vietnamese way ("50,0%") (issue 14)."""

from __future__ import annotations

import io
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import select

from danvan.kernel.db import Database
from danvan.testing.personas import Personas
from danvan.training.attendance import do_mark_attendance
from danvan.training.models import Trainee, TrainingSession

from .training_helpers import PEOPLE, sign_in_staff, xlsx


def test_the_report_shows_local_times_and_vietnamese_percentages(
    app: FastAPI, database: Database, personas: Personas
) -> None:
    with TestClient(app) as browser:
        csrf = sign_in_staff(browser, personas.admin.user.email, personas.admin.password)
        created = browser.post(
            "/training/courses",
            data={
                "csrf_token": csrf,
                "title": "Khoá dân vận",
                "topics": "Chuyên đề một",
                "trainers": "Đ/c Giảng",
                "communes": ["2302"],
                "min_attendance_percent": "50",
            },
            follow_redirects=False,
        )
        course_id = int(created.headers["location"].rsplit("/", 1)[1])
        browser.post(
            f"/training/courses/{course_id}/sessions",
            data={
                "csrf_token": csrf,
                "title": "Ngày 1",
                "day": "2026-12-01",
                "start": "07:30",  # Vietnam's time: 00:30 UTC
                "end": "11:30",
                "venue": "Hội trường",
            },
            follow_redirects=False,
        )
        browser.post(
            f"/training/courses/{course_id}/import",
            data={"csrf_token": csrf},
            files={"file": ("ds.xlsx", xlsx(PEOPLE[:2]), "application/octet-stream")},
        )
        with database.session() as session:
            day = session.scalars(select(TrainingSession)).one()
            assert f"{day.starts_at:%H:%M}" == "00:30"  # stored in UTC
            first = session.scalars(select(Trainee).order_by(Trainee.id)).first()
            assert first is not None
            do_mark_attendance(
                session, actor=personas.admin.actor, training_session=day, trainee=first
            )
        page = browser.get(f"/training/courses/{course_id}/report").text
        assert "01/12/2026 07:30" in page
        assert "00:30" not in page
        assert "50,0%" in page  # Minh Quang: 1 of 2 attendances
        assert not re.search(r"\d\.\d%", page)
        summary = browser.get("/training/summary").text
        assert "50,0%" in summary
        book = load_workbook(
            io.BytesIO(browser.get(f"/training/courses/{course_id}/report.xlsx").content)
        )
        sessions = list(book["Buổi học"].iter_rows(min_row=2, values_only=True))
        assert sessions[0][1] == "01/12/2026 07:30"
