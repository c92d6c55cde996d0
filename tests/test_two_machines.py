"""The two-machine rehearsal: a province served by two "machines" sharing nothing but one
PostgreSQL database and the secret key file. Each machine is a `danvan serve` and a
`danvan worker` started as real subprocesses in a working folder of its own (its own
DANVAN_MEDIA_DIR and models folder, no shared var/), against a fresh database; the Zalo stand-in
plays the platform.

- A reply with a photo, uploaded by staff through machine A's web process, is sent to the
  citizen by machine B's worker (machine A's worker is down): the stand-in receives the photo.
- A model set retrained by a process of machine A is then used by machine B's worker for a
  message that arrived through machine B's web process, and, once machine B is down, by machine
  A's worker (which never had it in memory): both read it from the database.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from danvan.channels.tokens import store_tokens
from danvan.channels.web.inbound import MEDIA_PREFIX
from danvan.devtools.zalo_standin.protocol import UPLOAD_IMAGE
from danvan.devtools.zalo_standin.state import StandinState, state_of
from danvan.inbox.models import Conversation, Message
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.taxonomy import DEFAULT_TOPICS
from danvan.migrations import upgrade
from danvan.nlp import classifiers
from danvan.opinion import model_store
from danvan.opinion.models import ClassifierVersion, MessageAnalysis, ModelSetArtifact
from danvan.testing.citizens import COMMUNE_WORDS
from danvan.testing.media import stored_photo
from danvan.testing.models import TEST_MODELS_DIR
from danvan.testing.personas import make_personas
from danvan.testing.servers import ThreadedServer, free_port
from danvan.testing.staff import Staff
from danvan.testing.zalo import post_oa_event

PG_URL = os.environ.get("DANVAN_TEST_DATABASE_URL")
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.long,
    pytest.mark.default_set,
    pytest.mark.skipif(
        not PG_URL,
        reason="two machines share one PostgreSQL database; set DANVAN_TEST_DATABASE_URL",
    ),
]

OA_APP_ID = "4321987654321"  # tests/conftest.py
OA_SECRET = "oa-secret-key-for-tests"
SECRET_KEY = "two-machines-secret-key-0123456789"
WAIT = 120.0  # seconds, for anything a subprocess does (a slow shared CI machine)


@dataclass
class Machine:
    name: str
    folder: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    web_url: str = ""

    def start(self, role: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{role}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "danvan", *args],
            cwd=self.folder,
            env=self.now_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stopped with everything it started
        )
        self.processes[role] = process
        return process

    def now_env(self) -> dict[str, str]:
        """The machine's settings, its clock starting at the suite's now: every process runs on
        one calendar, as machines kept in time by NTP do (a process started later must not see
        the outbox items of one started earlier as not due yet)."""
        return {**self.env, "DANVAN_CLOCK_START": clock.now().isoformat()}

    def serve(self) -> None:
        port = free_port()
        self.web_url = f"http://127.0.0.1:{port}"
        self.start("web", "serve", "--port", str(port), "--log-level", "warning")
        _until(lambda: _healthy(self.web_url), f"{self.name}'s web process to answer", self)

    def stop(self, role: str) -> None:
        process = self.processes.pop(role, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def stop_all(self) -> None:
        for role in list(self.processes):
            self.stop(role)

    def logs(self) -> str:
        return "\n".join(
            f"--- {self.name} {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.folder.glob("*.log"))
        )


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _until(check: Callable[[], Any], what: str, *machines: Machine) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        for machine in machines:
            for role, process in machine.processes.items():
                if process.poll() is not None:
                    pytest.fail(f"{machine.name}'s {role} exited\n{machine.logs()}")
        time.sleep(0.2)
    pytest.fail(f"waited {WAIT:.0f} s for {what}\n" + "\n".join(m.logs() for m in machines))


@pytest.fixture
def province_db() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database of the rehearsal's own."""
    assert PG_URL
    name = f"danvan_2m_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def two_machines(url: str, standin: ThreadedServer, tmp_path: Path) -> Iterator[list[Machine]]:
    key_file = tmp_path / "secret_key"  # copied to both machines by the operator
    key_file.write_text(SECRET_KEY, encoding="utf-8")
    machines = []
    for name in ("A", "B"):
        folder = tmp_path / f"machine-{name}"
        folder.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("DANVAN_") or k in KEEP_ENV}
        env.update(
            {
                "DANVAN_DATABASE_URL": url,
                "DANVAN_SECRET_KEY_FILE": str(key_file),
                "DANVAN_BASE_URL": "http://127.0.0.1:8000",
                "DANVAN_MEDIA_DIR": str(folder / "var" / "media"),
                "DANVAN_ANALYSIS_MODELS_DIR": str(folder / "var" / "models"),
                "DANVAN_PROVINCE": "8",
                "DANVAN_ZALO_OA_APP_ID": OA_APP_ID,
                "DANVAN_ZALO_OA_SECRET_KEY": OA_SECRET,
                "DANVAN_ZALO_OA_API_BASE": standin.url,
                "DANVAN_ZALO_OAUTH_BASE": standin.url,
                "DANVAN_HTTP_TIMEOUT": "5",
                "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
            }
        )
        machines.append(Machine(name, folder, env))
    try:
        yield machines
    finally:
        for machine in machines:
            machine.stop_all()


