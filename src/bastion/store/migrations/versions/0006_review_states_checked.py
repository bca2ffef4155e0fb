"""Review states are checked by the store, and every job and decision has a harm type.

- CHECK constraints keep `jobs.kind`, `jobs.status`, `appeals.status` and `webhook_deliveries.status`
  within their enums (`bastion.domain.review`): a typo in a new area fails at once instead of creating a
  job no query will ever find.
- A job without a policy hint (a report whose reason names no policy) used to have no harm type, so its
  decisions escaped the reviewers' exposure counts. Jobs get the top-level policy of their hint, or
  "unclassified"; decisions get the harm type of the policy they found, or their job's. Both columns are
  then NOT NULL.

The constraint values are spelled out here, not read from the enums: a migration must keep meaning what
it meant when it was written.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECKS = {
    "jobs": [
        ("kind", "kind IN ('review', 'escalation', 'appeal')"),
        ("status", "status IN ('open', 'claimed', 'held', 'decided', 'cancelled')"),
    ],
    "appeals": [("status", "status IN ('open', 'upheld', 'overturned')")],
    "webhook_deliveries": [("status", "status IN ('pending', 'delivered', 'dead')")],
}
TOP_LEVEL = "CASE WHEN instr({0}, '.') > 0 THEN substr({0}, 1, instr({0}, '.') - 1) ELSE {0} END"
TOP_LEVEL_PG = "split_part({0}, '.', 1)"


def upgrade() -> None:
    # Built from the constants above and column names only: nothing here comes from outside.
    top = TOP_LEVEL_PG if op.get_bind().dialect.name == "postgresql" else TOP_LEVEL
    jobs_hint = top.format("policy_hint")
    decision_policy = top.format("policy_id")
    op.execute(f"UPDATE jobs SET harm_type = COALESCE({jobs_hint}, 'unclassified') WHERE harm_type IS NULL")  # noqa: S608
    op.execute(
        f"UPDATE decisions SET harm_type = COALESCE({decision_policy}, "  # noqa: S608
        "(SELECT jobs.harm_type FROM jobs WHERE jobs.pk = decisions.job_pk)) WHERE harm_type IS NULL"
    )
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks:
                batch_op.create_check_constraint(name, condition)
            if table == "jobs":
                batch_op.alter_column("harm_type", existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.alter_column("harm_type", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.alter_column("harm_type", existing_type=sa.String(length=64), nullable=True)
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == "jobs":
                batch_op.alter_column("harm_type", existing_type=sa.String(length=64), nullable=True)
            for name, _ in checks:
                batch_op.drop_constraint(name, type_="check")
