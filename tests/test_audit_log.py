"""The audit log: appends chain; changing or deleting any row is caught and named."""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, literal, select, text, update
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.clock import FrozenClock
from bastion.errors import IntegrityBroken
from bastion.store.database import AFTER_COMMITS_DELAY_SECONDS, Database
from bastion.store.schema import AuditPending, AuditRecord
from bastion.store.upsert import table_of


def _write(database: Database, clock: FrozenClock, n: int) -> None:
    for i in range(n):
        with database.transaction() as session:
            audit_log.record(
                session,
                principal=f"user:u{i % 3}",
                action="subject.view",
                target=f"content:c{i}",
                at=clock(),
                details={"i": i, "note": "ünïcode"},
            )
        clock.advance(timedelta(seconds=1))


def _base(database: Database) -> int:
    with database.transaction() as session:
        return audit_log.verify(session).last_seq


def test_an_untouched_chain_verifies(database: Database, clock: FrozenClock) -> None:
    base = _base(database)
    _write(database, clock, 10)
    with database.transaction() as session:
        report = audit_log.verify(session)
    assert report.last_seq == base + 10
    assert report.rows == base + 10


def test_each_row_links_to_the_one_before(database: Database, clock: FrozenClock) -> None:
    _write(database, clock, 3)
    with database.transaction() as session:
        rows = list(session.scalars(select(AuditRecord).order_by(AuditRecord.seq)))
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash
        assert after.seq == before.seq + 1


TAMPERING = [
    ("principal", "user:someone-else"),
    ("action", "auth.login"),
    ("target", "content:other"),
]


@pytest.mark.parametrize(("column", "value"), TAMPERING)
def test_a_changed_row_is_named(database: Database, clock: FrozenClock, column: str, value: str) -> None:
    base = _base(database)
    _write(database, clock, 6)
    victim = base + 4
    with database.transaction() as session:
        session.execute(update(AuditRecord).where(AuditRecord.seq == victim).values({column: value}))
    with database.transaction() as session, pytest.raises(IntegrityBroken, match=f"row {victim} was changed"):
        audit_log.verify(session)


def test_changed_details_and_time_are_caught(database: Database, clock: FrozenClock) -> None:
    base = _base(database)
    _write(database, clock, 4)
    with database.transaction() as session:
        session.execute(update(AuditRecord).where(AuditRecord.seq == base + 2).values(details={"i": 99}))
    with database.transaction() as session, pytest.raises(IntegrityBroken, match=f"row {base + 2} was changed"):
        audit_log.verify(session)
    with database.transaction() as session:
        session.execute(
            update(AuditRecord).where(AuditRecord.seq == base + 2).values(details={"i": 1, "note": "ünïcode"})
        )
        session.execute(update(AuditRecord).where(AuditRecord.seq == base + 3).values(at=clock() + timedelta(hours=1)))
    with database.transaction() as session, pytest.raises(IntegrityBroken, match=f"row {base + 3} was changed"):
        audit_log.verify(session)


AWKWARD_DETAILS = {
    "quote": 'say "hi"',
    "backslash": "C:\\temp\\x",
    "controls": "tab\tnew\nline\x01bell\x7f",
    "emoji": "🙂 and 中文 and \u2028",
    "nested": {"b": [1, 2.5, None, True], "a": {"z": "", "é": "e"}},
    "big": 2**53 + 1,
}


def test_awkward_details_hash_alike_in_the_store_and_in_python(database: Database, clock: FrozenClock) -> None:
    """On PostgreSQL the server hashes the row at commit: it must hash the very bytes `chain_hash` does."""
    base = _base(database)
    with database.transaction() as session:
        audit_log.record(
            session, principal='user:ünï "q"', action="test", target="t\n1", at=clock(), details=AWKWARD_DETAILS
        )
        audit_log.record(session, principal="user:b", action="test", target="t2", at=clock(), details={})
    with database.transaction() as session:
        assert audit_log.verify(session).last_seq == base + 2
        stored = session.get_one(AuditRecord, base + 1)
        assert stored.details == AWKWARD_DETAILS
        assert stored.hash == audit_log.chain_hash(
            base + 1, clock(), stored.principal, "test", "t\n1", AWKWARD_DETAILS, stored.prev_hash
        )