# What the subprocesses inherit from the suite: the lexical engine (the calendar: `now_env`).
KEEP_ENV = {"DANVAN_NLP_ENCODER"}


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 140, 60)).save(out, format="JPEG")
    return out.getvalue()


def _citizen_writes(machine: Machine, user_id: str, text_: str) -> None:
    with httpx.Client(base_url=machine.web_url, timeout=10) as client:
        post_oa_event(
            client,
            {
                "event_name": "user_send_text",
                "sender": {"id": user_id},
                "message": {"msg_id": uuid.uuid4().hex, "text": text_},
            },
            app_id=OA_APP_ID,
            secret=OA_SECRET,
        )


def _small_seed(k: int = 3) -> list[classifiers.Row]:
    """A few seed rows giving every label of every task `k` examples: a retrain in seconds."""
    seen: Counter[tuple[str, str]] = Counter()
    rows = []
    for row in classifiers.seed_rows("train.csv"):
        keys = [(task, row.label(task)) for task in classifiers.TASKS]
        if any(seen[key] < k for key in keys):
            rows.append(row)
            seen.update(keys)
    return rows


RETRAIN = """
import json, sys
from danvan.kernel import clock
from danvan.kernel.db import get_database
from danvan.kernel.settings import get_settings
from danvan.nlp.params import Params
from danvan.nlp.classifiers import Row
from danvan.opinion.retrain import retrain
clock.start_at(get_settings().clock_start)
seed = [Row(**r) for r in json.load(sys.stdin)]
quick = Params(folds=2, views="no", word_ngrams=1, char_max=3)
result = retrain(get_database(), get_settings(), seed=seed, params=quick, force=True)
print(json.dumps({"version": result.version, "activated": result.activated}))
"""


def _labelled(database: Database, user_id: str, text_: str) -> MessageAnalysis | None:
    with database.session() as session:
        found = session.scalars(
            select(MessageAnalysis)
            .join(Message, Message.id == MessageAnalysis.message_id)
            .where(Message.text == text_)
        ).first()
        if found is not None:
            session.expunge(found)
        return found


