"""Review operations: configuration versions, jobs, decisions, enforcement actions, outbox, strikes, appeals.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 16:15:34.082566
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_configs",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "document", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("source", sa.String(length=512), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_review_configs")),
        sa.UniqueConstraint("version", name=op.f("uq_review_configs_version")),
    )
    op.create_table(
        "jobs",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("policy_hint", sa.String(length=128), nullable=True),
        sa.Column("harm_type", sa.String(length=64), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("surface", sa.String(length=64), nullable=True),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column(
            "priority_terms",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("claim_rank", sa.Float(), nullable=False),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("reviews_required", sa.Integer(), nullable=False),
        sa.Column("reviews_done", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_to", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("rule_id", sa.String(length=128), nullable=True),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("appeal_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["assigned_to"], ["users.pk"], name=op.f("fk_jobs_assigned_to_users")),
        sa.ForeignKeyConstraint(["lease_owner"], ["users.pk"], name=op.f("fk_jobs_lease_owner_users")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_claim", ["queue", "status", "claim_rank"], unique=False)
        batch_op.create_index(
            "uq_jobs_open_subject",
            ["queue", "subject_type", "subject_pk"],
            unique=True,
            sqlite_where=sa.text("status IN ('open', 'claimed', 'held')"),
            postgresql_where=sa.text("status IN ('open', 'claimed', 'held')"),
        )

    op.create_table(
        "reviewer_preferences",
        sa.Column("user_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "settings", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_pk"], ["users.pk"], name=op.f("fk_reviewer_preferences_user_pk_users")),
        sa.PrimaryKeyConstraint("user_pk", name=op.f("pk_reviewer_preferences")),
    )
    op.create_table(
        "decisions",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("job_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reviewer_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=128), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("seconds_spent", sa.Float(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["job_pk"], ["jobs.pk"], name=op.f("fk_decisions_job_pk_jobs")),
        sa.ForeignKeyConstraint(["reviewer_pk"], ["users.pk"], name=op.f("fk_decisions_reviewer_pk_users")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_decisions")),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_decided_at"), ["decided_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_decisions_job_pk"), ["job_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_decisions_reviewer_pk"), ["reviewer_pk"], unique=False)

    op.create_table(
        "job_exclusions",
        sa.Column("job_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["job_pk"], ["jobs.pk"], name=op.f("fk_job_exclusions_job_pk_jobs")),
        sa.ForeignKeyConstraint(["user_pk"], ["users.pk"], name=op.f("fk_job_exclusions_user_pk_users")),
        sa.PrimaryKeyConstraint("job_pk", "user_pk", name=op.f("pk_job_exclusions")),
    )
    op.create_table(
        "enforcement_actions",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("policy_id", sa.String(length=128), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("decision_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reverses_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_pk"], ["decisions.pk"], name=op.f("fk_enforcement_actions_decision_pk_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_pk"],
            ["enforcement_actions.pk"],
            name=op.f("fk_enforcement_actions_reverses_pk_enforcement_actions"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_enforcement_actions")),
    )
    with op.batch_alter_table("enforcement_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enforcement_actions_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_enforcement_actions_decision_pk"), ["decision_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_enforcement_actions_subject_pk"), ["subject_pk"], unique=False)

    op.create_table(
        "job_reports",
        sa.Column("job_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("report_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["job_pk"], ["jobs.pk"], name=op.f("fk_job_reports_job_pk_jobs")),
        sa.ForeignKeyConstraint(["report_pk"], ["reports.pk"], name=op.f("fk_job_reports_report_pk_reports")),
        sa.PrimaryKeyConstraint("job_pk", "report_pk", name=op.f("pk_job_reports")),
    )
    with op.batch_alter_table("job_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_reports_report_pk"), ["report_pk"], unique=False)

    op.create_table(
        "appeals",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=256), nullable=False),
        sa.Column("action_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("actor_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("job_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_pk"], ["enforcement_actions.pk"], name=op.f("fk_appeals_action_pk_enforcement_actions")
        ),
        sa.ForeignKeyConstraint(["actor_pk"], ["actors.pk"], name=op.f("fk_appeals_actor_pk_actors")),
        sa.ForeignKeyConstraint(["job_pk"], ["jobs.pk"], name=op.f("fk_appeals_job_pk_jobs")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_appeals")),
        sa.UniqueConstraint("external_id", name=op.f("uq_appeals_external_id")),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeals_action_pk"), ["action_pk"], unique=False)

    op.create_table(
        "strikes",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("actor_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("policy_id", sa.String(length=128), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("action_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_pk"], ["enforcement_actions.pk"], name=op.f("fk_strikes_action_pk_enforcement_actions")
        ),
        sa.ForeignKeyConstraint(["actor_pk"], ["actors.pk"], name=op.f("fk_strikes_actor_pk_actors")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_strikes")),
    )
    with op.batch_alter_table("strikes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_strikes_actor_pk"), ["actor_pk"], unique=False)

    op.create_table(
        "webhook_deliveries",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("action_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_pk"], ["enforcement_actions.pk"], name=op.f("fk_webhook_deliveries_action_pk_enforcement_actions")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_webhook_deliveries_idempotency_key")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_deliveries_action_pk"), ["action_pk"], unique=False)
        batch_op.create_index("ix_webhook_deliveries_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_due")
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_action_pk"))

    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("strikes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_strikes_actor_pk"))

    op.drop_table("strikes")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeals_action_pk"))

    op.drop_table("appeals")
    with op.batch_alter_table("job_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_reports_report_pk"))

    op.drop_table("job_reports")
    with op.batch_alter_table("enforcement_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enforcement_actions_subject_pk"))
        batch_op.drop_index(batch_op.f("ix_enforcement_actions_decision_pk"))
        batch_op.drop_index(batch_op.f("ix_enforcement_actions_created_at"))

    op.drop_table("enforcement_actions")
    op.drop_table("job_exclusions")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_reviewer_pk"))
        batch_op.drop_index(batch_op.f("ix_decisions_job_pk"))
        batch_op.drop_index(batch_op.f("ix_decisions_decided_at"))

    op.drop_table("decisions")
    op.drop_table("reviewer_preferences")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_jobs_open_subject",
            sqlite_where=sa.text("status IN ('open', 'claimed', 'held')"),
            postgresql_where=sa.text("status IN ('open', 'claimed', 'held')"),
        )
        batch_op.drop_index("ix_jobs_claim")

    op.drop_table("jobs")
    op.drop_table("review_configs")
