"""Fixtures: real databases (SQLite always, PostgreSQL when DANVAN_TEST_DATABASE_URL is set),
the app on a real socket, the Zalo stand-in, and named personas.

Every test that touches the database runs once per backend. Each test gets an empty, migrated
database: SQLite copies a migrated template file; PostgreSQL truncates every table afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from danvan.accounts import staff as accounts_staff
from danvan.kernel import clock, security
from danvan.kernel.db import Database, set_database
from danvan.kernel.models import Base
from danvan.kernel.settings import Settings
from danvan.migrations import upgrade
from danvan.testing.models import TEST_MODELS_DIR, train_in_background
from danvan.testing.personas import (
    Personas,
    make_personas,
)
from danvan.testing.servers import ThreadedServer, serve_in_thread
from danvan.testing.staff import Staff, staff_clients
from danvan.testing.zalo import zalo_sees_interactions
from danvan.web.app import create_app

# Cheap argon2 parameters in tests: hashing cost is not what the suite checks. The hash that an
# unknown e-mail's password is checked against (made on import, with the real parameters) too.
security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
security.DUMMY_HASH = accounts_staff.DUMMY_HASH = security.hash_password("not-a-password")

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


@pytest.hookimpl(tryfirst=True)  # before the parametrize marks and the fixtures' params
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # `one_backend`: the test says why the second database adds nothing to what it checks.
    if metafunc.definition.get_closest_marker("one_backend") and (
        "database_url" in metafunc.fixturenames
    ):
        one = pytest.mark.parametrize("database_url", BACKENDS[-1:], indirect=True)
        metafunc.definition.add_marker(one)


def _order(item: pytest.Item) -> tuple[bool, bool]:
    """Long tests first, so that the parallel workers end together; those needing the trained
    default set last, by when the process started below has trained it (one of each kind that
    is long first among them). A stable sort: a module's tests keep their order."""
    return _needs_default_set(item), item.get_closest_marker("long") is None


def _needs_default_set(item: pytest.Item) -> bool:
    return bool(
        item.get_closest_marker("default_set") or "default_set" in getattr(item, "fixturenames", ())
    )


_trainer: list[subprocess.Popen[bytes]] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_order)
    # One process trains the default set for the session if tests need it (the first parallel
    # worker starts it; the models folder's lock makes every other process wait for it).
    first_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0") == "gw0"
    needed = any(_needs_default_set(item) for item in items)
    if first_worker and needed and not config.option.collectonly:
        _trainer.append(train_in_background())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for process in _trainer:
        if exitstatus != pytest.ExitCode.OK:  # a run cut short does not wait for the training
            process.terminate()
        process.wait()


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
    with engine.begin() as conn:
        conn.execute(text(_empty_every_table()))
    engine.dispose()


@cache
def _empty_every_table() -> str:
    """One round trip that leaves the PostgreSQL test database as `TRUNCATE ... RESTART IDENTITY`
    of every table would, faster: a test writes a few rows in a few tables, and TRUNCATE gives
    each of the ~70 tables new files, fsync'ed at commit (2-3 s a test on a busy machine, where
    this takes a tenth of that). Rows go children first (the tables' dependency order reversed);
    the sequences a test used (`last_value` set) start again from their start value."""
    tables = ", ".join(f"'{t.name}'" for t in reversed(Base.metadata.sorted_tables))
    return f"""
DO $$
DECLARE name text;
BEGIN
  FOREACH name IN ARRAY ARRAY[{tables}]::text[] LOOP
    EXECUTE format('DELETE FROM %I', name);
  END LOOP;
  PERFORM setval(format('%I.%I', schemaname, sequencename), start_value, false)
    FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL;
END $$"""  # noqa: S608 - the models' own table names


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
