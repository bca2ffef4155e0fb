"""Models: classifier versions with their model cards, and the scores they gave content.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("policy_id", sa.String(length=128), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("artefact", sa.LargeBinary(), nullable=True),
        sa.Column("artefact_sha256", sa.String(length=64), nullable=True),
        sa.Column("config", _DOCUMENT, nullable=False),
        sa.Column("card", _DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('sklearn', 'http', 'prompt')", name=op.f("ck_model_versions_kind")),
        sa.CheckConstraint("mode IN ('live', 'shadow', 'off')", name=op.f("ck_model_versions_mode")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_model_versions_name")),
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_versions_name"), ["name"], unique=False)

    op.create_table(
        "model_scores",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("model_version_pk", _KEY, nullable=False),
        sa.Column("content_pk", _KEY, nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("reasoning", sa.Text(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("verdict IN ('violating', 'not_violating')", name=op.f("ck_model_scores_verdict")),
        sa.ForeignKeyConstraint(
            ["content_pk"], ["content_items.pk"], name=op.f("fk_model_scores_content_pk_content_items")
        ),
        sa.ForeignKeyConstraint(
            ["model_version_pk"], ["model_versions.pk"], name=op.f("fk_model_scores_model_version_pk_model_versions")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_model_scores")),
        sa.UniqueConstraint("model_version_pk", "content_pk", name=op.f("uq_model_scores_model_version_pk")),
    )
    with op.batch_alter_table("model_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_scores_content_pk"), ["content_pk"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("model_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_scores_content_pk"))
    op.drop_table("model_scores")
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_versions_name"))
    op.drop_table("model_versions")