def test_a_rolled_back_transaction_leaves_no_row(database: Database, clock: FrozenClock) -> None:
    base = _base(database)
    with pytest.raises(RuntimeError), database.transaction() as session:
        audit_log.record(session, principal="user:a", action="test", target="t", at=clock())
        raise RuntimeError("the work failed")
    _write(database, clock, 1)
    with database.transaction() as session:
        assert audit_log.verify(session).last_seq == base + 1
        assert session.scalar(select(func.count()).select_from(AuditPending)) == 0  # staging is always empty


def test_a_deleted_row_is_named(database: Database, clock: FrozenClock) -> None:
    base = _base(database)
    _write(database, clock, 6)
    with database.transaction() as session:
        session.execute(delete(AuditRecord).where(AuditRecord.seq == base + 3))
    with database.transaction() as session, pytest.raises(IntegrityBroken, match=f"row {base + 3} missing"):
        audit_log.verify(session)


def test_deleting_the_newest_rows_is_caught_by_the_head(database: Database, clock: FrozenClock) -> None:
    base = _base(database)
    _write(database, clock, 5)
    with database.transaction() as session:
        session.execute(delete(AuditRecord).where(AuditRecord.seq > base + 3))
    with database.transaction() as session, pytest.raises(IntegrityBroken, match=f"after row {base + 3} are missing"):
        audit_log.verify(session)


def test_a_recomputed_hash_still_breaks_the_next_link(database: Database, clock: FrozenClock) -> None:
    """Someone who edits a row and fixes its own hash is caught at the row after it."""
    base = _base(database)
    _write(database, clock, 5)
    victim = base + 2
    with database.transaction() as session:
        row = session.get_one(AuditRecord, victim)
        forged = audit_log.chain_hash(
            row.seq, row.at, "user:mallory", row.action, row.target, row.details, row.prev_hash
        )
        session.execute(
            update(AuditRecord).where(AuditRecord.seq == victim).values(principal="user:mallory", hash=forged)
        )
    with database.transaction() as session, pytest.raises(IntegrityBroken, match=f"row {victim + 1}: its link"):
        audit_log.verify(session)


def test_concurrent_appends_never_fork_the_chain(database: Database, clock: FrozenClock) -> None:
    import threading

    base = _base(database)
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with database.transaction() as session:
                    audit_log.record(session, principal=f"user:w{n}", action="test", target=str(i), at=clock())
        except BaseException as exc:  # collected and re-raised in the test thread
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    with database.transaction() as session:
        assert audit_log.verify(session).last_seq == base + 90


def test_the_database_itself_holds_only_what_verify_reads(database: Database) -> None:
    with database.engine.connect() as connection:
        head = connection.execute(text("SELECT seq, hash FROM audit_head")).all()
    assert len(head) == 1


# --- unsealed rows (PostgreSQL: what claims and decisions append) -------------------------------------


@pytest.mark.parametrize(
    "details",
    [
        {},
        {"policy": None, "action": "no_action", "round": 1, "final": True},  # a decision's: kept as it is
        {"subject": 'content:"quoted" \\ \u00e9', "queue": "general"},
        {"at": datetime(2026, 12, 3, 12, 0, tzinfo=UTC)},  # not JSON: stored as its text
        {"share": 0.1, "nested": {"a": [1, None]}},
        {1: "a key that is not text"},
    ],
)
def test_staged_details_are_what_json_gives_back(details: dict[Any, Any]) -> None:
    row = audit_log.staged_row(
        principal="p", action="a", target="t", at=datetime(2026, 12, 3, tzinfo=UTC), details=details
    )
    assert row["details"] == json.loads(json.dumps(details, default=str))
    assert row["details"] is not details  # a copy: the caller's dict may change after


def _append_unsealed(session: Session, principal: str, target: str, at: datetime, details: dict[str, Any]) -> None:
    """What a claim's or a decision's statement writes: one unsealed row, the head untouched."""
    row = audit_log.staged_row(principal=principal, action="test", target=target, at=at, details=details)
    pending = table_of(AuditPending).c
    session.execute(audit_log.append_unsealed({key: literal(value, pending[key].type) for key, value in row.items()}))


def _seal(database: Database) -> int:
    with database.engine.begin() as connection:
        return audit_log.seal(connection, wait=True)


