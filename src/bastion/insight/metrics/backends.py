"""Where the metrics run: the engines behind one set of definitions.

- `open_store(database)`: the store itself. A SQLite store is read by DuckDB (embedded, the default:
  the file attached read-only through the SQLite scanner loaded from its PyPI package); a PostgreSQL
  store by PostgreSQL itself, in a read-only session (Ibis's postgres backend).
- `open_parquet(folder)`: a `bastion export parquet` folder, read by DuckDB.
- `open_spark(folder)`: the same export read by Spark (local mode unless `session` says otherwise),
  through Ibis's PySpark backend; needs the `[spark]` extra and a Java runtime.

Each returns a `MetricsBackend`: the Ibis connection and its tables bound to one schema (`tables.py`),
so `compute` never asks which engine it runs on. Close it when done (it is a context manager).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import ibis
from ibis.backends import BaseBackend
from sqlalchemy.engine import make_url

from bastion.errors import BastionError, InvalidInput
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

    def close(self) -> None:
        if self.owns_connection:
            self.connection.disconnect()

    def __enter__(self) -> MetricsBackend:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def open_store(database: Database) -> MetricsBackend:
    """The metrics over the store: DuckDB over a SQLite file, or PostgreSQL read-only."""
    url = make_url(database.url)
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
