"""Photos in the media store, as tests look at them."""

from __future__ import annotations

from sqlalchemy import delete, select

from danvan.kernel.db import Database
from danvan.kernel.models import MediaObject


def stored_photos(database: Database) -> dict[str, bytes]:
    """{name: bytes} of every stored photo, by name."""
    with database.session() as session:
        rows = session.execute(select(MediaObject.name, MediaObject.data).order_by("name")).all()
    return {str(name): bytes(data or b"") for name, data in rows}


def stored_photo(database: Database, name: str) -> bytes | None:
    return stored_photos(database).get(name)


def forget_photo(database: Database, name: str) -> None:
    """A stored photo goes missing (as if deleted by hand)."""
    with database.session() as session:
        session.execute(delete(MediaObject).where(MediaObject.name == name))
