"""The audit chain's commit-time append is one statement per row, and its staging table is unlogged.

Every claim and decision stages one audit row, and the deferred trigger of migration 0004 chained it
at COMMIT with three statements (move the head, insert the chained row, delete the staged one). They
are now one statement: `WITH head AS (UPDATE audit_head ... RETURNING ...), staged AS (DELETE ...)
INSERT INTO audit_log ... FROM head`. The rows, the hashes and the head's lock are as before.

`audit_pending` never holds a committed row (each one is deleted by the commit that chains it), so
it need not be written to the write-ahead log: an unlogged table skips that, and the truncation an
unlogged table gets after a crash loses nothing. SQLite does not use the table.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# `bastion.audit_log.chain_hash` in SQL, as in 0004: sha256 over `[seq,<middle>,"<previous hash>"]`.
APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    chained bigint;
BEGIN
    WITH head AS (
        UPDATE audit_head
           SET seq = seq + 1,
               prev_hash = hash,
               hash = encode(
                   sha256(convert_to('[' || (seq + 1) || ',' || NEW.middle || ',"' || hash || '"]', 'UTF8')), 'hex')
         WHERE id = 1
        RETURNING seq, prev_hash, hash
    ), staged AS (
        DELETE FROM audit_pending WHERE pk = NEW.pk
    )
    INSERT INTO audit_log (seq, at, principal, action, target, details, prev_hash, hash)
    SELECT head.seq, NEW.at, NEW.principal, NEW.action, NEW.target, NEW.details, head.prev_hash, head.hash
      FROM head;
    GET DIAGNOSTICS chained = ROW_COUNT;
    IF chained <> 1 THEN
        RAISE EXCEPTION 'audit log head row missing: the audit row cannot be chained';
    END IF;
    RETURN NULL;
END
$$
"""

# Migration 0004's function, for the downgrade.
THREE_STATEMENTS = """
CREATE OR REPLACE FUNCTION audit_append() RETURNS trigger LANGUAGE plpgsql AS $$
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


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_FUNCTION)
        op.execute("ALTER TABLE audit_pending SET UNLOGGED")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_pending SET LOGGED")
        op.execute(THREE_STATEMENTS)