def test_a_province_on_two_machines_sharing_only_the_database(
    province_db: str, standin: ThreadedServer, tmp_path: Path
) -> None:
    zalo: StandinState = state_of(standin)
    database = Database(province_db)
    try:
        personas = make_personas(database)
        with database.session() as session:
            store_tokens(
                session,
                platform="zalo_oa",
                access_token="oa-access",
                refresh_token="oa-refresh",
                expires_at=utcnow() + timedelta(hours=25),
            )
        # The default set, as the first machine to need it stored it (trained once per
        # corpus and engine; the suite keeps it in its models folder).
        default = classifiers.default_set(
            TEST_MODELS_DIR, topic_codes=[t.code for t in DEFAULT_TOPICS]
        )
        packed, _ = model_store.pack_folder(TEST_MODELS_DIR / default.version)
        settings = Settings(database_url=province_db, secret_key=SECRET_KEY, _env_file=None)  # type: ignore[call-arg]
        with database.session() as session:
            model_store.add(session, settings, packed, source="default")

        with two_machines(province_db, standin, tmp_path) as (a, b):
            a.serve()
            b.serve()
            b.start("worker", "worker", "--name", "worker-b")

            # 1. Staff reply with a photo through machine A; machine B's worker sends it.
            citizen = "zid-two-machines"
            _citizen_writes(a, citizen, COMMUNE_WORDS[2302])
            _citizen_writes(a, citizen, "Đường thôn bị sạt lở, xe không qua được")
            with database.session() as session:
                conversation_id = session.scalar(
                    select(Conversation.id).order_by(Conversation.id.desc())
                )
            with httpx.Client(base_url=a.web_url, timeout=10) as client:
                officer = Staff.signed_in(
                    client,  # type: ignore[arg-type]
                    personas.officer_a.user.email,
                    personas.officer_a.password,
                )
                answer = officer.post(
                    f"/conversations/{conversation_id}/reply",
                    {"text": "Ảnh hiện trường sau khi sửa"},
                    files={"photo": ("hien-truong.jpg", _photo(), "image/jpeg")},
                )
                assert answer.status_code == 303, answer.text
            with database.session() as session:
                reply = session.scalars(
                    select(Message).where(
                        Message.conversation_id == conversation_id, Message.kind == "image"
                    )
                ).one()
                name = str(reply.attachments[0]["url"])[len(MEDIA_PREFIX) :]
            photo = stored_photo(database, name)
            assert photo
            [received] = _until(
                lambda: [m for m in zalo.messages(citizen) if m.attachment_id],
                "the photo reply to reach the stand-in",
                a,
                b,
            )
            [upload] = zalo.requests_to(UPLOAD_IMAGE)
            assert upload.body == {"file": {"filename": name, "size": len(photo)}}
            assert received.attachment_id in zalo.uploads
            assert received.text == "Ảnh hiện trường sau khi sửa"
            assert not (b.folder / "var" / "media").exists()  # read from the database
            assert not (a.folder / "var" / "media").exists()

            # 2. A process of machine A retrains; machine B's worker labels with the new set.
            seed = [asdict(row) for row in _small_seed()]
            done = subprocess.run(
                [sys.executable, "-c", RETRAIN],
                cwd=a.folder,
                env=a.now_env(),
                input=json.dumps(seed, ensure_ascii=False),
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            result = json.loads(done.stdout.strip().splitlines()[-1])
            assert result["activated"], result
            version = result["version"]
            with database.session() as session:
                stored = session.get(ModelSetArtifact, version)
                assert stored is not None
                assert stored.source == "retrain"
                active = session.scalar(
                    select(ClassifierVersion.version).where(ClassifierVersion.status == "active")
                )
                assert active == version

            text_b = "Xin hỏi lịch tiêm phòng cho trẻ ở thôn Bản Lác tháng này"
            _citizen_writes(b, citizen, text_b)
            seen_by_b = _until(
                lambda: (
                    (found := _labelled(database, citizen, text_b)) is not None
                    and found.model_version == version
                    and found
                ),
                "machine B's worker to label with the retrained set",
                a,
                b,
            )
            assert seen_by_b.model_version == version

            # 3. Machine B goes down, machine A's worker comes up: it loads the set from the
            # database too (the retraining process was another process).
            b.stop("worker")
            a.start("worker", "worker", "--name", "worker-a")
            text_a = "Điện thôn Nà Pồng mất từ sáng chưa có lại, đề nghị kiểm tra giúp"
            _citizen_writes(a, citizen, text_a)
            seen_by_a = _until(
                lambda: (
                    (found := _labelled(database, citizen, text_a)) is not None
                    and found.model_version == version
                    and found
                ),
                "machine A's worker to label with the retrained set",
                a,
                b,
            )
            assert seen_by_a.model_version == version
            for machine in (a, b):  # nothing of a model set on either machine's disk
                models = machine.folder / "var" / "models"
                assert not models.exists() or not any(models.glob("*/set.json"))
    finally:
        database.dispose()
