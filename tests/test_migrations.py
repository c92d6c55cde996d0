from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from danvan.db import Database
from danvan.models import Base


def test_the_migrations_build_exactly_the_models(database: Database) -> None:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
