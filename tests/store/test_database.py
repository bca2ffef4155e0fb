"""Running a prebuilt statement prepared (the claims' and decisions' statements): the values converted
as SQLAlchemy converts them, the first row back, a failure raised as SQLAlchemy raises it, and one
transaction with the session's own work."""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Integer, String, bindparam, event, func, insert, literal, literal_column, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.clock import FrozenClock
from bastion.store.database import AFTER_COMMITS_DELAY_SECONDS, Database, execute_prepared
from bastion.store.schema import AuditPending, AuditRecord, Event
from bastion.store.upsert import table_of

_events = table_of(Event)
_COLUMNS = ("subject_pk", "occurred_at", "recorded_at", "principal", "data")
_RECORD = (
    insert(_events)
    .values(kind="test.kind", subject_type="job", **{c: bindparam(c, type_=_events.c[c].type) for c in _COLUMNS})
    .returning(_events.c.pk)
)
_FIND = select(_events.c.pk, _events.c.data).where(_events.c.kind == bindparam("kind"))


def test_values_go_in_as_sqlalchemy_would_send_them(database: Database, clock: FrozenClock) -> None:
    berlin = clock().astimezone(timezone(timedelta(hours=1)))
    data = {"queue": "general", "nested": {"n": 1, "text": 'ünï "q" \\'}}
    with database.transaction() as session:
        values = {"subject_pk": 7, "occurred_at": berlin, "recorded_at": clock(), "principal": "user:a", "data": data}
        (pk,) = execute_prepared(session, _RECORD, values)
        assert execute_prepared(session, _FIND, {"kind": "no.such.kind"}) is None
    with database.transaction() as session:
        event = session.get_one(Event, pk)
        assert (event.kind, event.subject_pk, event.data) == ("test.kind", 7, data)
        assert event.occurred_at == clock() and event.occurred_at.utcoffset() == timedelta(0)
        found = execute_prepared(session, _FIND, {"kind": "test.kind"})
        assert found is not None and found[0] == pk


def test_a_refused_statement_raises_sqlalchemys_error_and_writes_nothing(
    database: Database, clock: FrozenClock
) -> None:
    values = {"subject_pk": 7, "occurred_at": clock(), "recorded_at": clock(), "principal": "user:a", "data": {}}
    with pytest.raises(IntegrityError), database.transaction() as session:
        execute_prepared(session, _RECORD, values)
        execute_prepared(session, _RECORD, values | {"principal": None})  # NOT NULL
    with database.transaction() as session:
        assert session.scalars(select(Event.pk).where(Event.kind == "test.kind")).all() == []


def test_a_statement_with_a_list_parameter_is_refused(database: Database, clock: FrozenClock) -> None:
    listed = select(_events.c.pk).where(_events.c.kind.in_(bindparam("kinds", expanding=True)))
    if database.dialect != "postgresql":
        pytest.skip("only the prepared path compiles statements once")
    with database.transaction() as session, pytest.raises(ValueError, match="expanding"):
        execute_prepared(session, listed, {"kinds": ["a"]})


def test_prepared_statements_and_the_sessions_own_work_are_one_transaction(
    database: Database, clock: FrozenClock
) -> None:
    """On PostgreSQL a prepared statement runs without beginning the session's transaction; what the session
    does next joins the same transaction, sees its rows, and a failure rolls both back."""
    values = {"subject_pk": 7, "occurred_at": clock(), "recorded_at": clock(), "principal": "user:a", "data": {}}
    with pytest.raises(RuntimeError), database.transaction() as session:
        (pk,) = execute_prepared(session, _RECORD, values)
        assert session.get_one(Event, pk).principal == "user:a"  # the session's read sees the statement's row
        session.add(Event(kind="test.other", subject_type="job", occurred_at=clock(), recorded_at=clock(), **_BY))
        session.flush()
        raise RuntimeError("the work failed")
    with database.transaction() as session:
        assert session.scalars(select(Event.pk).where(Event.kind.in_(["test.kind", "test.other"]))).all() == []


_BY = {"subject_pk": 8, "principal": "user:b", "data": {}}


def test_after_commit_hooks_see_the_committed_statement(database: Database, clock: FrozenClock) -> None:
    """A transaction that ran only prepared statements commits them, then announces its after-commit hooks."""
    values = {"subject_pk": 7, "occurred_at": clock(), "recorded_at": clock(), "principal": "user:a", "data": {}}
    seen: list[int] = []

    def count_from_elsewhere(session: Session) -> None:
        with database.engine.connect() as other:
            seen.append(len(other.execute(select(_events.c.pk).where(_events.c.kind == "test.kind")).all()))

    with database.transaction() as session:
        event.listen(session, "after_commit", count_from_elsewhere)
        execute_prepared(session, _RECORD, values)
    assert seen == [1]


