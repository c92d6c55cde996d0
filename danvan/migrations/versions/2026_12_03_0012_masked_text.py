"""what public and aggregate surfaces quote, masked by the worker: web processes never load the
NLP stack (message_analyses.quote, cases.public_masked, training_feedback.terms,
consultation_summaries)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:30:00

Only columns and a table: existing rows are masked by the worker's jobs (a batch at a time,
progress in the log and, for messages, on the dashboard); until then the pages show nothing
unmasked (no quote, the neutral case title, "being summarised").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import danvan.kernel.models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = danvan.kernel.models.UTCDateTime(timezone=True)
JSON = danvan.kernel.models.NullableJSON


def upgrade() -> None:
    with op.batch_alter_table("message_analyses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quote", sa.Text(), nullable=True))
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_masked", JSON, nullable=True))
    with op.batch_alter_table("training_feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("terms", JSON, nullable=True))
    op.create_table(
        "consultation_summaries",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=400), nullable=False),
        sa.Column("wanted", sa.String(length=80), nullable=False),
        sa.Column("of", sa.String(length=80), nullable=True),
        sa.Column("model", sa.String(length=64), nullable=True),
        sa.Column("summary", JSON, nullable=True),
        sa.Column("requested_at", UTC_DATETIME, nullable=False),
        sa.Column("computed_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_consultation_summaries_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("consultation_id", "scope", name=op.f("pk_consultation_summaries")),
    )
    with op.batch_alter_table("consultation_summaries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consultation_summaries_requested_at"), ["requested_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("consultation_summaries")
    with op.batch_alter_table("training_feedback", schema=None) as batch_op:
        batch_op.drop_column("terms")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("public_masked")
    with op.batch_alter_table("message_analyses", schema=None) as batch_op:
        batch_op.drop_column("quote")
