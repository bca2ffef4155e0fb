"""Where the metrics run: the engines behind one set of definitions.

- `open_store(database)`: the store itself. A SQLite store is read by DuckDB (embedded, the default:
  the file attached read-only through the SQLite scanner loaded from its PyPI package); a PostgreSQL
  store by PostgreSQL itself, in a read-only session (Ibis's postgres backend).
- `open_parquet(folder)`: a `bastion export parquet` folder, read by DuckDB.
- `open_spark(folder)`: the same export read by Spark (local mode unless `session` says otherwise),
  through Ibis's PySpark backend; needs the `[spark]` extra and a Java runtime.

Each returns a `MetricsBackend`: the Ibis connection and its tables bound to one schema (`tables.py`),
so `compute` never asks which engine it runs on. Close it when done (it is a context manager).

`shared_store(url)`: one backend over a store kept open for the process (a page that refreshes every
minute should not attach the store each time), its queries run one at a time under a lock. On DuckDB
and PostgreSQL, `MetricsBackend.execute` compiles a metric's SQL once per slice shape (`_COMPILED`)
and binds the slice's moments as parameters; Spark runs the Ibis expression itself.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy.engine import URL, make_url

from bastion.errors import BastionError, InvalidInput
from bastion.insight.metrics.definitions import PARAMS, Metric, Slice, together
from bastion.insight.metrics.tables import SCHEMAS, StoreTables, bind
from bastion.store.database import Database

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

EXPORT_MANIFEST = "bastion-export.json"  # written last into every export folder (see insight/export.py)


@dataclass
class MetricsBackend:
    """An engine and the store's tables on it. `engine`: duckdb, postgresql or spark; `source`: store
    or parquet."""

    engine: str
    source: str
    connection: BaseBackend
    tables: StoreTables
    owns_connection: bool = True
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    store_types: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def rows(self, metrics: Sequence[Metric], piece: Slice) -> list[tuple[Any, ...]]:
        """`metrics` over `piece` in one query, as plain rows (segments, then each metric's columns;
        a segment one metric lacks has null there), as the engine returns them: moments naive UTC,
        counts and sums as numbers. No pandas on the way."""
        if self.engine not in COMPILED_ENGINES:
            frame = together(self.tables, metrics, piece).execute(
                params={PARAMS[name]: value for name, value in piece.bound().items()}
            )
            return list(frame.itertuples(index=False, name=None))
        values = piece.bound()
        sql = self._compiled(metrics, piece)
        with self.lock:
            if self.engine == "duckdb":
                found: list[tuple[Any, ...]] = self.connection.con.execute(
                    sql, {n: v for n, v in values.items() if f"${n}" in sql}
                ).fetchall()
                return found
            with self.connection.con.cursor() as cursor:
                cursor.execute(sql, values)
                return [tuple(float(v) if isinstance(v, Decimal) else v for v in row) for row in cursor.fetchall()]

    def execute(self, metric: Metric, piece: Slice) -> pd.DataFrame:
        """`metric` over `piece`, as the engine returns it (`compute` normalises the types)."""
        values = piece.bound()
        if self.engine not in COMPILED_ENGINES:
            expression = metric.build(self.tables, piece)
            return expression.execute(params={PARAMS[name]: value for name, value in values.items()})
        sql = self._compiled([metric], piece)
        with self.lock:
            if self.engine == "duckdb":
                raw = self.connection.con
                return raw.execute(sql, {n: v for n, v in values.items() if f"${n}" in sql}).df()
            with self.connection.con.cursor() as cursor:
                cursor.execute(sql, values)
                names = [column.name for column in cursor.description or ()]
                rows = [[float(v) if isinstance(v, Decimal) else v for v in row] for row in cursor.fetchall()]
            return pd.DataFrame(rows, columns=names)

    @contextmanager
    def snapshot(self, tables: Mapping[str, Collection[str]]) -> Iterator[MetricsBackend]:
        """This backend, with `tables` ({table: the columns the metrics inside read}) read once for
        every metric computed inside, and held by this thread meanwhile: the figures of one page, all
        of one moment. Inside, the columns not named are null: name every column the metrics read.

        DuckDB reads a SQLite store through its scanner, which pushes no filter down: each query reads
        its tables whole. A page of several metrics over the same tables reads them once instead, into
        temporary tables that the compiled SQL's table names resolve to first. Elsewhere a no-op."""
        with self.lock:
            if self.engine != "duckdb" or self.source != "store":
                yield self
                return
            raw = self.connection.con
            # One transaction: the tables read at one moment, and one read of the SQLite file's
            # transaction for every statement inside rather than one each.
            raw.execute("BEGIN TRANSACTION")
            try:
                for name, wanted in tables.items():
                    kinds = self._store_types(name)
                    columns = ", ".join(
                        _quoted(c) if c in wanted else f"CAST(NULL AS {kinds[c]}) AS {_quoted(c)}"
                        for c in SCHEMAS[name]
                    )
                    # Only the store's own table and column names (SCHEMAS, quoted) and their types.
                    raw.execute(
                        f"CREATE TEMP TABLE {_quoted(name)} AS "  # noqa: S608
                        f"SELECT {columns} FROM store.main.{_quoted(name)}"
                    )
                yield self
            finally:
                raw.execute("ROLLBACK")  # nothing to keep: the temporary tables go with it

    def _store_types(self, name: str) -> dict[str, str]:
        """{column: its type} of a store table as DuckDB reads it (asked once)."""
        if name not in self.store_types:
            described = self.connection.con.execute(f"DESCRIBE store.main.{_quoted(name)}").fetchall()
            self.store_types[name] = {str(row[0]): str(row[1]) for row in described}
        return self.store_types[name]

    def _compiled(self, metrics: Sequence[Metric], piece: Slice) -> str:
        key = (self.engine, self.source, tuple(m.name for m in metrics), piece.shape())
        with _COMPILED_LOCK:
            sql = _COMPILED.get(key)
            if sql is not None:
                _COMPILED.move_to_end(key)
                return sql
        expression = together(self.tables, metrics, piece)
        names = list(piece.bound())
        sql = str(self.connection.compile(expression, params={PARAMS[n]: _SENTINEL.format(n) for n in names}))
        if self.engine == "postgresql":
            sql = sql.replace("%", "%%")  # psycopg's placeholders: a literal % is written %%
        for name in names:
            placeholder = f"${name}" if self.engine == "duckdb" else f"%({name})s"
            sql = sql.replace(f"'{_SENTINEL.format(name)}'", placeholder)
        with _COMPILED_LOCK:
            _COMPILED[key] = sql
            while len(_COMPILED) > _COMPILED_LIMIT:
                _COMPILED.popitem(last=False)
        return sql

    def close(self) -> None:
        if self.owns_connection:
            self.connection.disconnect()

    def __enter__(self) -> MetricsBackend:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