def test_a_failed_transaction_of_prepared_statements_announces_nothing(database: Database, clock: FrozenClock) -> None:
    """Hooks are announced only after a commit: a transaction that ran only prepared statements and then
    failed writes nothing and announces nothing."""
    values = {"subject_pk": 7, "occurred_at": clock(), "recorded_at": clock(), "principal": "user:a", "data": {}}
    announced: list[str] = []
    with pytest.raises(RuntimeError), database.transaction() as session:
        event.listen(session, "after_commit", lambda _session: announced.append("after_commit"))
        execute_prepared(session, _RECORD, values)
        raise RuntimeError("the work failed")
    assert announced == []
    with database.transaction() as session:
        assert session.scalars(select(Event.pk).where(Event.kind == "test.kind")).all() == []


def test_placeholders_are_numbered_once_for_each_parameter(database: Database) -> None:
    """A parameter used twice, one whose name needs escaping, a value built into the statement and a
    percent sign in its text all come through the numbered placeholders the server prepares."""
    twice = bindparam("n.twice", type_=Integer)
    statement = select(
        twice + 1,
        twice * bindparam("factor", type_=Integer),
        func.coalesce(bindparam("maybe", type_=String), literal("built in")),
        literal_column("'50%'"),
        literal_column("7 % 4"),
    )
    with database.transaction() as session:
        assert tuple(execute_prepared(session, statement, {"n.twice": 5, "factor": 3, "maybe": None})) == (
            6,
            15,
            "built in",
            "50%",
            3,
        )
        assert tuple(execute_prepared(session, statement, {"n.twice": -2, "factor": 4, "maybe": "given"})) == (
            -1,
            -8,
            "given",
            "50%",
            3,
        )


def test_a_missing_value_is_refused_before_the_statement_is_sent(database: Database, clock: FrozenClock) -> None:
    if database.dialect != "postgresql":
        pytest.skip("the prepared path's own check (SQLAlchemy refuses it elsewhere)")
    values = {"subject_pk": 7, "occurred_at": clock(), "recorded_at": clock(), "data": {}}  # no principal
    with pytest.raises(KeyError, match="principal"), database.transaction() as session:
        execute_prepared(session, _RECORD, values)


def test_a_lost_connection_fails_its_transaction_and_the_next_one_works(database: Database) -> None:
    """The raw cursor kept with a pooled connection goes with it: when the server ends the connection, the
    statement raises SQLAlchemy's error, and the next transaction runs on a new connection."""
    if database.dialect != "postgresql":
        pytest.skip("about PostgreSQL's pooled connections")
    backend_pid = select(func.pg_backend_pid())
    with database.engine.connect() as other:  # held, so that the transactions take another connection
        with database.transaction() as session:
            (first,) = execute_prepared(session, backend_pid, {})
        assert other.execute(select(func.pg_terminate_backend(first))).scalar_one()
        with pytest.raises(OperationalError), database.transaction() as session:
            execute_prepared(session, backend_pid, {})
        with database.transaction() as session:
            (second,) = execute_prepared(session, backend_pid, {})
    assert second != first


# --- connections kept from one transaction to the next (PostgreSQL) --------------------------------------


