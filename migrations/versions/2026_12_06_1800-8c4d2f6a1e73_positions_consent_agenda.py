"""members' positions before the session, the consent block

Revision ID: 8c4d2f6a1e73
Revises: 8d2f4a6c1e57
Create Date: 2026-12-06 18:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8c4d2f6a1e73"
down_revision = "8d2f4a6c1e57"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "position IN ('no_objection', 'object', 'wish_to_speak')",
            name=op.f("ck_positions_known_position"),
        ),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["agenda_items.id"],
            name=op.f("fk_positions_agenda_item_id_agenda_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_positions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
        sa.UniqueConstraint("agenda_item_id", "user_id", name=op.f("uq_positions_agenda_item_id_user_id")),
    )
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_positions_agenda_item_id"), ["agenda_item_id"], unique=False)
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("consent_adopted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("positions_visible", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("consent_adopted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_column("consent_adopted_at")
        batch_op.drop_column("positions_visible")
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.drop_column("consent_adopted_at")
        batch_op.drop_column("consent")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_positions_agenda_item_id"))
    op.drop_table("positions")
