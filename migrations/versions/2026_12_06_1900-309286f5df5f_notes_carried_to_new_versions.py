"""notes carried onto a new version: where a copy came from, each carry's progress, what was not found

Revision ID: 309286f5df5f
Revises: 9cfc6102e7a4
Create Date: 2026-12-06 19:00:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "309286f5df5f"
down_revision = "9cfc6102e7a4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("carried_from_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_annotations_carried_from_id"), ["carried_from_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_annotations_carried_from_id_annotations"),
            "annotations",
            ["carried_from_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "note_carries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("from_version_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("carried", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_note_carries_known_status")
        ),
        sa.ForeignKeyConstraint(
            ["from_version_id"],
            ["document_versions.id"],
            name=op.f("fk_note_carries_from_version_id_document_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["document_versions.id"],
            name=op.f("fk_note_carries_version_id_document_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_carries")),
        sa.UniqueConstraint("version_id", name=op.f("uq_note_carries_version_id")),
    )
    op.create_table(
        "carry_misses",
        sa.Column("carry_id", sa.Integer(), nullable=False),
        sa.Column("annotation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["annotation_id"],
            ["annotations.id"],
            name=op.f("fk_carry_misses_annotation_id_annotations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["carry_id"],
            ["note_carries.id"],
            name=op.f("fk_carry_misses_carry_id_note_carries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("carry_id", "annotation_id", name=op.f("pk_carry_misses")),
    )
    with op.batch_alter_table("carry_misses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_carry_misses_annotation_id"), ["annotation_id"], unique=False)


def downgrade():
    with op.batch_alter_table("carry_misses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carry_misses_annotation_id"))
    op.drop_table("carry_misses")
    op.drop_table("note_carries")
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_annotations_carried_from_id_annotations"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_annotations_carried_from_id"))
        batch_op.drop_column("carried_from_id")
