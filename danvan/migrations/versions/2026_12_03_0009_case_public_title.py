"""cases.public_title: the title public surfaces show, written or approved by staff

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_title", sa.String(length=200), nullable=True))
    # Backfill: titles staff wrote (cases staff opened) stay public; the others (a partner's,
    # the web form's, made from a citizen's words) wait for staff, with a neutral title shown.
    op.execute("UPDATE cases SET public_title = title WHERE created_by_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("public_title")
