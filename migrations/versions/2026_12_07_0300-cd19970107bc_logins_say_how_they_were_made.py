"""logins say how they were made: a tablet's bearer token or a browser's page session

A page session's token is no longer taken as a bearer token, and an idled-out page session leaves the
devices list. Logins made before this revision cannot be told apart: they count as tablets' tokens, so
browsers log in again once after the upgrade while tablets stay logged in.

Revision ID: cd19970107bc
Revises: f88620526ebd
Create Date: 2026-12-07 03:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "cd19970107bc"
down_revision = "f88620526ebd"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("via", sa.String(length=10), server_default="token", nullable=False))


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("via")