def _postgresql_only(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite chains every row as it is written")


def test_unsealed_rows_join_the_chain_in_the_order_they_are_sealed(database: Database, clock: FrozenClock) -> None:
    """The first row to arrive commits last: it is sealed after the other, and both hash as Python does."""
    _postgresql_only(database)
    base = _base(database)
    with database.transaction() as first:
        _append_unsealed(first, 'user:ünï "q"', "t\n1", clock(), AWKWARD_DETAILS)
        with database.transaction() as second:
            _append_unsealed(second, "user:b", "t2", clock(), {})
        assert _seal(database) == 1
    with database.transaction() as session:
        waiting = session.scalars(select(AuditRecord).where(AuditRecord.seq < 0)).one()
        assert (waiting.principal, waiting.prev_hash, waiting.hash) == ('user:ünï "q"', "", "")
        assert waiting.middle is not None
    assert _seal(database) == 1
    assert _seal(database) == 0
    with database.transaction() as session:
        assert audit_log.verify(session).last_seq == base + 2
        second_row, first_row = (session.get_one(AuditRecord, base + n) for n in (1, 2))
        assert (second_row.principal, first_row.principal) == ("user:b", 'user:ünï "q"')
        assert first_row.details == AWKWARD_DETAILS and first_row.middle is None
        assert first_row.hash == audit_log.chain_hash(
            base + 2, clock(), first_row.principal, "test", "t\n1", AWKWARD_DETAILS, second_row.hash
        )


def test_a_database_seals_a_moment_after_its_commits(database: Database, clock: FrozenClock) -> None:
    _postgresql_only(database)
    with database.transaction() as session:
        _append_unsealed(session, "user:a", "t", clock(), {"n": 1})
    deadline = time.monotonic() + 10 * AFTER_COMMITS_DELAY_SECONDS + 5
    unsealed = 1
    while unsealed and time.monotonic() < deadline:
        time.sleep(AFTER_COMMITS_DELAY_SECONDS / 5)
        with database.engine.connect() as connection:  # not a transaction of the Database: it would seal too
            unsealed = connection.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.seq < 0))
    assert unsealed == 0


def test_a_sealed_row_moved_out_of_the_chain_is_named_missing(database: Database, clock: FrozenClock) -> None:
    _postgresql_only(database)
    base = _base(database)
    _write(database, clock, 3)
    with database.transaction() as session:
        session.execute(update(AuditRecord).where(AuditRecord.seq == base + 2).values(seq=-(10**12)))
    with database.transaction() as session, pytest.raises(IntegrityBroken, match=f"row {base + 2} missing"):
        audit_log.verify(session)


def test_unsealed_and_chained_appends_together_never_fork_the_chain(database: Database, clock: FrozenClock) -> None:
    import threading

    _postgresql_only(database)
    base = _base(database)
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with database.transaction() as session:
                    if n % 2:
                        _append_unsealed(session, f"user:w{n}", str(i), clock(), {"i": i})
                    else:
                        audit_log.record(session, principal=f"user:w{n}", action="test", target=str(i), at=clock())
                if i % 5 == 0:
                    _seal(database)
        except BaseException as exc:  # collected and re-raised in the test thread
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    with database.transaction() as session:
        assert audit_log.verify(session).last_seq == base + 90
        assert session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.seq < 0)) == 0


def test_the_audit_page_seals_before_it_reads(database: Database, clock: FrozenClock) -> None:
    _postgresql_only(database)
    with database.transaction() as session:
        _append_unsealed(session, "user:a", "job:1", clock(), {"n": 1})
    with database.transaction() as session:
        page = audit_log.search(session, audit_log.AuditFilters(target="job:1"))
    assert [(row.principal, row.seq > 0, row.middle) for row in page.rows] == [("user:a", True, None)]
    assert page.total == 1


SEAL_THEN_EXIT = """
import sys
from sqlalchemy import literal
from bastion import audit_log
from bastion.clock import system_clock
from bastion.store.database import Database
from bastion.store.schema import AuditPending

database = Database(sys.argv[1])
row = audit_log.staged_row(principal="user:quick", action="test", target="t", at=system_clock(), details={})
values = {key: literal(value, AuditPending.__table__.c[key].type) for key, value in row.items()}
with database.transaction() as session:
    session.execute(audit_log.append_unsealed(values))
"""


def test_a_process_that_commits_and_exits_at_once_seals_first(database: Database) -> None:
    """A command's process may end before its timer fires: it runs the seal on its way out."""
    import subprocess
    import sys

    _postgresql_only(database)
    url = database.engine.url.render_as_string(hide_password=False)
    subprocess.run([sys.executable, "-c", SEAL_THEN_EXIT, url], check=True, timeout=60)
    with database.engine.connect() as connection:  # not a transaction of the Database: it would seal too
        rows = connection.execute(select(AuditRecord.seq).where(AuditRecord.principal == "user:quick")).all()
    assert len(rows) == 1 and rows[0].seq > 0
