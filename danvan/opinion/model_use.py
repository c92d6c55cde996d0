"""The opinion classifier set in use, for every process on every machine.

Which set is active is `ClassifierVersion`'s to say (one indexed query per job cycle: an
activation by any process reaches every worker at its next cycle); the sets themselves are in
the database (model_store.py). No active row: the default set, trained reproducibly from the
seed and real corpora the first time any process needs it, then stored, so that no other
machine trains it again. Sets in the legacy models folder (DANVAN_ANALYSIS_MODELS_DIR) are
imported the first time they are asked for.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.kernel.taxonomy import topics
from danvan.nlp import classifiers
from danvan.nlp.classifiers import ModelSet
from danvan.opinion import model_store
from danvan.opinion.models import ClassifierVersion

Log = Callable[[str], None]
log = logging.getLogger("danvan.core.analysis")
# Where the processes of one machine take turns to train the default set (lock files only).
TRAINING_LOCKS = Path(tempfile.gettempdir()) / "danvan-training"


def _quiet(_message: str) -> None:
    return None


def models_dir(settings: Settings) -> Path:
    return Path(settings.analysis_models_dir)


def topic_codes() -> list[str]:
    return [t.code for t in topics()]


def active_version(session: Session) -> ClassifierVersion | None:
    return session.scalar(select(ClassifierVersion).where(ClassifierVersion.status == "active"))


def current_set(session: Session, settings: Settings, *, log: Log = _quiet) -> ModelSet:
    """The active deployment set, else the default one (trained from the seed and real corpora
    the first time, then kept in the database). Training may take minutes: callers that hold a
    write transaction use `set_in_use` instead."""
    active = active_version(session)
    return _load(settings, active.version if active else None, log=log, session=session)


def set_in_use(database: Database, settings: Settings, *, log: Log = _quiet) -> ModelSet:
    """`current_set` without a transaction open while a set is loaded or trained (on SQLite a
    transaction holds the database's write lock: webhooks would wait for the training). One
    indexed query says which set is active; a set already loaded by this process costs nothing
    more, so an activation by any process reaches this one at its next call."""
    with database.session() as session:
        active = active_version(session)
        version = active.version if active else None
    return _load(settings, version, log=log, database=database)


def set_without_schema(settings: Settings, *, log: Log = _quiet) -> ModelSet:
    """The default set for a tool run where the database has no tables yet (a new checkout
    before `danvan db upgrade`): there is no deployment, so no active set; the default set is
    trained into (or read from) the models folder, which the database imports once it exists
    (`_stored_or_legacy`). Nothing is written to the database."""
    return classifiers.default_set(models_dir(settings), topic_codes=topic_codes(), log=log)


def set_if_stored(session: Session, settings: Settings) -> ModelSet | None:
    """The set in use if it loads now, without training or storing anything (web processes):
    from the database, else from a legacy models folder; None otherwise."""
    active = active_version(session)
    version = active.version if active else classifiers.default_version(topic_codes())
    try:
        found = model_store.load(session, settings, version)
        if found is None and (models_dir(settings) / version / "set.json").is_file():
            found = classifiers.load_cached(models_dir(settings) / version)
    except classifiers.ClassifierError:
        return None
    return found


_TRAINING: dict[str, threading.Thread] = {}


def default_ready(database: Database, settings: Settings) -> bool:
    """True when the set in use can be loaded at once. Otherwise (a fresh deployment, a new
    corpus or engine) the default set is trained in a thread of this process, so that the
    worker keeps delivering replies meanwhile; the job labels nothing until it is stored."""
    base, codes = models_dir(settings), topic_codes()
    version = classifiers.default_version(codes)
    with database.session() as session:
        if active_version(session) is not None or model_store.cached(version) is not None:
            return True
        if model_store.stored(session, version):
            return True
    if (base / version / "set.json").is_file():
        return True  # a legacy folder: imported when first loaded
    key = str(base.resolve())
    thread = _TRAINING.get(key)
    if thread is None or not thread.is_alive():
        log.info("training the default opinion classifiers in the background")
        thread = threading.Thread(
            target=_default,
            args=(settings, database, None),
            kwargs={"log": log.info},
            name="danvan-train-default",
            daemon=True,
        )
        _TRAINING[key] = thread
        thread.start()
    return False


def _database(database: Database | None) -> Database:
    assert database is not None
    return database


@contextmanager
def _using(database: Database | None, session: Session | None) -> Iterator[Session]:
    if session is not None:
        yield session
        return
    assert database is not None
    with database.session() as own:
        yield own


def _load(
    settings: Settings,
    version: str | None,
    *,
    log: Log,
    database: Database | None = None,
    session: Session | None = None,
) -> ModelSet:
    if version is not None:
        try:
            found = _stored_or_legacy(settings, version, database, session)
            if found is not None:
                return found
            log(f"active model set {version} is not stored; using the default")
        except classifiers.ClassifierError as exc:
            log(f"active model set {version} unusable ({exc}); using the default")
    return _default(settings, database, session, log=log)


def _stored_or_legacy(
    settings: Settings, version: str, database: Database | None, session: Session | None
) -> ModelSet | None:
    """A stored set; else one still in the legacy models folder, imported into the database
    on the way (the folder is read, not changed); else None."""
    found = model_store.load(session or _database(database), settings, version)
    if found is not None:
        return found
    legacy = models_dir(settings) / version
    if not (legacy / "set.json").is_file():
        return None
    packed, model_set = model_store.pack_folder(legacy)
    if packed.version != version:
        raise classifiers.ClassifierError(f"{legacy}: holds the set {packed.version}")
    _store(settings, packed, "import", database, session)
    return model_store.remember(model_set)


def _default(
    settings: Settings, database: Database | None, session: Session | None, *, log: Log
) -> ModelSet:
    """The default set: stored, else imported from the legacy folder, else trained here (one
    process of this machine at a time) and stored, so that no other machine trains it again."""
    codes = topic_codes()
    version = classifiers.default_version(codes)
    refused = False
    try:
        found = _stored_or_legacy(settings, version, database, session)
        if found is not None:
            return found
    except classifiers.ClassifierError as exc:
        log(f"default model set {version} unusable ({exc}); training it again")
        refused = True
    with classifiers.locked(TRAINING_LOCKS, version):
        if not refused:
            found = model_store.load(session or _database(database), settings, version)
            if found is not None:
                return found
        trained, info = classifiers.train_default(
            topic_codes=codes, log=log, cache_dir=models_dir(settings)
        )
        packed = model_store.pack(trained, trained_on=info)
        if refused:
            with _using(database, session) as writing:
                model_store.remove(writing, version)
        _store(settings, packed, "default", database, session)
    return model_store.remember(trained)


def _store(
    settings: Settings,
    packed: model_store.Packed,
    source: str,
    database: Database | None,
    session: Session | None,
) -> None:
    """In the caller's transaction, else in one of its own where another machine storing the
    same set at the same moment is not an error."""
    if session is not None:
        model_store.add(session, settings, packed, source=source)
    else:
        model_store.add_once(_database(database), settings, packed, source=source)
