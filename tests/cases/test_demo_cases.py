"""The demo shows cases in every state, some overdue, from the demo conversations."""

from __future__ import annotations

from sqlalchemy import select

from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.cases import access as core
from danvan.cases.models import Case
from danvan.demo.seed import seed
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings


def test_the_demo_has_a_dozen_cases_in_various_states(
    database: Database, settings: Settings
) -> None:
    settings.demo = True
    with database.session() as session:
        seed(session, settings=settings)
    with database.session() as session:
        cases = session.scalars(select(Case)).all()
        assert len(cases) == 12
        assert {"received", "answered", "closed", "in_progress", "declined", "transferred"} <= {
            c.status for c in cases
        }
        assert all(c.conversation_id is not None for c in cases)
        now = utcnow()
        assert sum(1 for c in cases if core.is_overdue(c, now)) >= 2
        assert any(c.rating == 5 for c in cases)
        officer = session.scalars(
            select(User).where(User.email == "minhquang@demo.danvan.vn")
        ).one()
        visible = core.list_cases(session, actor=Actor(officer), filters=core.CaseFilter())
        assert 0 < len(visible) < len(cases)
