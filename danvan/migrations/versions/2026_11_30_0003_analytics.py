"""staff alerts and analytics: staff Zalo links and codes, alert deliveries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import danvan.kernel.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = danvan.kernel.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff_zalo_links",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("zalo_user_id", sa.String(length=128), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("alerts_enabled", sa.Boolean(), nullable=False),
        sa.Column("linked_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_staff_zalo_links_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_staff_zalo_links_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_staff_zalo_links")),
        sa.UniqueConstraint("zalo_user_id", name=op.f("uq_staff_zalo_links_zalo_user_id")),
    )
    with op.batch_alter_table("staff_zalo_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_zalo_links_contact_id"), ["contact_id"], unique=False
        )

    op.create_table(
        "staff_link_codes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_staff_link_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_staff_link_codes")),
    )
    with op.batch_alter_table("staff_link_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_link_codes_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "opinion_alert_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["opinion_alerts.id"],
            name=op.f("fk_opinion_alert_deliveries_alert_id_opinion_alerts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_opinion_alert_deliveries_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_opinion_alert_deliveries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinion_alert_deliveries")),
        sa.UniqueConstraint(
            "alert_id", "user_id", name=op.f("uq_opinion_alert_deliveries_alert_id_user_id")
        ),
    )
    with op.batch_alter_table("opinion_alert_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opinion_alert_deliveries_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("opinion_alert_deliveries")
    op.drop_table("staff_link_codes")
    op.drop_table("staff_zalo_links")