COMPILED_ENGINES = ("duckdb", "postgresql")  # run compiled SQL with bound parameters
_SENTINEL = "bastion-param-{}"  # a parameter's stand-in while compiling; replaced by a placeholder
_COMPILED: OrderedDict[tuple[object, ...], str] = OrderedDict()  # (engine, source, metric, shape) -> SQL
_COMPILED_LIMIT = 1024
_COMPILED_LOCK = threading.Lock()

_SHARED: OrderedDict[str, MetricsBackend] = OrderedDict()
_SHARED_LIMIT = 4
_SHARED_LOCK = threading.Lock()


def shared_store(database: Database | str | URL) -> MetricsBackend:
    """The metrics over a store, opened once per process and kept (the least recently used of more
    than a few stores is closed). Do not close it: `release_shared` closes them all."""
    url = make_url(database.url if isinstance(database, Database) else database)
    key = url.render_as_string(hide_password=False)
    with _SHARED_LOCK:
        found = _SHARED.get(key)
        if found is not None and _alive(found):
            _SHARED.move_to_end(key)
            return found
        if found is not None:
            _SHARED.pop(key).close()
        backend = open_store(key)
        if backend.engine == "duckdb":
            # Small queries every minute: one thread each costs less CPU than a team of them.
            backend.connection.con.execute("SET threads = 1")
        _SHARED[key] = backend
        while len(_SHARED) > _SHARED_LIMIT:
            _, oldest = _SHARED.popitem(last=False)
            _closed_quietly(oldest)
        return backend


def release_shared() -> None:
    """Close every shared backend."""
    with _SHARED_LOCK:
        while _SHARED:
            _closed_quietly(_SHARED.popitem()[1])


def _alive(backend: MetricsBackend) -> bool:
    if backend.engine != "postgresql":
        return True
    connection = backend.connection.con
    return not (connection.closed or connection.broken)  # e.g. the server ended it: open anew


