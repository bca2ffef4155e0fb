"""Insight: saved SQL queries, prevalence rounds and their sampled views, trend alerts, recommendations
acted on; prevalence labelling jobs as a kind of job.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
JOB_KINDS = "kind IN ('review', 'escalation', 'appeal', 'qa', 'prevalence')"
OLD_JOB_KINDS = "kind IN ('review', 'escalation', 'appeal', 'qa')"


def upgrade() -> None:
    op.create_table(
        "prevalence_rounds",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("design", _DOCUMENT, nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.CheckConstraint("status IN ('labelling', 'done')", name=op.f("ck_prevalence_rounds_status")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_prevalence_rounds")),
        sa.UniqueConstraint("name", name=op.f("uq_prevalence_rounds_name")),
    )
    op.create_table(
        "recommendation_actions",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("result", _DOCUMENT, nullable=False),
        sa.Column("acted_by", sa.String(length=128), nullable=False),
        sa.Column("acted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_recommendation_actions")),
    )
    with op.batch_alter_table("recommendation_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recommendation_actions_key"), ["key"], unique=False)

    op.create_table(
        "saved_queries",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("sql", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_saved_queries")),
        sa.UniqueConstraint("name", name=op.f("uq_saved_queries_name")),
    )
    with op.batch_alter_table("saved_queries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_queries_owner"), ["owner"], unique=False)

    op.create_table(
        "trend_alerts",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("segment_key", sa.String(length=255), nullable=False),
        sa.Column("segment", _DOCUMENT, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", _DOCUMENT, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('spike', 'level_shift', 'emerging_term')", name=op.f("ck_trend_alerts_kind")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_trend_alerts")),
        sa.UniqueConstraint("kind", "metric", "segment_key", "at", name=op.f("uq_trend_alerts_kind")),
    )
    op.create_table(
        "prevalence_samples",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("round_pk", _KEY, nullable=False),
        sa.Column("view_pk", _KEY, nullable=False),
        sa.Column("content_pk", _KEY, nullable=False),
        sa.Column("stratum", sa.String(length=64), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("draws", sa.Integer(), nullable=False),
        sa.Column("job_pk", _KEY, nullable=True),
        sa.ForeignKeyConstraint(
            ["content_pk"], ["content_items.pk"], name=op.f("fk_prevalence_samples_content_pk_content_items")
        ),
        sa.ForeignKeyConstraint(["job_pk"], ["jobs.pk"], name=op.f("fk_prevalence_samples_job_pk_jobs")),
        sa.ForeignKeyConstraint(
            ["round_pk"], ["prevalence_rounds.pk"], name=op.f("fk_prevalence_samples_round_pk_prevalence_rounds")
        ),
        sa.ForeignKeyConstraint(["view_pk"], ["views.pk"], name=op.f("fk_prevalence_samples_view_pk_views")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_prevalence_samples")),
        sa.UniqueConstraint("job_pk", name=op.f("uq_prevalence_samples_job_pk")),
        sa.UniqueConstraint("round_pk", "view_pk", name=op.f("uq_prevalence_samples_round_pk")),
    )
    with op.batch_alter_table("prevalence_samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prevalence_samples_round_pk"), ["round_pk"], unique=False)

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_jobs_kind"), type_="check")
        batch_op.create_check_constraint("kind", JOB_KINDS)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_jobs_kind"), type_="check")
        batch_op.create_check_constraint("kind", OLD_JOB_KINDS)
    with op.batch_alter_table("prevalence_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prevalence_samples_round_pk"))

    op.drop_table("prevalence_samples")
    op.drop_table("trend_alerts")
    with op.batch_alter_table("saved_queries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_queries_owner"))

    op.drop_table("saved_queries")
    with op.batch_alter_table("recommendation_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendation_actions_key"))

    op.drop_table("recommendation_actions")
    op.drop_table("prevalence_rounds")
