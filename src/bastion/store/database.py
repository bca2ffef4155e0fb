"""The engine and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL by URL."""

from __future__ import annotations

import atexit
import os
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import structlog
from sqlalchemy import ClauseElement, Connection, Dialect, Engine, Executable, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.compiler import SQLCompiler

from bastion.errors import ConfigurationError

SQLITE_BUSY_TIMEOUT_MS = 30_000
POOL_RECYCLE_SECONDS = 3600
log = structlog.get_logger(__name__)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, issue BEGIN (see the "begin" hook below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock up front: a deferred transaction that reads and then writes can fail
        # with SQLITE_BUSY at once under WAL, instead of waiting its turn.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError; map it at the boundary
        raise ConfigurationError(f"BASTION_DATABASE_URL is not a database URL: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, hide_parameters=True, **kwargs)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 40)
        # No pre-ping: it would cost a round trip on every transaction, and claims and decisions are
        # short transactions. A connection the server dropped fails one transaction; SQLAlchemy then
        # sees the disconnect and replaces every pooled connection. Idle ones are renewed hourly.
        kwargs.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
        return create_engine(parsed, hide_parameters=True, **kwargs)
    raise ConfigurationError(f"unsupported database {backend!r}: use sqlite or postgresql")


def store_of(session: Session) -> str:
    """Which store a session works on, as its URL's text: the key of per-store caches (the newest policy
    and review configuration versions), asked for on every claim and decision. Rendered once per engine."""
    engine = session.get_bind().engine
    name = _store_names.get(engine)
    if name is None:
        name = _store_names[engine] = str(engine.url)
    return name


_store_names: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


AFTER_COMMITS_DELAY_SECONDS = 0.25
_after_commits: list[Callable[[Connection], object]] = []


def run_after_commits(step: Callable[[Connection], object]) -> None:
    """Have every Database on PostgreSQL run `step` in a transaction of its own a moment after its commits
    (within AFTER_COMMITS_DELAY_SECONDS, once for all the commits of that moment), and when it is
    disposed: work that must follow soon but must not hold up the transactions it follows (the audit
    log's sealing, see `bastion.audit_log.seal`)."""
    if step not in _after_commits:
        _after_commits.append(step)


class Database:
    """One store: its engine and a factory of sessions. Services own the transactions."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._postgresql = self.engine.dialect.name == "postgresql"
        self._after_commits_timer: threading.Timer | None = None
        self._timer_lock, self._run_lock = threading.Lock(), threading.Lock()
        self._ran_after_commits = True  # False from a commit until the steps have run after it
        # PostgreSQL: connections, each with its session, that finished a transaction cleanly, kept for the
        # next one (see `transaction`); at most as many as the pool keeps, none older than its recycle age.
        self._idle: list[tuple[Connection, Session, float]] = []
        pool = self.engine.pool
        self._idle_max = pool.size() if self._postgresql and isinstance(pool, QueuePool) else 0
        self._recycle = float(engine_kwargs.get("pool_recycle", POOL_RECYCLE_SECONDS))
        _databases.add(self)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed at the end, or rolled back whole on any error.

        On PostgreSQL the session is bound to a connection of its own, and `execute_prepared` runs its
        statements on that connection without beginning the session's own transaction: the hottest calls
        (a claim, most decisions) then never pay for the session's transaction handling. Whatever else the
        session does joins the same database transaction; the commit is the session's when it began one,
        otherwise the driver's, and the session's after-commit hooks are announced after it either way.

        A connection and its session that end a transaction cleanly (committed, or rolled back with the
        connection intact) are kept for this store's next transaction, in any thread, rather than going
        back to the pool and being made again: a checkout, a check-in with its reset, a `Connection` and a
        `Session` made and closed cost one reviewer thread about a quarter of a claim's and a decision's
        CPU. The session is closed (emptied) and its `info` cleared between transactions; listeners put
        on a session object itself would stay with it. A connection that failed, or was left inside a
        transaction, goes back to the pool instead; after a lost connection the kept ones are dropped too,
        as the pool drops its own.
        """
        if not self._postgresql:
            session = self._sessions()
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()
            return
        connection, session, made = self._take_connection()
        clean = False
        try:
            yield session
            session.flush()
            if session.in_transaction():
                session.commit()
            else:
                # Only prepared statements ran, or nothing: the driver commits, and the session's
                # after-commit hooks are announced as its own commit would, without beginning and
                # committing an empty transaction of the session's for them.
                _on_driver(connection, _commit)
                session.dispatch.after_commit(session)
            clean = True
        except BaseException:
            session.rollback()
            clean = _rolled_back(connection)  # what prepared statements began outside the session's transaction
            raise
        finally:
            session.close()
            self._give_back(connection, session, made, clean)
        self._after_commits_soon()

    def _take_connection(self) -> tuple[Connection, Session, float]:
        """A kept connection and its session (PostgreSQL), or new ones from the pool; and when it was made."""
        kept = self._kept()
        if kept is not None:
            return kept
        connection = self.engine.connect()
        return connection, self._sessions(bind=connection), time.monotonic()

    def _kept(self, *, oldest: bool = False) -> tuple[Connection, Session, float] | None:
        """A kept connection and its session: the one kept last (likely this thread's own, in its caches), or
        with `oldest` the one kept longest (the steps after commits take that one, and leave the others to
        the transactions that use them in turn); None when none is kept."""
        while True:
            try:
                kept = self._idle.pop(0 if oldest else -1)  # atomic: a kept connection serves one transaction
            except IndexError:
                return None
            if time.monotonic() - kept[2] < self._recycle:
                return kept
            kept[0].close()  # as old as the pool's recycle age: the pool replaces it

    def _pool_has_room(self) -> bool:
        """The pool would lend a connection now, without waiting for one to come back (which, while
        connections are kept rather than given back, could take until its timeout)."""
        pool = self.engine.pool
        if not isinstance(pool, QueuePool):
            return True
        overflow = pool._max_overflow  # -1: no limit
        return overflow < 0 or pool.checkedout() < pool.size() + overflow

    def _give_back(self, connection: Connection, session: Session, made: float, clean: bool) -> None:
        """Keep the connection and its session for the next transaction when it ended cleanly, there is room, and
        the driver is outside any transaction; otherwise return the connection to the pool (which resets it).

        Never kept while the pool is at its limit: someone may be waiting on the pool for a connection, and
        only one given back to it would reach them."""
        if connection.invalidated:
            self._drop_idle()  # the server went away or restarted: the kept ones are likely gone too
            clean = False
        if clean and len(self._idle) < self._idle_max and self._pool_has_room() and _driver_idle(connection):
            session.info.clear()
            self._idle.append((connection, session, made))
            return
        connection.close()

    def _drop_idle(self) -> None:
        """Return every kept connection to the pool."""
        while True:
            try:
                connection, _session, _made = self._idle.pop()
            except IndexError:
                return
            connection.close()

    def _after_commits_soon(self) -> None:
        armed = self._after_commits_timer
        if armed is not None and armed.is_alive():
            return  # the usual case, seen without the lock: a run is due, and runs after this commit
        with self._timer_lock:
            armed = self._after_commits_timer
            # Not alive: a timer armed before this process forked, whose thread the fork did not copy.
            if (armed is not None and armed.is_alive()) or not _after_commits:
                return
            timer = self._after_commits_timer = threading.Timer(
                AFTER_COMMITS_DELAY_SECONDS, self._run_after_commits, kwargs={"wait": False}
            )
            self._ran_after_commits = False
            timer.daemon = True
            timer.start()
            _due.add(self)

    def run_after_commits(self) -> None:
        """Run the steps that follow commits now (see `run_after_commits`), one run at a time. A failure is
        logged and left to the next run: each step is one a later run completes (a seal seals what is left).
        """
        self._run_after_commits(wait=True)

    def _run_after_commits(self, *, wait: bool) -> None:
        """`run_after_commits`; without `wait` (the timer's run), when no connection is to be had at once the
        run is put off to a moment later rather than waiting for one."""
        with self._timer_lock:
            timer, self._after_commits_timer = self._after_commits_timer, None
        if timer is not None and timer is not threading.current_thread():
            timer.cancel()
        ran = True
        with self._run_lock:
            try:
                ran = self._run_steps(wait=wait)
            except OperationalError as error:  # the server is unreachable, or the database gone: so is all else
                log.debug("after_commit_step_failed", error_type=type(error).__name__)
            except Exception as error:  # the transactions they follow have committed; the next run retries
                log.warning("after_commit_step_failed", error_type=type(error).__name__)
            if ran:
                _due.discard(self)
                self._ran_after_commits = True
        if not ran:
            self._after_commits_soon()

    def _run_steps(self, *, wait: bool) -> bool:
        """Run the steps in a transaction of their own; False when put off (no connection at once, not `wait`).

        On a kept connection when there is one: while connections are kept, the pool may have none to spare."""
        kept = self._kept(oldest=True)
        if kept is None:
            if not wait and not self._pool_has_room():
                return False
            kept = self._take_connection()
        connection, session, made = kept
        clean = False
        try:
            with connection.begin():
                for step in _after_commits:
                    step(connection)
            clean = True
        finally:
            self._give_back(connection, session, made, clean)
        return True

    def dispose(self) -> None:
        """Close the pooled connections, after running the steps that follow commits if any are due (and
        waiting for a run under way)."""
        if not self._ran_after_commits:
            self.run_after_commits()
        self._drop_idle()
        self.engine.dispose()


_due: weakref.WeakSet[Database] = weakref.WeakSet()  # whose steps are still to run after their commits
_databases: weakref.WeakSet[Database] = weakref.WeakSet()
_left_by_fork: list[tuple[Connection, Session, float]] = []


def _forget_kept_connections() -> None:
    """In a forked child: the kept connections are the parent's. Never used, never closed, never collected
    (closing one, or collecting it, would end or reset the parent's connection to the server)."""
    for database in list(_databases):
        _left_by_fork.extend(database._idle)
        database._idle = []


os.register_at_fork(after_in_child=_forget_kept_connections)


def _commit(driver: Any) -> None:
    driver.commit()


def _rolled_back(connection: Connection) -> bool:
    """Roll back on the driver what prepared statements began outside the session's transaction (nothing is
    sent when no transaction is open); whether the connection came out of it fit for another transaction.
    A failure here is not raised: the error being handled is the one to report, and the connection goes
    back to the pool, which resets or replaces it."""
    if connection.invalidated or connection.closed:
        return False
    driver = connection.connection.driver_connection
    try:
        assert driver is not None
        driver.rollback()
    except Exception:
        return False
    return True


def _driver_idle(connection: Connection) -> bool:
    """The driver connection is outside any transaction (psycopg's IDLE): fit to start the next one."""
    driver = connection.connection.driver_connection
    return driver is not None and driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


@atexit.register
def _run_due_steps() -> None:
    """A command that commits and exits at once runs its steps before it goes (its timer's thread would die)."""
    for database in list(_due):
        database.run_after_commits()


def execute_prepared(session: Session, statement: Executable, params: Mapping[str, Any]) -> Any:
    """The first row of a prebuilt statement run in the session's transaction (None: no row), for the few
    statements every claim and decision runs.

    On PostgreSQL the statement goes to the driver as a prepared statement, below SQLAlchemy's execution
    (its execution context, result object and the driver's description of every result column cost
    more Python time than the statement costs the server): its text, with numbered placeholders (`$1`),
    is made once when the statement is first run, and goes through a raw cursor, kept with its pooled
    connection, which sends it as it is (an ordinary cursor would rewrite `%(name)s` placeholders on
    every execution, and caches that only for short statements); each bound value is converted as
    SQLAlchemy would convert it, and a driver error is raised as SQLAlchemy's. The row is the driver's
    tuple, with no result conversions (a time comes back in the connection's zone). Elsewhere it is an
    ordinary execution. The statement must be built once (it is compiled once, and kept, per dialect),
    with every value it takes a named parameter (compiled without values, an INSERT writes only the
    columns its `values()` name) and none of them expanding.
    """
    bind = session.bind
    # The transaction's own connection (see `Database.transaction`), without beginning the session's
    # transaction on it; a session bound to an engine begins its transaction to get one.
    connection = bind if isinstance(bind, Connection) else session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        return connection.execute(statement, params).first()
    prepared = _prepared.get((statement, dialect.name)) or _prepare(statement, dialect)
    values = []
    for name, default, convert in prepared.binds:
        value = params.get(name, default)
        if value is _REQUIRED:
            raise KeyError(f"the statement's parameter {name!r} has no value")
        values.append(value if convert is None else convert(value))
    pooled = connection.connection
    cursor = pooled.info.get(_CURSOR)
    if cursor is None:
        driver = pooled.driver_connection
        assert driver is not None
        # Kept while the pooled connection lives: SQLAlchemy empties `info` when it closes or replaces it.
        cursor = pooled.info[_CURSOR] = psycopg.RawCursor(driver)
    try:
        return cursor.execute(prepared.sql, values, prepare=True).fetchone()
    except dialect.loaded_dbapi.Error as error:
        _raise_driver_error(connection, error)


_CURSOR = "bastion.raw_cursor"  # the key of a pooled connection's raw cursor in its `info`


def _on_driver(connection: Connection, call: Callable[[Any], Any]) -> Any:
    """`call` on the connection's driver connection (psycopg), a driver error raised as SQLAlchemy's."""
    dialect = connection.dialect
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        return call(driver)
    except dialect.loaded_dbapi.Error as error:
        _raise_driver_error(connection, error)


def _raise_driver_error(connection: Connection, error: Any) -> NoReturn:
    """A driver error raised as SQLAlchemy's, the connection invalidated if the error says it is lost."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, None)
    if lost:
        connection.invalidate(error)
    raise DBAPIError.instance(
        None,
        None,
        error,
        dialect.loaded_dbapi.Error,
        hide_parameters=True,
        connection_invalidated=lost,
        dialect=dialect,
    ) from error


@dataclass(frozen=True)
class _Prepared:
    sql: bytes  # the statement's text, its placeholders numbered ($1, $2, ...): what the server prepares
    # For each placeholder in order: the parameter's name, its value when not given (the values built into
    # the statement: constants, literals), and SQLAlchemy's bind processor for it, if any.
    binds: tuple[tuple[str, Any, Callable[[Any], Any] | None], ...]


_prepared: dict[tuple[Executable, str], _Prepared] = {}
_REQUIRED: Any = object()  # the default of a parameter that has none: a value must be given
# In a statement compiled for psycopg: a named placeholder, or a percent sign doubled to stand for itself.
_PYFORMAT = re.compile(r"%\(([^)]+)\)s|%%")


def _prepare(statement: Executable, dialect: Dialect) -> _Prepared:
    assert isinstance(statement, ClauseElement)
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    binds = compiled.bind_names
    if any(bind.expanding for bind in binds) or "POSTCOMPILE" in compiled.string:
        raise ValueError("a statement run prepared cannot have expanding parameters")
    by_name = {name: bind for bind, name in binds.items()}
    unescaped = {escaped: name for name, escaped in (compiled.escaped_bind_names or {}).items()}
    numbers: dict[str, int] = {}
    order: list[tuple[str, Any, Callable[[Any], Any] | None]] = []

    def numbered(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return "%"
        name = unescaped.get(match.group(1), match.group(1))
        if name not in numbers:
            bind = by_name[name]
            default = _REQUIRED if bind.required else bind.effective_value
            order.append((name, default, bind.type.dialect_impl(dialect).bind_processor(dialect)))
            numbers[name] = len(order)
        return f"${numbers[name]}"

    sql = _PYFORMAT.sub(numbered, compiled.string)
    prepared = _Prepared(sql.encode(), tuple(order))
    _prepared[(statement, dialect.name)] = prepared
    return prepared
