"""Alembic migrations, run with `danvan db upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    # Date-prefixed revision files, oldest first in a listing.
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def revision(url: str, message: str, rev_id: str | None = None) -> None:
    command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)


def draft_revision(message: str) -> None:
    """Draft the next revision: autogenerate the difference between the models and the chain
    (upgraded on an empty SQLite file). Read and edit the draft before committing it: SQLite
    column changes need `batch_alter_table`, and data needs backfill steps."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/head.db"
        upgrade(url)
        heads = sorted((HERE / "versions").glob("*_[0-9][0-9][0-9][0-9]_*.py"))
        number = int(heads[-1].name.split("_")[3]) + 1 if heads else 1
        revision(url, message, rev_id=f"{number:04d}")
