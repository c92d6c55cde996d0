"""Trained model sets in the database (`ModelSetArtifact`): a set trained by one worker is
loaded by every worker and web process, on every machine; nothing of it stays on local disk.

- `pack` turns a set into one bounded, compressed archive (danvan.nlp.set_archive) and records
  its SHA-256 and an HMAC-SHA256 of (version, digest) under DANVAN_SECRET_KEY; it runs outside
  any transaction (seconds), then `add` stores it in the caller's.
- `load` returns a stored set, cached in this process by version: the first use reads the row,
  refuses bytes whose digest or signature does not match (a row written by anything but a
  danvan process holding the key), unpacks (JSON and .npy only: nothing is unpickled) and
  loads; later uses cost nothing. Which set is in use is read each job cycle from
  `ClassifierVersion` (labels.py), so an activation reaches every process at its next cycle.
- `import_folder` copies the sets of a legacy models folder (DANVAN_ANALYSIS_MODELS_DIR, where
  they were kept before) into the table (`danvan model import`); labels.py does the same for
  one set the first time it is asked for one that is only there.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.nlp import classifiers, set_archive
from danvan.nlp.classifiers import ClassifierError, ModelSet
from danvan.opinion.models import ModelSetArtifact

Log = Callable[[str], None]

# Sets kept loaded per process: the one in use, the one before it (a rollback) and the default.
CACHED_SETS = 3
_LOADED: OrderedDict[str, ModelSet] = OrderedDict()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Packed:
    version: str
    data: bytes = field(repr=False)
    sha256: str
    trained_on: dict[str, Any]


def _quiet(_message: str) -> None:
    return None


def trained_by() -> str:
    return f"{socket.gethostname()} pid {os.getpid()}"[:100]


def signature(settings: Settings, version: str, sha256: str) -> str:
    key = settings.resolve_secret_key().encode()
    return hmac.new(key, f"danvan model set\n{version}\n{sha256}".encode(), "sha256").hexdigest()


def pack(model_set: ModelSet, *, trained_on: dict[str, Any]) -> Packed:
    data = set_archive.pack(model_set, info=trained_on)
    return Packed(model_set.version, data, hashlib.sha256(data).hexdigest(), dict(trained_on))


_FOLDERS: dict[tuple[str, int], Packed] = {}


def pack_folder(directory: Path) -> tuple[Packed, ModelSet]:
    """A legacy set folder packed as it is, and the set it holds (checked to load first).
    Packed once per process and folder (xz takes seconds; sets are not changed once written)."""
    model_set = classifiers.load_cached(directory)
    key = (str(directory.resolve()), (directory / "set.json").stat().st_mtime_ns)
    with _LOCK:
        packed = _FOLDERS.get(key)
    if packed is None:
        data = set_archive.pack_directory(directory)
        trained_on = {k: v for k, v in classifiers.set_info(directory).items() if k != "tasks"}
        packed = Packed(model_set.version, data, hashlib.sha256(data).hexdigest(), trained_on)
        with _LOCK:
            _FOLDERS[key] = packed
    return packed, model_set


def add(
    session: Session,
    settings: Settings,
    packed: Packed,
    *,
    source: str,
    metrics: dict[str, Any] | None = None,
) -> bool:
    """Store a packed set in the caller's transaction; False when its version is stored already
    (sets are immutable once stored: a version names what it was trained on)."""
    if stored(session, packed.version):
        return False
    session.add(
        ModelSetArtifact(
            version=packed.version,
            source=source,
            trained_on=packed.trained_on,
            metrics=metrics or {},
            size=len(packed.data),
            sha256=packed.sha256,
            signature=signature(settings, packed.version, packed.sha256),
            data=packed.data,
            trained_by=trained_by(),
        )
    )
    session.flush()
    return True


def add_once(database: Database, settings: Settings, packed: Packed, *, source: str) -> bool:
    """`add` in a transaction of its own; another process storing the same version at the same
    time (two machines training the default set at once) is not an error."""
    try:
        with database.session() as session:
            return add(session, settings, packed, source=source)
    except IntegrityError:
        return False


def stored(session: Session, version: str) -> bool:
    """One primary-key lookup; the bytes are not read."""
    found = session.scalar(
        select(ModelSetArtifact.version).where(ModelSetArtifact.version == version)
    )
    return found is not None


def cached(version: str) -> ModelSet | None:
    with _LOCK:
        return _LOADED.get(version)


def remove(session: Session, version: str) -> None:
    session.execute(delete(ModelSetArtifact).where(ModelSetArtifact.version == version))


def load(source: Session | Database, settings: Settings, version: str) -> ModelSet | None:
    """The stored set of `version` (loaded once per process), or None when it is not stored.
    ClassifierError when the stored bytes are refused (digest, signature, archive, set).
    Given a database, the row is read in a transaction of its own, closed before unpacking."""
    found = cached(version)
    if found is not None:
        return found
    query = select(
        ModelSetArtifact.data, ModelSetArtifact.sha256, ModelSetArtifact.signature
    ).where(ModelSetArtifact.version == version)
    if isinstance(source, Session):
        row = source.execute(query).first()
    else:
        with source.session() as session:
            row = session.execute(query).first()
    if row is None:
        return None
    data = bytes(row.data)
    digest = hashlib.sha256(data).hexdigest()
    if not hmac.compare_digest(digest, row.sha256):
        raise ClassifierError(f"model set {version}: stored bytes do not match their digest")
    if not hmac.compare_digest(signature(settings, version, digest), row.signature):
        raise ClassifierError(
            f"model set {version}: signature does not match (not written by a process "
            "holding this deployment's DANVAN_SECRET_KEY)"
        )
    model_set = set_archive.unpack(data)
    if model_set.version != version:
        raise ClassifierError(f"model set {version}: the archive holds {model_set.version}")
    return remember(model_set)


def remember(model_set: ModelSet) -> ModelSet:
    """Keep a set this process trained or loaded (the last few, by use)."""
    with _LOCK:
        _LOADED[model_set.version] = model_set
        _LOADED.move_to_end(model_set.version)
        while len(_LOADED) > CACHED_SETS:
            _LOADED.popitem(last=False)
    return model_set


def import_folder(
    database: Database, settings: Settings, folder: str | Path, *, log: Log = _quiet
) -> tuple[int, int, int]:
    """Copy every set of a legacy models folder into the database (the folder is read, not
    changed): (imported, already stored, unusable)."""
    imported = present = failed = 0
    root = Path(folder)
    if not root.is_dir():
        return 0, 0, 0
    for directory in sorted(p for p in root.iterdir() if (p / "set.json").is_file()):
        with database.session() as session:
            if stored(session, directory.name):
                present += 1
                continue
        try:
            packed, _ = pack_folder(directory)
        except ClassifierError as exc:
            log(f"{directory.name}: not imported ({exc})")
            failed += 1
            continue
        if add_once(database, settings, packed, source="import"):
            imported += 1
            log(f"{packed.version}: imported ({len(packed.data)} bytes)")
        else:
            present += 1
    return imported, present, failed
