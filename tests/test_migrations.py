from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from danvan.kernel.db import Database
from danvan.kernel.models import Base
from danvan.migrations import alembic_config, upgrade


def test_the_migrations_build_exactly_the_models(database: Database) -> None:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def _sample(column: sa.Column[Any], index: int) -> Any:
    """A value a column of that type accepts (reflected types, so dialect-generic). Every
    integer is 1, so that each table's one row satisfies every foreign key (all ids are 1)."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return True
    if isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, (sa.Float, sa.Numeric)):
        return 1.5
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 11, 1, 8, 0)  # noqa: DTZ001 (stored naive UTC)
    if isinstance(kind, sa.Date):
        return date(2026, 11, 1)
    if isinstance(kind, sa.JSON):
        return [index]
    if isinstance(kind, sa.LargeBinary):
        return b"x"
    length = getattr(kind, "length", None) or 40
    return f"v{index}"[:length]


def test_upgrading_from_the_landed_schema_keeps_every_row(tmp_path: Path) -> None:
    """Revision 0001 is what the first deployments run: a row in every one of its tables must
    come through the later revisions (SQLite alters tables by copying them) and back down."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    engine = sa.create_engine(url)
    old = sa.MetaData()
    old.reflect(engine)
    with engine.begin() as conn:  # foreign keys are off on this plain connection
        for table in old.sorted_tables:
            if table.name == "alembic_version":
                continue
            conn.execute(
                table.insert().values({c.name: _sample(c, i) for i, c in enumerate(table.columns)})
            )

    def rows() -> dict[str, list[tuple[Any, ...]]]:
        with engine.connect() as conn:
            return {
                t.name: [tuple(r) for r in conn.execute(sa.select(*t.columns))]
                for t in old.sorted_tables
                if t.name != "alembic_version"
            }

    before = rows()
    assert len(before) > 40
    assert all(len(found) == 1 for found in before.values())
    upgrade(url)
    assert rows() == before
    command.downgrade(alembic_config(url), "0001")
    assert rows() == before
    engine.dispose()
