"""Investigations: bulk actions on a network's members, each with the enforcement actions it took.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "bulk_actions",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("network_id", sa.String(length=64), nullable=False),
        sa.Column("case_pk", _KEY, nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("changed", _DOCUMENT, nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("plan_digest", sa.String(length=64), nullable=False),
        sa.Column("taken_by", sa.String(length=256), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reversed_by", sa.String(length=256), nullable=True),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("action IN ('suspend', 'ban', 'remove')", name=op.f("ck_bulk_actions_action")),
        sa.ForeignKeyConstraint(["case_pk"], ["cases.pk"], name=op.f("fk_bulk_actions_case_pk_cases")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_bulk_actions")),
        sa.UniqueConstraint("plan_digest", name=op.f("uq_bulk_actions_plan_digest")),
    )
    with op.batch_alter_table("bulk_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulk_actions_network_id"), ["network_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bulk_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulk_actions_network_id"))

    op.drop_table("bulk_actions")
