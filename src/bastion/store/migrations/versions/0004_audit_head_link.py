"""The audit head keeps the previous hash too, so PostgreSQL can move the head and write the row in one
statement (the head's lock is held for one trip instead of three).

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.execute(
        sa.text(
            "UPDATE audit_head SET prev_hash = COALESCE("
            "(SELECT prev_hash FROM audit_log WHERE audit_log.seq = audit_head.seq), :genesis)"
        ).bindparams(genesis=GENESIS_HASH)
    )
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("prev_hash")
