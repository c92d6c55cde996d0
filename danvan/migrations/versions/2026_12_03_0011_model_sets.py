"""model sets in the database: one packed, signed archive per trained set

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 14:30:00

Sets trained before this revision live under DANVAN_ANALYSIS_MODELS_DIR: a process that needs
one imports it into the table the first time (or `danvan model import` imports them all); the
folder is read, not changed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import danvan.kernel.models

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = danvan.kernel.models.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "model_set_artifacts",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("trained_on", JSON, nullable=False),
        sa.Column("metrics", JSON, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("trained_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_model_set_artifacts")),
    )


def downgrade() -> None:
    op.drop_table("model_set_artifacts")
