"""retention: a meeting's days for its private notes, and the administrator's legal holds

Revision ID: 8d2f4a6c1e57
Revises: 3b7e2c91d4a5
Create Date: 2026-12-06 18:00:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "8d2f4a6c1e57"
down_revision = "3b7e2c91d4a5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
    op.create_table(
        "legal_holds",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("held_by_id", sa.Integer(), nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["held_by_id"], ["users.id"], name=op.f("fk_legal_holds_held_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_legal_holds_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", name=op.f("pk_legal_holds")),
    )


def downgrade():
    op.drop_table("legal_holds")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_column("retention_days")
