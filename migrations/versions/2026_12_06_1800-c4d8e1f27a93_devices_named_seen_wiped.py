"""each login is a device: its name, where and when it was last seen, and whether it was wiped

Revision ID: c4d8e1f27a93
Revises: 8c4d2f6a1e73
Create Date: 2026-12-06 18:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4d8e1f27a93"
down_revision = "8c4d2f6a1e73"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("wiped_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("wiped_at")
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("address")
        batch_op.drop_column("name")