def _postgresql_only(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("about PostgreSQL's pooled connections")


_BACKEND = select(func.pg_backend_pid())


def _backend(database: Database) -> int:
    with database.transaction() as session:
        (pid,) = execute_prepared(session, _BACKEND, {})
        return int(pid)


def test_a_clean_transaction_leaves_its_connection_for_the_next_and_its_session_empty(
    database: Database, clock: FrozenClock
) -> None:
    _postgresql_only(database)
    values = {"subject_pk": 7, "occurred_at": clock(), "recorded_at": clock(), "principal": "user:a", "data": {}}
    with database.transaction() as session:
        (first,) = execute_prepared(session, _BACKEND, {})
        (pk,) = execute_prepared(session, _RECORD, values)
        loaded = session.get_one(Event, pk)  # the session's own work, on the same connection
        session.info["left"] = "behind"
        first_session = session
    with database.transaction() as session:
        (second,) = execute_prepared(session, _BACKEND, {})
        assert session is first_session and loaded not in session and "left" not in session.info
        assert session.get_one(Event, pk).principal == "user:a"
    assert second == first


def test_a_failed_transaction_is_rolled_back_on_the_connection_it_leaves(
    database: Database, clock: FrozenClock
) -> None:
    """Prepared statements begin a transaction of the driver's, outside the session's: a failure rolls it back
    before the connection serves another transaction, which sees nothing of it."""
    _postgresql_only(database)
    values = {"subject_pk": 7, "occurred_at": clock(), "recorded_at": clock(), "principal": "user:a", "data": {}}
    with pytest.raises(RuntimeError), database.transaction() as session:
        (first,) = execute_prepared(session, _BACKEND, {})
        execute_prepared(session, _RECORD, values)
        raise RuntimeError("the work failed")
    with database.transaction() as session:
        (second,) = execute_prepared(session, _BACKEND, {})
        assert execute_prepared(session, _FIND, {"kind": "test.kind"}) is None
    assert second == first
    with database.engine.connect() as other:
        assert (
            other.execute(select(func.count()).select_from(_events).where(_events.c.kind == "test.kind")).scalar() == 0
        )


def test_after_a_lost_connection_the_kept_ones_are_dropped(database: Database) -> None:
    """When the server ends every connection (a restart), the transaction that finds out fails; the kept ones
    are given up with it, so the next transaction runs on a new connection rather than on another dead one."""
    _postgresql_only(database)
    with database.transaction() as outer:
        (one,) = execute_prepared(outer, _BACKEND, {})
        with database.transaction() as inner:  # a second connection, kept too
            (two,) = execute_prepared(inner, _BACKEND, {})
    assert one != two
    with database.engine.connect() as other:
        for pid in (one, two):
            assert other.execute(select(func.pg_terminate_backend(pid))).scalar_one()
    with pytest.raises(OperationalError):
        _backend(database)
    assert _backend(database) not in (one, two)


def test_no_more_connections_are_kept_than_the_pool_keeps(database: Database) -> None:
    _postgresql_only(database)
    database = Database(database.url, pool_size=2, max_overflow=5)
    try:
        with database.transaction(), database.transaction(), database.transaction(), database.transaction():
            assert database.engine.pool.checkedout() == 4  # type: ignore[attr-defined]
        assert database.engine.pool.checkedout() == 2  # type: ignore[attr-defined]  # kept: the pool's size
    finally:
        database.dispose()
    assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_the_steps_after_commits_run_when_the_pool_has_nothing_to_spare(database: Database, clock: FrozenClock) -> None:
    """The audit log's sealing follows commits on a connection of the store's: with one connection, kept after
    the transaction, it runs on that one (the pool, which has none left, would make it wait and fail)."""
    _postgresql_only(database)
    database = Database(database.url, pool_size=1, max_overflow=0, pool_timeout=1)
    unsealed = select(func.count()).select_from(AuditRecord).where(AuditRecord.seq < 0)
    try:
        with database.transaction() as session:
            _append_unsealed(session, clock())
        database.run_after_commits()
        with database.transaction() as session:
            assert session.scalar(unsealed) == 0
    finally:
        database.dispose()


def test_a_forked_child_never_uses_the_parents_kept_connections(database: Database) -> None:
    _postgresql_only(database)
    parent = _backend(database)
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child: report the connection its transaction ran on, and go
        code = 1
        try:
            os.close(reader)
            os.write(writer, str(_backend(database)).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    with os.fdopen(reader) as report:
        in_child = int(report.read())
    assert os.waitpid(child, 0)[1] == 0
    assert in_child != parent
    assert _backend(database) == parent  # the parent's connection was left alone


def test_sealing_a_moment_after_commits_waits_for_no_connection(database: Database, clock: FrozenClock) -> None:
    """With every connection busy when the moment comes (here the only one, held by a transaction), the seal
    is put off rather than waiting on the pool, which gets no connection back while they are kept: it runs
    a moment after one is free."""
    _postgresql_only(database)
    database = Database(database.url, pool_size=1, max_overflow=0, pool_timeout=30)
    unsealed = select(func.count()).select_from(AuditRecord).where(AuditRecord.seq < 0)
    try:
        with database.transaction() as session:
            _append_unsealed(session, clock())
        with database.transaction() as session:  # the only connection, held past the moment of the seal
            time.sleep(4 * AFTER_COMMITS_DELAY_SECONDS)
            assert session.scalar(unsealed) == 1
        deadline = time.monotonic() + 20 * AFTER_COMMITS_DELAY_SECONDS
        left = 1
        while left and time.monotonic() < deadline:
            time.sleep(AFTER_COMMITS_DELAY_SECONDS / 5)
            with database.transaction() as session:
                left = session.scalar(unsealed) or 0
        assert left == 0
    finally:
        database.dispose()


def _append_unsealed(session: Session, at: datetime) -> None:
    row = audit_log.staged_row(principal="user:a", action="test", target="t", at=at, details={"n": 1})
    pending = table_of(AuditPending).c
    session.execute(audit_log.append_unsealed({k: literal(v, pending[k].type) for k, v in row.items()}))


def test_no_transaction_waits_on_the_pool_for_a_connection_kept_elsewhere(
    database: Database, clock: FrozenClock
) -> None:
    """As many threads as the pool has connections, and the sealing after their commits besides: when the
    sealer takes a kept connection and a thread then waits on the pool, the sealer gives it back to the
    pool (not to the kept ones), so the thread is served at once rather than at the pool's timeout."""
    _postgresql_only(database)
    database = Database(database.url, pool_size=2, max_overflow=0, pool_timeout=2)
    errors: list[BaseException] = []
    stop = time.monotonic() + 16 * AFTER_COMMITS_DELAY_SECONDS

    def work() -> None:
        try:
            while time.monotonic() < stop:
                with database.transaction() as session:
                    _append_unsealed(session, clock())
                time.sleep(0.002)  # between transactions, as a reviewer is: the sealer may take the kept connection
        except BaseException as error:  # reported below
            errors.append(error)

    try:
        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
    finally:
        database.dispose()
