"""Photos danvan stores itself, in the database (`MediaObject`): every web and worker process,
on any machine, reads the bytes a process wrote, in the same transaction as the rows that refer
to them (a rolled-back upload leaves nothing behind).

Names are `<32 random hex digits>.<jpg|png|webp>`; messages refer to them as `/media/<name>`.
`DANVAN_MEDIA_DIR`, where photos were kept before, is only a source for `import_folder`
(`danvan media import`), which keeps each file's name so the messages' links keep working.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from danvan.kernel.models import MediaObject

MEDIA_NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png|webp)")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@dataclass(frozen=True)
class StoredMedia:
    name: str
    data: bytes
    content_type: str


def put(session: Session, *, data: bytes, extension: str) -> str:
    """Store a photo (already checked and re-encoded) under a new random name; the name."""
    if extension not in CONTENT_TYPES:
        raise ValueError(f"unknown media extension {extension!r}")
    name = f"{secrets.token_hex(16)}.{extension}"
    session.add(
        MediaObject(name=name, content_type=CONTENT_TYPES[extension], size=len(data), data=data)
    )
    session.flush()
    return name


def read(session: Session, name: str) -> StoredMedia | None:
    """The stored photo of a name, or None (a name we never give, or not stored)."""
    if MEDIA_NAME.fullmatch(name) is None:
        return None
    row = session.execute(
        select(MediaObject.data, MediaObject.content_type).where(MediaObject.name == name)
    ).first()
    if row is None or row.data is None:
        return None
    return StoredMedia(name=name, data=bytes(row.data), content_type=row.content_type)


def remove(session: Session, names: Iterable[str]) -> int:
    """Delete stored photos by name, in the caller's transaction; the count deleted."""
    wanted = [n for n in set(names) if MEDIA_NAME.fullmatch(n)]
    if not wanted:
        return 0
    result = session.execute(
        delete(MediaObject)
        .where(MediaObject.name.in_(wanted))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def import_folder(session: Session, folder: str | Path) -> tuple[int, int]:
    """Copy the photos of a legacy media folder into the store, names kept (the files are read,
    not changed): (imported, already stored). Files not named as danvan names them are skipped."""
    imported = present = 0
    root = Path(folder)
    if not root.is_dir():
        return 0, 0
    for path in sorted(root.iterdir()):
        match = MEDIA_NAME.fullmatch(path.name)
        if match is None or not path.is_file():
            continue
        if session.get(MediaObject, path.name) is not None:
            present += 1
            continue
        data = path.read_bytes()
        session.add(
            MediaObject(
                name=path.name,
                content_type=CONTENT_TYPES[match.group(1)],
                size=len(data),
                data=data,
            )
        )
        session.flush()
        imported += 1
    return imported, present
