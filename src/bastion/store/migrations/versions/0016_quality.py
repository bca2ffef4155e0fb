"""Decision quality: imported decisions and their raters, QA plans and samples, golden items (and the
jobs that serve them), calibration exercises; QA jobs as a kind of job.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
JOB_KINDS = "kind IN ('review', 'escalation', 'appeal', 'qa')"
OLD_JOB_KINDS = "kind IN ('review', 'escalation', 'appeal')"
OPEN_JOB = "status IN ('open', 'claimed', 'held')"
OPEN_REAL_JOB = "status IN ('open', 'claimed', 'held') AND golden_pk IS NULL"


def upgrade() -> None:
    op.create_table(
        "calibration_exercises",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("group", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_calibration_exercises_status")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_calibration_exercises")),
    )
    op.create_table(
        "qa_plans",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("qa_queue", sa.String(length=64), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("strata", _DOCUMENT, nullable=False),
        sa.Column("targets", _DOCUMENT, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_qa_plans")),
        sa.UniqueConstraint("queue", "version", name=op.f("uq_qa_plans_queue")),
    )
    with op.batch_alter_table("qa_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_plans_queue"), ["queue"], unique=False)

    op.create_table(
        "raters",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("user_pk", _KEY, nullable=True),
        sa.Column("vendor", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_pk"], ["users.pk"], name=op.f("fk_raters_user_pk_users")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_raters")),
        sa.UniqueConstraint("name", name=op.f("uq_raters_name")),
    )
    op.create_table(
        "calibration_items",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("exercise_pk", _KEY, nullable=False),
        sa.Column("content_pk", _KEY, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_pk"], ["content_items.pk"], name=op.f("fk_calibration_items_content_pk_content_items")
        ),
        sa.ForeignKeyConstraint(
            ["exercise_pk"],
            ["calibration_exercises.pk"],
            name=op.f("fk_calibration_items_exercise_pk_calibration_exercises"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_calibration_items")),
        sa.UniqueConstraint("exercise_pk", "content_pk", name=op.f("uq_calibration_items_exercise_pk")),
    )
    with op.batch_alter_table("calibration_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calibration_items_exercise_pk"), ["exercise_pk"], unique=False)

    op.create_table(
        "golden_sets",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("per_day", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.CheckConstraint("share >= 0 AND share <= 1", name=op.f("ck_golden_sets_share")),
        sa.CheckConstraint("per_day >= 0", name=op.f("ck_golden_sets_per_day")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_golden_sets")),
        sa.UniqueConstraint("name", name=op.f("uq_golden_sets_name")),
    )
    op.create_table(
        "golden_items",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("golden_set", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("content_pk", _KEY, nullable=False),
        sa.Column("policy_id", sa.String(length=128), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["content_pk"], ["content_items.pk"], name=op.f("fk_golden_items_content_pk_content_items")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_golden_items")),
        sa.UniqueConstraint("golden_set", "content_pk", name=op.f("uq_golden_items_golden_set")),
    )
    with op.batch_alter_table("golden_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_golden_items_content_pk"), ["content_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_golden_items_golden_set"), ["golden_set"], unique=False)

    op.create_table(
        "imported_decisions",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("content_pk", _KEY, nullable=False),
        sa.Column("rater_pk", _KEY, nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_pk"], ["content_items.pk"], name=op.f("fk_imported_decisions_content_pk_content_items")
        ),
        sa.ForeignKeyConstraint(["rater_pk"], ["raters.pk"], name=op.f("fk_imported_decisions_rater_pk_raters")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_imported_decisions")),
        sa.UniqueConstraint("content_pk", "rater_pk", "decided_at", name=op.f("uq_imported_decisions_content_pk")),
    )
    with op.batch_alter_table("imported_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imported_decisions_content_pk"), ["content_pk"], unique=False)
        batch_op.create_index("ix_imported_decisions_decided_at", ["decided_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_imported_decisions_rater_pk"), ["rater_pk"], unique=False)

    op.create_table(
        "calibration_answers",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("item_pk", _KEY, nullable=False),
        sa.Column("user_pk", _KEY, nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_pk"], ["calibration_items.pk"], name=op.f("fk_calibration_answers_item_pk_calibration_items")
        ),
        sa.ForeignKeyConstraint(["user_pk"], ["users.pk"], name=op.f("fk_calibration_answers_user_pk_users")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_calibration_answers")),
        sa.UniqueConstraint("item_pk", "user_pk", name=op.f("uq_calibration_answers_item_pk")),
    )
    with op.batch_alter_table("calibration_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calibration_answers_item_pk"), ["item_pk"], unique=False)

    op.create_table(
        "calibration_notes",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("exercise_pk", _KEY, nullable=False),
        sa.Column("item_pk", _KEY, nullable=True),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["exercise_pk"],
            ["calibration_exercises.pk"],
            name=op.f("fk_calibration_notes_exercise_pk_calibration_exercises"),
        ),
        sa.ForeignKeyConstraint(
            ["item_pk"], ["calibration_items.pk"], name=op.f("fk_calibration_notes_item_pk_calibration_items")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_calibration_notes")),
    )
    with op.batch_alter_table("calibration_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calibration_notes_exercise_pk"), ["exercise_pk"], unique=False)

    op.create_table(
        "qa_samples",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("decision_pk", _KEY, nullable=False),
        sa.Column("plan_pk", _KEY, nullable=False),
        sa.Column("job_pk", _KEY, nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("sampled_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('random', 'stratum', 'low_confidence', 'new_reviewer', 'high_severity', 'overturned')",
            name=op.f("ck_qa_samples_reason"),
        ),
        sa.ForeignKeyConstraint(["decision_pk"], ["decisions.pk"], name=op.f("fk_qa_samples_decision_pk_decisions")),
        sa.ForeignKeyConstraint(["job_pk"], ["jobs.pk"], name=op.f("fk_qa_samples_job_pk_jobs")),
        sa.ForeignKeyConstraint(["plan_pk"], ["qa_plans.pk"], name=op.f("fk_qa_samples_plan_pk_qa_plans")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_qa_samples")),
        sa.UniqueConstraint("decision_pk", name=op.f("uq_qa_samples_decision_pk")),
        sa.UniqueConstraint("job_pk", name=op.f("uq_qa_samples_job_pk")),
    )
    with op.batch_alter_table("qa_samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_samples_plan_pk"), ["plan_pk"], unique=False)

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("golden_pk", _KEY, nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_jobs_golden_pk_golden_items"), "golden_items", ["golden_pk"], ["pk"])
        batch_op.drop_constraint(batch_op.f("ck_jobs_kind"), type_="check")
        batch_op.create_check_constraint("kind", JOB_KINDS)
        # Golden jobs: a real job on the same subject may open beside one, and no report attaches to one.
        batch_op.drop_index("uq_jobs_open_subject")
        batch_op.create_index(
            "uq_jobs_open_subject",
            ["queue", "subject_type", "subject_pk"],
            unique=True,
            sqlite_where=sa.text(OPEN_REAL_JOB),
            postgresql_where=sa.text(OPEN_REAL_JOB),
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("uq_jobs_open_subject")
        batch_op.create_index(
            "uq_jobs_open_subject",
            ["queue", "subject_type", "subject_pk"],
            unique=True,
            sqlite_where=sa.text(OPEN_JOB),
            postgresql_where=sa.text(OPEN_JOB),
        )
        batch_op.drop_constraint(batch_op.f("ck_jobs_kind"), type_="check")
        batch_op.create_check_constraint("kind", OLD_JOB_KINDS)
        batch_op.drop_constraint(batch_op.f("fk_jobs_golden_pk_golden_items"), type_="foreignkey")
        batch_op.drop_column("golden_pk")

    with op.batch_alter_table("qa_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qa_samples_plan_pk"))

    op.drop_table("qa_samples")
    with op.batch_alter_table("calibration_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calibration_notes_exercise_pk"))

    op.drop_table("calibration_notes")
    with op.batch_alter_table("calibration_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calibration_answers_item_pk"))

    op.drop_table("calibration_answers")
    with op.batch_alter_table("imported_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imported_decisions_rater_pk"))
        batch_op.drop_index("ix_imported_decisions_decided_at")
        batch_op.drop_index(batch_op.f("ix_imported_decisions_content_pk"))

    op.drop_table("imported_decisions")
    with op.batch_alter_table("golden_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_golden_items_golden_set"))
        batch_op.drop_index(batch_op.f("ix_golden_items_content_pk"))

    op.drop_table("golden_items")
    op.drop_table("golden_sets")
    with op.batch_alter_table("calibration_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calibration_items_exercise_pk"))

    op.drop_table("calibration_items")
    op.drop_table("raters")
    with op.batch_alter_table("qa_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qa_plans_queue"))

    op.drop_table("qa_plans")
    op.drop_table("calibration_exercises")
