"""a cast's client_id, so that a cast retried after a lost answer is recognised

Revision ID: 5b1e2c7d9a40
Revises: ad6d966bf264
Create Date: 2026-12-06 17:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5b1e2c7d9a40"
down_revision = "ad6d966bf264"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("vote_participations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("vote_participations", schema=None) as batch_op:
        batch_op.drop_column("client_id")
