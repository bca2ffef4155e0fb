"""Detection: versioned rules and keyword and regex banks, the durable queue of content waiting for
detection, verdicts and rule hits, entity labels with expiry, and per-minute velocity counts.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "banks",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.CheckConstraint("kind IN ('keyword', 'regex')", name=op.f("ck_banks_kind")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_banks")),
        sa.UniqueConstraint("name", name=op.f("uq_banks_name")),
    )
    op.create_table(
        "entity_labels",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_value", sa.String(length=2048), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "entity_type IN ('actor', 'content', 'ip', 'device', 'url')", name=op.f("ck_entity_labels_entity_type")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_entity_labels")),
    )
    with op.batch_alter_table("entity_labels", schema=None) as batch_op:
        batch_op.create_index("ix_entity_labels_entity", ["entity_type", "entity_value"], unique=False)

    op.create_table(
        "rule_versions",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "definition", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=512), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=128), nullable=False),
        sa.CheckConstraint("mode IN ('live', 'shadow', 'off')", name=op.f("ck_rule_versions_mode")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_rule_versions")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_rule_versions_name")),
    )
    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_versions_name"), ["name"], unique=False)

    op.create_table(
        "velocity_counts",
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_key", sa.String(length=64), nullable=False),
        sa.Column("minute", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "entity_type IN ('actor', 'content', 'ip', 'device', 'url')", name=op.f("ck_velocity_counts_entity_type")
        ),
        sa.PrimaryKeyConstraint("entity_type", "entity_key", "minute", name=op.f("pk_velocity_counts")),
    )
    op.create_table(
        "bank_versions",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("bank_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column(
            "entries", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=512), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["bank_pk"], ["banks.pk"], name=op.f("fk_bank_versions_bank_pk_banks")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_bank_versions")),
        sa.UniqueConstraint("bank_pk", "version", name=op.f("uq_bank_versions_bank_pk")),
    )
    op.create_table(
        "detection_queue",
        sa.Column(
            "content_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("leased_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["content_pk"], ["content_items.pk"], name=op.f("fk_detection_queue_content_pk_content_items")
        ),
        sa.PrimaryKeyConstraint("content_pk", name=op.f("pk_detection_queue")),
    )
    with op.batch_alter_table("detection_queue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_detection_queue_available_at"), ["available_at"], unique=False)

    op.create_table(
        "detection_verdicts",
        sa.Column(
            "content_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "signals", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "rule_errors", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_pk"], ["content_items.pk"], name=op.f("fk_detection_verdicts_content_pk_content_items")
        ),
        sa.PrimaryKeyConstraint("content_pk", name=op.f("pk_detection_verdicts")),
    )
    with op.batch_alter_table("detection_verdicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_detection_verdicts_evaluated_at"), ["evaluated_at"], unique=False)

    op.create_table(
        "rule_hits",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("rule_name", sa.String(length=128), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("content_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("actor_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("policy_id", sa.String(length=128), nullable=True),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("hit_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "effects", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("job_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.CheckConstraint("mode IN ('live', 'shadow', 'off')", name=op.f("ck_rule_hits_mode")),
        sa.ForeignKeyConstraint(["actor_pk"], ["actors.pk"], name=op.f("fk_rule_hits_actor_pk_actors")),
        sa.ForeignKeyConstraint(
            ["content_pk"], ["content_items.pk"], name=op.f("fk_rule_hits_content_pk_content_items")
        ),
        sa.ForeignKeyConstraint(["job_pk"], ["jobs.pk"], name=op.f("fk_rule_hits_job_pk_jobs")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_rule_hits")),
        sa.UniqueConstraint("content_pk", "rule_name", name=op.f("uq_rule_hits_content_pk")),
    )
    with op.batch_alter_table("rule_hits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_hits_actor_pk"), ["actor_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_rule_hits_job_pk"), ["job_pk"], unique=False)
        batch_op.create_index("ix_rule_hits_rule_at", ["rule_name", "hit_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rule_hits", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_hits_rule_at")
        batch_op.drop_index(batch_op.f("ix_rule_hits_job_pk"))
        batch_op.drop_index(batch_op.f("ix_rule_hits_actor_pk"))

    op.drop_table("rule_hits")
    with op.batch_alter_table("detection_verdicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_detection_verdicts_evaluated_at"))

    op.drop_table("detection_verdicts")
    with op.batch_alter_table("detection_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_detection_queue_available_at"))

    op.drop_table("detection_queue")
    op.drop_table("bank_versions")
    op.drop_table("velocity_counts")
    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_versions_name"))

    op.drop_table("rule_versions")
    with op.batch_alter_table("entity_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_entity_labels_entity")

    op.drop_table("entity_labels")
    op.drop_table("banks")
