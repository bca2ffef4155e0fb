"""Investigations: cases with their links, notes, tasks and law-enforcement referrals; evidence snapshots of
escalated content.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("threat", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=256), nullable=True),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("watchers", _DOCUMENT, nullable=False),
        sa.Column("opened_by", sa.String(length=256), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('manual', 'job', 'network', 'trend')", name=op.f("ck_cases_source")),
        sa.CheckConstraint(
            "status IN ('open', 'investigating', 'actioned', 'referred', 'closed')", name=op.f("ck_cases_status")
        ),
        sa.CheckConstraint("severity BETWEEN 1 AND 4", name=op.f("ck_cases_severity")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_status"), ["status"], unique=False)

    op.create_table(
        "case_links",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("case_pk", _KEY, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=256), nullable=False),
        sa.Column("members", _DOCUMENT, nullable=False),
        sa.Column("linked_by", sa.String(length=256), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('content', 'actor', 'network')", name=op.f("ck_case_links_kind")),
        sa.ForeignKeyConstraint(["case_pk"], ["cases.pk"], name=op.f("fk_case_links_case_pk_cases")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_case_links")),
        sa.UniqueConstraint("case_pk", "kind", "ref", name=op.f("uq_case_links_case_pk")),
    )
    op.create_table(
        "case_notes",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("case_pk", _KEY, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=256), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_pk"], ["cases.pk"], name=op.f("fk_case_notes_case_pk_cases")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_case_notes")),
    )
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_notes_case_pk"), ["case_pk"], unique=False)

    op.create_table(
        "case_referrals",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("case_pk", _KEY, nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("referred_on", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("sent", sa.Text(), nullable=False),
        sa.Column("referred_by", sa.String(length=256), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_pk"], ["cases.pk"], name=op.f("fk_case_referrals_case_pk_cases")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_case_referrals")),
    )
    with op.batch_alter_table("case_referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_referrals_case_pk"), ["case_pk"], unique=False)

    op.create_table(
        "case_tasks",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("case_pk", _KEY, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("assignee", sa.String(length=128), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_pk"], ["cases.pk"], name=op.f("fk_case_tasks_case_pk_cases")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_case_tasks")),
    )
    with op.batch_alter_table("case_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_tasks_case_pk"), ["case_pk"], unique=False)

    op.create_table(
        "evidence_snapshots",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("content_pk", _KEY, nullable=False),
        sa.Column("job_pk", _KEY, nullable=True),
        sa.Column("content_id", sa.String(length=256), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("media_url", sa.String(length=2048), nullable=True),
        sa.Column("media_pdq", sa.String(length=64), nullable=True),
        sa.Column("metadata", _DOCUMENT, nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("taken_by", sa.String(length=256), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_pk"], ["content_items.pk"], name=op.f("fk_evidence_snapshots_content_pk_content_items")
        ),
        sa.ForeignKeyConstraint(["job_pk"], ["jobs.pk"], name=op.f("fk_evidence_snapshots_job_pk_jobs")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_evidence_snapshots")),
    )
    with op.batch_alter_table("evidence_snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_snapshots_content_pk"), ["content_pk"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_snapshots_content_pk"))

    op.drop_table("evidence_snapshots")
    with op.batch_alter_table("case_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_tasks_case_pk"))

    op.drop_table("case_tasks")
    with op.batch_alter_table("case_referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_referrals_case_pk"))

    op.drop_table("case_referrals")
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_notes_case_pk"))

    op.drop_table("case_notes")
    op.drop_table("case_links")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_status"))

    op.drop_table("cases")
