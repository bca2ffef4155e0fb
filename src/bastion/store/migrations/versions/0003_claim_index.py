"""Claims walk an index in claim order instead of sorting every open job of the queue; exposure caps
count a reviewer's day from an index.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIMABLE = "status IN ('open', 'claimed')"


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_jobs_claimable",
            ["queue", sa.text("claim_rank DESC"), "pk"],
            unique=False,
            sqlite_where=sa.text(CLAIMABLE),
            postgresql_where=sa.text(CLAIMABLE),
        )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index("ix_decisions_reviewer_day", ["reviewer_pk", "decided_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_decisions_reviewer_day")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_claimable", sqlite_where=sa.text(CLAIMABLE), postgresql_where=sa.text(CLAIMABLE))