def _closed_quietly(backend: MetricsBackend) -> None:
    try:
        backend.close()
    except Exception:  # a connection the server already ended: nothing left to close
        return


def open_store(database: Database | str) -> MetricsBackend:
    """The metrics over the store (or its URL): DuckDB over a SQLite file, or PostgreSQL read-only."""
    url = make_url(database.url if isinstance(database, Database) else database)
    if url.get_backend_name() == "sqlite":
        return _duckdb_over_sqlite(url.database)
    if url.get_backend_name() == "postgresql":
        connection = ibis.postgres.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            database=url.database,
            options="-c default_transaction_read_only=on",  # the metrics never write
        )
        return MetricsBackend("postgresql", "store", connection, bind(connection.table))
    raise InvalidInput(f"the metrics run on a SQLite or PostgreSQL store, not on {url.get_backend_name()}")


def _duckdb_over_sqlite(path: str | None) -> MetricsBackend:
    from bastion.quality.ratings import duckdb_with_sqlite_scanner

    if not path or path == ":memory:":
        raise InvalidInput("the metrics read a SQLite store's file; this store has none")
    if not Path(path).is_file():
        raise InvalidInput(f"no SQLite store at {path}")
    raw = duckdb_with_sqlite_scanner()
    raw.execute("SET TimeZone = 'UTC'")
    quoted = "'" + path.replace("'", "''") + "'"  # ATTACH takes no parameter: a quoted literal
    raw.execute(f"ATTACH {quoted} AS store (TYPE sqlite, READ_ONLY)")
    raw.execute("USE store")
    connection = ibis.duckdb.from_connection(raw)
    return MetricsBackend("duckdb", "store", connection, bind(connection.table))


def export_folder(folder: Path) -> Path:
    """`folder` when it holds a Bastion export (its manifest), else a clear error."""
    if not (folder / EXPORT_MANIFEST).is_file():
        raise InvalidInput(f"{folder} is not a Bastion Parquet export (it has no {EXPORT_MANIFEST})")
    missing = [name for name in SCHEMAS if not (folder / name).is_dir()]
    if missing:
        raise InvalidInput(f"the export {folder} lacks the tables {', '.join(missing)}")
    return folder


def open_parquet(folder: Path) -> MetricsBackend:
    """The metrics over a `bastion export parquet` folder, on DuckDB."""
    root = export_folder(folder)
    connection = ibis.duckdb.connect()
    connection.raw_sql("SET TimeZone = 'UTC'")
    for name in SCHEMAS:
        pattern = "'" + str(root / name / "**" / "*.parquet").replace("'", "''") + "'"
        source = f"read_parquet({pattern}, hive_partitioning = true)"
        # Only the folder's path (quoted as a literal) and column names (quoted) go into the SQL.
        described = connection.raw_sql(f"DESCRIBE SELECT * FROM {source}").fetchall()  # noqa: S608
        # The export's moments are UTC instants; as UTC wall times by arithmetic, not a time-zone cast
        # per row (six times faster over millions of views).
        moments = [row[0] for row in described if row[1] == "TIMESTAMP WITH TIME ZONE"]
        replace = ", ".join(f"make_timestamp(epoch_us({_quoted(c)})) AS {_quoted(c)}" for c in moments)
        columns = f"* REPLACE ({replace})" if moments else "*"
        connection.raw_sql(f"CREATE VIEW {_quoted(name)} AS SELECT {columns} FROM {source}")  # noqa: S608
    return MetricsBackend("duckdb", "parquet", connection, bind(connection.table))


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def spark_session(cores: int = 2) -> SparkSession:
    """A local Spark session for the metrics: UTC, quiet, few shuffle partitions (the data is small)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as missing:
        raise BastionError("Spark needs the [spark] extra: pip install 'bastion[spark]'") from missing
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("bastion-metrics")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(cores * 2))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def open_spark(folder: Path, session: SparkSession | None = None) -> MetricsBackend:
    """The metrics over a `bastion export parquet` folder, on Spark (a local session unless given one)."""
    root = export_folder(folder)
    spark = session if session is not None else spark_session()
    connection = ibis.pyspark.connect(spark)

    def table_of(name: str) -> Any:
        return connection.read_parquet(str(root / name), table_name=f"bastion_{name}")

    # The session outlives the backend: a Spark session is costly to start, and may be the caller's.
    return MetricsBackend("spark", "parquet", connection, bind(table_of), owns_connection=False)
