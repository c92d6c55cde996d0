"""Fixtures: real databases (SQLite always, PostgreSQL when DANVAN_TEST_DATABASE_URL is set),
the app on a real socket, the Zalo stand-in, and named personas.

Every test that touches the database runs once per backend. Each test gets an empty, migrated
database: SQLite copies a migrated template file; PostgreSQL truncates every table afterwards.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from danvan.kernel import clock, security
from danvan.kernel.db import Database, set_database
from danvan.kernel.models import Base
from danvan.kernel.settings import Settings
from danvan.migrations import upgrade
from danvan.testing.models import TEST_MODELS_DIR
from danvan.testing.personas import (
    Personas,
    make_personas,
)
from danvan.testing.servers import ThreadedServer, serve_in_thread
from danvan.testing.staff import Staff, staff_clients
from danvan.testing.zalo import zalo_sees_interactions
from danvan.web.app import create_app

# Cheap argon2 parameters in tests: hashing cost is not what the suite checks.
security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

# Every test runs on the same calendar whatever today's date is: the product's clock starts at
# this instant for each test and runs from there; subprocesses (the CLI) start at it too.
CLOCK_START = datetime(2026, 12, 10, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
os.environ["DANVAN_CLOCK_START"] = CLOCK_START.isoformat()
# The suite labels with the lexical engine (fast); tests/nlp/test_encoder.py switches the
# pre-trained encoder on where it is the subject. Subprocesses inherit the setting.
os.environ.setdefault("DANVAN_NLP_ENCODER", "off")
# Trained classifier sets go to a temporary folder, never the checkout's var/models (the
# settings below and every subprocess; danvan/testing/models.py says why it outlives a run).
os.environ["DANVAN_ANALYSIS_MODELS_DIR"] = str(TEST_MODELS_DIR)
# The CLI's language (danvan.kernel.cli_lang): the suite's CLI assertions are in Vietnamese;
# tests/test_cli_language.py runs both languages.
os.environ["DANVAN_CLI_LANG"] = "vi"

PG_URL = os.environ.get("DANVAN_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


OA_APP_ID = "4321987654321"
OA_SECRET = "oa-secret-key-for-tests"
BOT_SECRET = "bot-secret-token-for-tests"


@pytest.fixture(autouse=True)
def _fixed_calendar() -> Iterator[None]:
    with clock.running_from(CLOCK_START):
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session (and xdist worker)."""
    assert PG_URL
    name = f"danvan_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "danvan.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_database_url")
    yield url
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def standin() -> Iterator[ThreadedServer]:
    """The local Zalo stand-in (OA API, OAuth, Bot API) on a real socket."""
    from danvan.devtools.zalo_standin import create_standin_app
    from danvan.devtools.zalo_standin.state import state_of

    # The stand-in sees the test's citizens interact, so it keeps Zalo's windows for them.
    with (
        serve_in_thread(create_standin_app()) as server,
        zalo_sees_interactions(state_of(server).interact),
    ):
        yield server


@pytest.fixture
def settings(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    standin_url = "http://127.0.0.1:9"  # refuses connections unless a test asks for the stand-in
    if "standin" in request.fixturenames:
        standin_url = request.getfixturevalue("standin").url
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-0123456789",
        province=8,
        zalo_oa_app_id=OA_APP_ID,
        zalo_oa_secret_key=OA_SECRET,
        zalo_app_secret_key="app-secret-for-tests",
        zalo_oa_api_base=standin_url,
        zalo_oauth_base=standin_url,
        zalo_bot_token="12345689:test-bot-token",
        zalo_bot_secret=BOT_SECRET,
        zalo_bot_api_base=standin_url,
        zalo_zns_api_base=standin_url,
        http_timeout=2.0,
        media_dir=str(tmp_path / "media"),
        analysis_models_dir=str(TEST_MODELS_DIR),
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    from danvan.outreach.items import forget_open_items

    # The per-process "anything open?" cache is keyed by URL, and PostgreSQL tests share one.
    forget_open_items()
    db = Database(settings.database_url)
    set_database(db)
    yield db
    set_database(None)
    db.dispose()


@pytest.fixture
def app(settings: Settings, database: Database) -> FastAPI:
    return create_app(settings, database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[ThreadedServer]:
    """The whole application on a real socket."""
    with serve_in_thread(app) as server:
        yield server


@pytest.fixture
def personas(database: Database) -> Personas:
    return make_personas(database)


@pytest.fixture
def staff_client(app: FastAPI) -> Iterator[Callable[..., Staff]]:
    """`staff_client(persona)`: a new client signed in as that persona (no persona: not yet)."""
    with staff_clients(app) as make:
        yield make


@pytest.fixture
def signed_in(app: FastAPI) -> Iterator[Callable[..., Staff]]:
    """`signed_in(persona)`: a client signed in through the login form."""
    with staff_clients(app) as make:
        yield make
