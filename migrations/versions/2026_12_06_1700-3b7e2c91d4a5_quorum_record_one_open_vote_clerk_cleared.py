"""quorum at session start and vote open, one open vote per meeting, the clerk's clearance

Revision ID: 3b7e2c91d4a5
Revises: 5b1e2c7d9a40
Create Date: 2026-12-06 17:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "3b7e2c91d4a5"
down_revision = "5b1e2c7d9a40"
branch_labels = None
depends_on = None

ONE_OPEN = sa.text("status = 'open'")


def upgrade():
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quorum_at_start", sa.JSON(), nullable=True))
    with op.batch_alter_table("participants", schema=None) as batch_op:
        # Existing clerks keep the clearance a new meeting's clerk gets.
        batch_op.add_column(
            sa.Column("clerk_cleared", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quorum_at_open", sa.JSON(), nullable=True))
        batch_op.create_index(
            "uq_votes_one_open_per_meeting",
            ["meeting_id"],
            unique=True,
            sqlite_where=ONE_OPEN,
            postgresql_where=ONE_OPEN,
        )


def downgrade():
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_index("uq_votes_one_open_per_meeting")
        batch_op.drop_column("quorum_at_open")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("clerk_cleared")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_column("quorum_at_start")
