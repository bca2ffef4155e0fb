"""Running a checked console query in DuckDB: a fresh, locked, in-memory database per query.

Each run opens an in-memory DuckDB, attaches the store read-only through DuckDB's own scanner (SQLite
or PostgreSQL, both loaded from their PyPI packages by file path: DuckDB cannot download extensions
here, and neither can a server behind a firewall), copies the views the query names into memory
(private fields removed on the way), and detaches the store. Only then is the connection locked:
external access off (no file, no URL, no ATTACH), configuration locked (no SET, no LOAD undoing it),
extensions never loaded on demand. The user's SQL runs last, in a database that holds nothing but
those views: if the parser check (`guard.py`) were ever fooled, there would still be nothing else to
read and nowhere to write.

DuckDB has no statement timeout: a timer thread interrupts the connection when the time is up.
Rows are capped: one row past the cap is fetched to know that the answer was cut.
"""

from __future__ import annotations

import json
import math
import threading
import time
from base64 import b64encode
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb
import pyarrow as pa
from sqlalchemy.engine import make_url

from bastion.errors import ConfigurationError, FieldError, InvalidInput
from bastion.insight.sql.catalog import BY_NAME, SqlView, column_type
from bastion.insight.sql.guard import CheckedQuery
from bastion.review.private_fields import without_private_fields

ROW_LIMIT = 10_000
TIME_LIMIT_SECONDS = 10.0
MEMORY_LIMIT = "1GB"
_MASK = "bastion_private_fields_removed"


@dataclass(frozen=True)
class ResultColumn:
    name: str
    type: str  # DuckDB's name of the type: VARCHAR, BIGINT, TIMESTAMP, JSON, ...


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[ResultColumn, ...]
    rows: tuple[tuple[Any, ...], ...]  # JSON-ready values: times as ISO 8601 text, JSON as objects
    truncated: bool  # more rows matched than `row_limit`; only the first ones are here
    elapsed_ms: float


@dataclass(frozen=True)
class StoreLocation:
    """Where DuckDB reads the store: a SQLite file, or a PostgreSQL connection string."""

    dialect: str
    target: str


def store_location(url: str) -> StoreLocation:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ConfigurationError("the SQL console reads a SQLite store's file; this store has none")
        return StoreLocation("sqlite", parsed.database)
    if parsed.get_backend_name() == "postgresql":
        return StoreLocation("postgres", parsed.set(drivername="postgresql").render_as_string(hide_password=False))
    raise ConfigurationError(f"the SQL console cannot read a {parsed.get_backend_name()} store")


def run_checked(
    query: CheckedQuery,
    store: StoreLocation,
    *,
    private_fields: Sequence[str],
    row_limit: int = ROW_LIMIT,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> QueryResult:
    """Run `query` (already checked) over the views it names, without the actor attributes `private_fields`
    names (required: no caller may forget them); `InvalidInput` if it fails or runs too long."""
    started = time.perf_counter()
    connections: list[duckdb.DuckDBPyConnection] = []
    timer = threading.Timer(time_limit, _interrupt, [connections])
    timer.daemon = True
    timer.start()
    try:
        copies = _read_views(connections, store, sorted(query.views), query.columns, tuple(private_fields))
        connection = _locked_connection(connections, copies)
        cursor = connection.execute(query.sql)
        description = cursor.description or []
        fetched = cursor.fetchmany(row_limit + 1)
    except duckdb.InterruptException:
        raise InvalidInput(
            f"the query ran longer than {time_limit:g} s and was stopped",
            [FieldError("sql", f"stopped after {time_limit:g} s: narrow it (a WHERE on a time, a LIMIT)")],
        ) from None
    except duckdb.Error as error:
        reason = str(error).strip().splitlines()[0][:300]
        raise InvalidInput(f"the query failed: {reason}", [FieldError("sql", reason)]) from None
    finally:
        timer.cancel()
        for opened in connections:
            opened.close()
    columns = tuple(ResultColumn(str(d[0]), str(d[1])) for d in description)
    json_columns = [c.type == "JSON" for c in columns]
    rows = tuple(
        tuple(_plain(v, is_json) for v, is_json in zip(row, json_columns, strict=True)) for row in fetched[:row_limit]
    )
    elapsed = (time.perf_counter() - started) * 1000
    return QueryResult(columns, rows, truncated=len(fetched) > row_limit, elapsed_ms=round(elapsed, 1))


def _extension(package: str, name: str) -> str:
    spec = find_spec(package)
    if spec is None or spec.origin is None:
        raise ConfigurationError(f"the package {package.replace('_', '-')} is not installed")
    return str(Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension")


def _interrupt(connections: list[duckdb.DuckDBPyConnection]) -> None:
    for connection in connections:
        connection.interrupt()


def _connection(connections: list[duckdb.DuckDBPyConnection]) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
        }
    )
    connections.append(connection)
    connection.execute("SET enable_progress_bar = false")
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _read_views(
    connections: list[duckdb.DuckDBPyConnection],
    store: StoreLocation,
    views: Iterable[str],
    columns: frozenset[str] | None,
    private: tuple[str, ...],
) -> dict[str, pa.Table]:
    """The views the query names, read from the store by a connection of their own (the scanner's): the
    query's connection never loads a scanner nor sees the store's location, so it cannot attach it again.
    Only the columns the query mentions are read (`columns`; None: all), at least one so rows count."""
    wanted = [BY_NAME[name] for name in views]
    if not wanted:
        return {}
    reader = _connection(connections)
    if store.dialect == "sqlite":
        reader.load_extension(_extension("duckdb_extension_sqlite_scanner", "sqlite_scanner"))
    else:
        reader.load_extension(_extension("duckdb_extension_postgres_scanner", "postgres_scanner"))
    # ATTACH takes no parameter: the location goes in as a quoted string literal.
    reader.execute(f"ATTACH {_quoted(store.target)} AS store (TYPE {store.dialect}, READ_ONLY)")
    masking = bool(private) and any(c.masked for v in wanted for c in v.columns)
    if masking:
        reader.create_function(
            _MASK, lambda document: _masked(document, private), [duckdb.sqltype("VARCHAR")], duckdb.sqltype("VARCHAR")
        )
    hiding = private if masking else ()
    return {view.name: reader.execute(_projection(view, hiding, columns)).to_arrow_table() for view in wanted}


