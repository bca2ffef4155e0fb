"""Claims and decisions append their audit rows unsealed; a sealer chains them in a later transaction.

Every claim and every decision records an audit row, and on PostgreSQL each of them used to be
chained by the deferred trigger of migrations 0004 and 0007 at COMMIT, moving the single head row:
every claim and decision of every reviewer waited its turn for that row's lock, and paid for a
trigger, a staged row inserted and deleted, and a move of the head.

Now a claim or a decision inserts its audit row straight into `audit_log`, unsealed: its `seq` is
negative (minus its place in arrival order, from the sequence `audit_arrival`), its `prev_hash`
and `hash` empty, and `middle` holds the canonical JSON its hash will cover. `audit_seal(wait)`
chains every unsealed row it sees in one pass, in arrival order: it takes the head's lock once,
gives each row the next `seq`, its link and its hash (the hash `audit_log.chain_hash` computes),
clears `middle`, and moves the head once. With `wait` false it gives up at once when another
sealer holds the head. So the chain's order is the sealing order, and concurrent claims and
decisions never wait for each other. Other audit rows still go through `audit_pending` and the
trigger at their commit. SQLite, whose writers take turns anyway, chains every row in its
transaction and has neither the sequence nor the function.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# `bastion.audit_log.chain_hash` in SQL, as in 0004: sha256 over `[seq,<middle>,"<previous hash>"]`.
SEAL_FUNCTION = """
CREATE FUNCTION audit_seal(wait boolean) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    head audit_head%ROWTYPE;
    unsealed record;
    arrived bigint[] := '{}';
    places bigint[] := '{}';
    links text[] := '{}';
    hashes text[] := '{}';
BEGIN
    IF wait THEN
        SELECT * INTO head FROM audit_head WHERE id = 1 FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'audit log head row missing: the audit rows cannot be chained';
        END IF;
    ELSE
        SELECT * INTO head FROM audit_head WHERE id = 1 FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            RETURN 0;  -- another sealer holds the head: it, or the next one, seals these rows
        END IF;
    END IF;
    -- A row without `middle` was sealed once: moved out of the chain, it stays out, and verify names the gap.
    FOR unsealed IN SELECT seq, middle FROM audit_log WHERE seq < 0 AND middle IS NOT NULL ORDER BY seq DESC LOOP
        head.prev_hash := head.hash;
        head.seq := head.seq + 1;
        head.hash := encode(
            sha256(convert_to('[' || head.seq || ',' || unsealed.middle || ',"' || head.prev_hash || '"]', 'UTF8')),
            'hex');
        arrived := arrived || unsealed.seq;
        places := places || head.seq;
        links := links || head.prev_hash;
        hashes := hashes || head.hash;
    END LOOP;
    IF cardinality(arrived) = 0 THEN
        RETURN 0;
    END IF;
    UPDATE audit_log
       SET seq = sealed.place, prev_hash = sealed.link, hash = sealed.hash, middle = NULL
      FROM unnest(arrived, places, links, hashes) AS sealed(arrived, place, link, hash)
     WHERE audit_log.seq = sealed.arrived;
    UPDATE audit_head SET seq = head.seq, prev_hash = head.prev_hash, hash = head.hash WHERE id = 1;
    RETURN cardinality(arrived);
END
$$
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("middle", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE audit_arrival AS bigint")
        op.execute(SEAL_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT audit_seal(true)")  # the older schemas know no unsealed rows
        op.execute("DROP FUNCTION audit_seal(boolean)")
        op.execute("DROP SEQUENCE audit_arrival")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("middle")
