"""A decision records the harm type of the job it decided, so a reviewer's exposure today is read from
the reviewer's own decisions through a small partial index, without joining jobs.

(Exposure caps are checked inside every claim. Joining each of the reviewer's decisions of the day to
its job made that check grow with the day's work, and with no harm types in the statistics the planner
could even choose to scan every job.)

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HARM_TYPED = "harm_type IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("harm_type", sa.String(length=64), nullable=True))
    op.execute("UPDATE decisions SET harm_type = (SELECT jobs.harm_type FROM jobs WHERE jobs.pk = decisions.job_pk)")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_decisions_reviewer_day")
        batch_op.create_index(
            "ix_decisions_exposure",
            ["reviewer_pk", "decided_at", "harm_type"],
            unique=False,
            sqlite_where=sa.text(HARM_TYPED),
            postgresql_where=sa.text(HARM_TYPED),
        )


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_decisions_exposure", sqlite_where=sa.text(HARM_TYPED), postgresql_where=sa.text(HARM_TYPED)
        )
        batch_op.create_index("ix_decisions_reviewer_day", ["reviewer_pk", "decided_at"], unique=False)
        batch_op.drop_column("harm_type")