def _locked_connection(
    connections: list[duckdb.DuckDBPyConnection], copies: dict[str, pa.Table]
) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB holding the views' copies and nothing else, then locked."""
    connection = _connection(connections)
    for name, table in copies.items():
        view = BY_NAME[name]
        # Arrow carries no JSON type: each column is cast to its view's type again.
        copied = set(table.column_names)
        typed = ", ".join(
            f'CAST("{c.name}" AS {column_type(view, c)}) AS "{c.name}"' for c in view.columns if c.name in copied
        )
        connection.register("copied_view", table)
        connection.execute(f'CREATE TABLE main."{name}" AS SELECT {typed} FROM copied_view')  # noqa: S608 - catalog names
        connection.unregister("copied_view")
    connection.execute(f"SET memory_limit = {_quoted(MEMORY_LIMIT)}")
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")
    return connection


def _projection(view: SqlView, private: tuple[str, ...], wanted: frozenset[str] | None = None) -> str:
    """The view's columns, each cast to the one DuckDB type its store column means, so that a view has the
    same types over SQLite (booleans as integers, JSON as text) as over PostgreSQL (times with a zone)."""
    selected = []
    kept = [c for c in view.columns if wanted is None or c.name in wanted] or [view.columns[0]]
    for column in kept:
        source, kind = f'"{column.source}"', column_type(view, column)
        if kind == "JSON":
            text = f"CAST({source} AS VARCHAR)"
            source = _without_private(text, private) if private and column.masked else text
        selected.append(f'CAST({source} AS {kind}) AS "{column.name}"')
    # Names from the catalog, never from the query: nothing here comes from the one asking.
    return f"SELECT {', '.join(selected)} FROM store.{view.table}"  # noqa: S608


def _without_private(text: str, private: tuple[str, ...]) -> str:
    """The document through the Python mask only when it may hold a private key: its text names one (a
    key is written `"ip"`, in any case) or holds a `\\u` escape (which could spell one). A cheap
    over-approximation in SQL, so that most documents never cross into Python."""
    keys = sorted({name.split(".")[-1].casefold() for name in private})
    if not all(key.isascii() for key in keys):
        return f"{_MASK}({text})"  # lower() and casefold() may differ beyond ASCII: mask every document
    tests = [f"contains(lower({text}), {_quoted(chr(34) + key + chr(34))})" for key in keys]
    tests.append(f"contains({text}, {_quoted(chr(92) + 'u')})")
    return f"CASE WHEN {' OR '.join(tests)} THEN {_MASK}({text}) ELSE {text} END"


def _masked(document: str | None, private: tuple[str, ...]) -> str | None:
    if document is None:
        return None
    value = json.loads(document)
    if not isinstance(value, dict):
        return document
    return json.dumps(without_private_fields(value, private), ensure_ascii=False, separators=(",", ":"))


def _plain(value: Any, is_json: bool) -> Any:
    """A value as JSON can carry it: times as ISO 8601 text, decimals as numbers, bytes as base64."""
    if isinstance(value, str) and is_json:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date | clock_time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return b64encode(bytes(value)).decode("ascii")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v, False) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, False) for v in value]
    return str(value)
