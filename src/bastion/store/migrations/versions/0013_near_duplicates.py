"""Near-duplicate clusters: every text content item's MinHash signature and its cluster.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "near_duplicate_clusters",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("peak_1h", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["pk"], ["content_items.pk"], name=op.f("fk_near_duplicate_clusters_pk_content_items")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_near_duplicate_clusters")),
    )
    with op.batch_alter_table("near_duplicate_clusters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_near_duplicate_clusters_last_seen"), ["last_seen"], unique=False)
        batch_op.create_index("ix_near_duplicate_clusters_size", ["size"], unique=False)

    op.create_table(
        "near_duplicate_members",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("content_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("cluster_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster_pk"], ["content_items.pk"], name=op.f("fk_near_duplicate_members_cluster_pk_content_items")
        ),
        sa.ForeignKeyConstraint(
            ["content_pk"], ["content_items.pk"], name=op.f("fk_near_duplicate_members_content_pk_content_items")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_near_duplicate_members")),
        sa.UniqueConstraint("content_pk", name=op.f("uq_near_duplicate_members_content_pk")),
    )
    with op.batch_alter_table("near_duplicate_members", schema=None) as batch_op:
        batch_op.create_index("ix_near_duplicate_members_cluster", ["cluster_pk", "joined_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("near_duplicate_members", schema=None) as batch_op:
        batch_op.drop_index("ix_near_duplicate_members_cluster")
    op.drop_table("near_duplicate_members")
    with op.batch_alter_table("near_duplicate_clusters", schema=None) as batch_op:
        batch_op.drop_index("ix_near_duplicate_clusters_size")
        batch_op.drop_index(batch_op.f("ix_near_duplicate_clusters_last_seen"))
    op.drop_table("near_duplicate_clusters")
