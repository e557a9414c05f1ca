"""ballot responses take a client_id, so that a response retried after a lost answer is recognised

Revision ID: f88620526ebd
Revises: fee288acf0e3
Create Date: 2026-12-06 20:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f88620526ebd"
down_revision = "fee288acf0e3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ballot_response_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["opinion_ballots.id"],
            name=op.f("fk_ballot_response_receipts_ballot_id_opinion_ballots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ballot_response_receipts_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_response_receipts")),
        sa.UniqueConstraint("user_id", "client_id", name=op.f("uq_ballot_response_receipts_user_id_client_id")),
    )
    with op.batch_alter_table("ballot_response_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ballot_response_receipts_ballot_id"), ["ballot_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("ballot_response_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballot_response_receipts_ballot_id"))
    op.drop_table("ballot_response_receipts")
