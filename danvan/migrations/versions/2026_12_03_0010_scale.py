"""a province on several machines: incremental rollups (entries, days), media in the database

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:30:00

Existing rollups stay as they are: a day rolled up before entries existed has no
`opinion_rollup_days` row, so the job recomputes it whole (filling its entries) the first time
an analysis of that day changes, and adds changes to it from then on. Photos under
DANVAN_MEDIA_DIR are imported with `danvan media import` (the folder is read, not changed).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import danvan.kernel.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = danvan.kernel.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "opinion_rollup_entries",
        sa.Column("message_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("sentiment", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_opinion_rollup_entries")),
    )
    with op.batch_alter_table("opinion_rollup_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opinion_rollup_entries_day"), ["day"], unique=False)
    op.create_table(
        "opinion_rollup_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("recomputed_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_opinion_rollup_days")),
    )
    with op.batch_alter_table("message_analyses", schema=None) as batch_op:
        batch_op.create_index("ix_message_analyses_corrected_at", ["corrected_at"], unique=False)
    op.create_table(
        "media_objects",
        sa.Column("name", sa.String(length=48), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_media_objects")),
    )


def downgrade() -> None:
    op.drop_table("media_objects")
    with op.batch_alter_table("message_analyses", schema=None) as batch_op:
        batch_op.drop_index("ix_message_analyses_corrected_at")
    op.drop_table("opinion_rollup_days")
    op.drop_table("opinion_rollup_entries")
