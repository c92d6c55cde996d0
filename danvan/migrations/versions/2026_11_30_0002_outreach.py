"""outreach over Zalo: buttons on outbox rows and broadcasts, answer flows, web poll guard

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import danvan.kernel.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("buttons", _json(), nullable=True))
        batch_op.add_column(sa.Column("template", _json(), nullable=True))
    with op.batch_alter_table("consultation_answers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "phone_asked_at", danvan.kernel.models.UTCDateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("buttons", _json(), nullable=True))
    with op.batch_alter_table("poll_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_poll_answers_device", ["poll_id", "device"], unique=False)
    op.create_table(
        "outreach_flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("poll_id", sa.Integer(), nullable=True),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("pending", _json(), nullable=False),
        sa.Column("stored", sa.Boolean(), nullable=False),
        sa.Column("expires_at", danvan.kernel.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", danvan.kernel.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_outreach_flows_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_outreach_flows_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["polls.id"],
            name=op.f("fk_outreach_flows_poll_id_polls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_flows")),
        sa.UniqueConstraint("contact_id", name=op.f("uq_outreach_flows_contact_id")),
    )
    with op.batch_alter_table("outreach_flows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outreach_flows_consultation_id"), ["consultation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outreach_flows_poll_id"), ["poll_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outreach_flows_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outreach_flows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_flows_expires_at"))
        batch_op.drop_index(batch_op.f("ix_outreach_flows_poll_id"))
        batch_op.drop_index(batch_op.f("ix_outreach_flows_consultation_id"))
    op.drop_table("outreach_flows")
    with op.batch_alter_table("poll_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_poll_answers_device")
        batch_op.drop_column("device")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_column("buttons")
    with op.batch_alter_table("consultation_answers", schema=None) as batch_op:
        batch_op.drop_column("phone_asked_at")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("template")
        batch_op.drop_column("buttons")
