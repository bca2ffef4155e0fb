"""A decision can be taken back within a short undo window, before its enforcement is sent.

`decisions.withdrawn_at` marks a decision its reviewer took back; `enforcement_actions.cancelled_at`
an action cancelled with it before it was ever delivered; `webhook_deliveries.not_before` the moment
before which the worker never sends a message (the end of the decision's undo window). A withdrawn
decision no longer counts toward its reviewer's exposure today, so the exposure index leaves it out.
An outbox message cancelled this way has the status `cancelled`.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HARM_TYPED = "harm_type IS NOT NULL"
COUNTED = "harm_type IS NOT NULL AND withdrawn_at IS NULL"
STATUS_BEFORE = "status IN ('pending', 'delivered', 'dead')"
STATUS_AFTER = "status IN ('pending', 'delivered', 'dead', 'cancelled')"


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_decisions_exposure", sqlite_where=sa.text(HARM_TYPED), postgresql_where=sa.text(HARM_TYPED)
        )
        batch_op.create_index(
            "ix_decisions_exposure",
            ["reviewer_pk", "decided_at", "harm_type"],
            unique=False,
            sqlite_where=sa.text(COUNTED),
            postgresql_where=sa.text(COUNTED),
        )
    with op.batch_alter_table("enforcement_actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint("status", type_="check")
        batch_op.create_check_constraint("status", STATUS_AFTER)


def downgrade() -> None:
    # Never sendable again (a dead letter could be replayed): recorded as settled, with why.
    op.execute(
        "UPDATE webhook_deliveries SET status = 'delivered', last_error = 'cancelled: its decision was taken back' "
        "WHERE status = 'cancelled'"
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("status", type_="check")
        batch_op.create_check_constraint("status", STATUS_BEFORE)
        batch_op.drop_column("not_before")
    with op.batch_alter_table("enforcement_actions", schema=None) as batch_op:
        batch_op.drop_column("cancelled_at")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_decisions_exposure", sqlite_where=sa.text(COUNTED), postgresql_where=sa.text(COUNTED))
        batch_op.create_index(
            "ix_decisions_exposure",
            ["reviewer_pk", "decided_at", "harm_type"],
            unique=False,
            sqlite_where=sa.text(HARM_TYPED),
            postgresql_where=sa.text(HARM_TYPED),
        )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")
