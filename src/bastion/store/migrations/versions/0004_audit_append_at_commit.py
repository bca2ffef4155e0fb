"""Audit rows are chained at commit on PostgreSQL.

A transaction stages its audit rows in `audit_pending`; a deferred constraint trigger moves each one
into `audit_log` at COMMIT, moving the head (which now also keeps the previous hash) and hashing in
the server. The head's row lock, which every writer waits for, is then held only while the server
commits, never while a client is between statements. SQLite, whose writers take turns anyway, keeps
chaining in the transaction and never uses `audit_pending`.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64

# `bastion.audit_log.chain_hash` in SQL: sha256 over `[seq,<middle>,"<previous hash>"]`, where the
# staged row's `middle` is the canonical JSON of its time, principal, action, target and details.
APPEND_FUNCTION = """
CREATE FUNCTION audit_append() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head audit_head%ROWTYPE;
BEGIN
    UPDATE audit_head
       SET seq = seq + 1,
           prev_hash = hash,
           hash = encode(sha256(convert_to('[' || (seq + 1) || ',' || NEW.middle || ',"' || hash || '"]', 'UTF8')),
                         'hex')
     WHERE id = 1
    RETURNING * INTO head;
    INSERT INTO audit_log (seq, at, principal, action, target, details, prev_hash, hash)
    VALUES (head.seq, NEW.at, NEW.principal, NEW.action, NEW.target, NEW.details, head.prev_hash, head.hash);
    DELETE FROM audit_pending WHERE pk = NEW.pk;
    RETURN NULL;
END
$$
"""
APPEND_TRIGGER = """
CREATE CONSTRAINT TRIGGER audit_append AFTER INSERT ON audit_pending
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append()
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.execute(
        sa.text(
            "UPDATE audit_head SET prev_hash = COALESCE("
            "(SELECT prev_hash FROM audit_log WHERE audit_log.seq = audit_head.seq), :genesis)"
        ).bindparams(genesis=GENESIS_HASH)
    )
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
    op.create_table(
        "audit_pending",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("principal", sa.String(length=256), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=512), nullable=False),
        sa.Column(
            "details", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("middle", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_audit_pending")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_FUNCTION)
        op.execute(APPEND_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_append ON audit_pending")
        op.execute("DROP FUNCTION audit_append()")
    op.drop_table("audit_pending")
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("prev_hash")
