"""Web processes never load the NLP stack (issue 16): whatever needs it (masked quotes, case
public texts, feedback words, consultation summaries, labels) is computed by the worker and
stored. Held here on a seeded demo database: a fresh process builds the app and opens every
pinned GET page (tests/fixtures/urls.txt, representative ids) as an admin and as the public;
then none of underthesea, pyvi, scikit-learn, the encoder or danvan's NLP pipeline, classifier
engine, names or PII modules may be loaded in it. (A subprocess: this test process imports
them itself to seed.) Memory in figures: bench/memory.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from danvan.accounts.demo import PASSWORD, STAFF
from danvan.demo.seed import seed
from danvan.inbox.models import Direction, Message
from danvan.kernel.db import Database
from danvan.kernel.jobs import JobRunner
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.taxonomy import topics
from danvan.opinion.models import MessageAnalysis
from danvan.outreach import summaries
from danvan.outreach.models import Consultation
from danvan.testing.pages import HEAVY, get_urls, representative_ids

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.long  # a demo seeded, every pinned page opened by a new process


def _label_every_message(database: Database) -> None:
    """Analyses as the classifiers would write them (the table is their contract): the worker's
    other jobs then mask their quotes, group issues and roll up."""
    codes = [t.code for t in topics()]
    with database.session() as session:
        messages = session.execute(
            select(Message.id, Message.channel, Message.created_at).where(
                Message.direction == Direction.IN.value, Message.text != ""
            )
        ).all()
        for i, (message_id, channel, at) in enumerate(messages):
            session.add(
                MessageAnalysis(
                    message_id=message_id,
                    channel=channel,
                    received_at=at,
                    topic=codes[i % len(codes)],
                    sentiment=("negative", "neutral", "positive")[i % 3],
                    kind="complaint" if i % 2 else "question",
                    urgent=i % 17 == 0,
                    confidence=(i % 10) / 10,
                    model_version="test",
                )
            )


def _seeded(database: Database, settings: Settings) -> None:
    with database.session() as session:
        seed(session, settings=settings)
    _label_every_message(database)
    with database.session() as session:
        # The public page's summary, asked for before the worker runs: shown ready.
        for consultation in session.scalars(select(Consultation)):
            summaries.stored(session, consultation=consultation, communes=None)
    worker = settings.model_copy(update={"analysis_enabled": False})
    runner = JobRunner(database, worker, holder="test")
    while runner.run_due(utcnow(), force=True):
        pass


def test_no_page_loads_the_nlp_stack_in_a_web_process(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    _seeded(database, settings)
    with database.session() as session:
        analyses = session.scalars(select(MessageAnalysis)).all()
        assert analyses
        assert all(a.quote is not None for a in analyses)
        urls = get_urls(representative_ids(session))
    assert len(urls) > 100
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DANVAN_DATABASE_URL": settings.database_url,
        "DANVAN_SECRET_KEY": settings.secret_key,
        "DANVAN_PROVINCE": str(settings.province),
        "DANVAN_MEDIA_DIR": settings.media_dir,
        "DANVAN_ANALYSIS_MODELS_DIR": str(tmp_path / "models"),
    }
    admin = STAFF[0][0]
    done = subprocess.run(
        [sys.executable, "-m", "danvan.testing.pages", admin, PASSWORD],
        env=env,
        cwd=tmp_path,  # no .env of the checkout
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    failed = [(who, url, status) for who, url, status in report["statuses"] if status >= 500]
    assert failed == []
    staff_ok = [url for who, url, status in report["statuses"] if who == "staff" and status < 400]
    # Every page with an id the demo holds opened (those needing a secret link answer 404).
    assert len(staff_ok) > 90, [s for s in report["statuses"] if s[0] == "staff" and s[2] >= 400]
    assert report["heavy"] == [], f"a web process loaded {report['heavy']} (none of {HEAVY})"
