"""Hash banks: PDQ hash banks, their entries, and the matches found in content.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "hash_banks",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("policy_id", sa.String(length=128), nullable=True),
        sa.Column("flood_limit", sa.Integer(), nullable=True),
        sa.Column("flood_window_seconds", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.CheckConstraint("kind IN ('match', 'allow')", name=op.f("ck_hash_banks_kind")),
        sa.CheckConstraint("threshold >= 0 AND threshold <= 128", name=op.f("ck_hash_banks_threshold")),
        sa.CheckConstraint("(flood_limit IS NULL) = (flood_window_seconds IS NULL)", name=op.f("ck_hash_banks_flood")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_hash_banks")),
        sa.UniqueConstraint("name", name=op.f("uq_hash_banks_name")),
    )
    op.create_table(
        "hash_bank_entries",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("bank_pk", _KEY, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("label", sa.String(length=256), nullable=False),
        sa.Column("source", sa.String(length=512), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=128), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["bank_pk"], ["hash_banks.pk"], name=op.f("fk_hash_bank_entries_bank_pk_hash_banks")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_hash_bank_entries")),
    )
    with op.batch_alter_table("hash_bank_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hash_bank_entries_bank_pk"), ["bank_pk"], unique=False)
        batch_op.create_index(
            "uq_hash_bank_entries_active",
            ["bank_pk", "hash"],
            unique=True,
            sqlite_where=sa.text("removed_at IS NULL"),
            postgresql_where=sa.text("removed_at IS NULL"),
        )
    op.create_table(
        "hash_matches",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("content_pk", _KEY, nullable=False),
        sa.Column("bank_pk", _KEY, nullable=False),
        sa.Column("entry_pk", _KEY, nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retroactive", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.CheckConstraint("status IN ('hit', 'suppressed', 'quarantined')", name=op.f("ck_hash_matches_status")),
        sa.ForeignKeyConstraint(["bank_pk"], ["hash_banks.pk"], name=op.f("fk_hash_matches_bank_pk_hash_banks")),
        sa.ForeignKeyConstraint(
            ["content_pk"], ["content_items.pk"], name=op.f("fk_hash_matches_content_pk_content_items")
        ),
        sa.ForeignKeyConstraint(
            ["entry_pk"], ["hash_bank_entries.pk"], name=op.f("fk_hash_matches_entry_pk_hash_bank_entries")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_hash_matches")),
    )
    with op.batch_alter_table("hash_matches", schema=None) as batch_op:
        batch_op.create_index("uq_hash_matches_content_entry", ["content_pk", "entry_pk"], unique=True)
        batch_op.create_index("ix_hash_matches_entry_found", ["entry_pk", "found_at"], unique=False)
        batch_op.create_index("ix_hash_matches_bank_found", ["bank_pk", "found_at"], unique=False)
    with op.batch_alter_table("content_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media_quality", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("content_items", schema=None) as batch_op:
        batch_op.drop_column("media_quality")
    op.drop_table("hash_matches")
    op.drop_table("hash_bank_entries")
    op.drop_table("hash_banks")
