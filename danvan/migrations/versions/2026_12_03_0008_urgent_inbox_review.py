"""urgent first and waiting time in the inbox, urgent alerts, labelling progress

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import danvan.kernel.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = danvan.kernel.models.UTCDateTime(timezone=True)

# A conversation waits since its first citizen message after the last staff answer (a reply
# from danvan or typed in Zalo's own OA inbox); closed and non-inbox conversations wait for none.
BACKFILL_AWAITING = """
UPDATE conversations SET awaiting_since = (
    SELECT MIN(m.created_at) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.direction = 'in'
      AND NOT EXISTS (
          SELECT 1 FROM messages r
          WHERE r.conversation_id = conversations.id AND r.direction = 'out'
            AND r.source IN ('staff', 'oa_inbox') AND r.created_at >= m.created_at
      )
)
WHERE status = 'open'
"""


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("awaiting_since", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("urgent_at", UTC_DATETIME, nullable=True))
        batch_op.create_index(
            batch_op.f("ix_conversations_awaiting_since"), ["awaiting_since"], unique=False
        )
    op.execute(BACKFILL_AWAITING)

    with op.batch_alter_table("opinion_alerts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=10), nullable=False, server_default="spike")
        )
        batch_op.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_opinion_alerts_message_id_messages"),
            "messages",
            ["message_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_opinion_alerts_message_id"), ["message_id"]
        )

    op.create_table(
        "analysis_progress",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_analysis_progress")),
    )


def downgrade() -> None:
    op.drop_table("analysis_progress")
    with op.batch_alter_table("opinion_alerts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_opinion_alerts_message_id"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_opinion_alerts_message_id_messages"), type_="foreignkey"
        )
        batch_op.drop_column("message_id")
        batch_op.drop_column("kind")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_awaiting_since"))
        batch_op.drop_column("urgent_at")
        batch_op.drop_column("awaiting_since")
