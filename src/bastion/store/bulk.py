"""Writing many rows at once, below SQLAlchemy's per-value processing.

For a chunk of thousands of rows, SQLAlchemy's work on each bound value (the UTC type, SQLite's
datetime strings, JSON) costs more than the database's own work. On PostgreSQL its multi-row insert
is also one statement with a placeholder per value, which psycopg parses again on every call. Here
each value is converted once, by a converter chosen per column, to exactly what SQLAlchemy would
have sent, and a chunk travels as:

- SQLite: multi-row `INSERT … VALUES (…), (…), …` statements of a few hundred rows when rows must
  come back (`RETURNING`), one `executemany` when nothing has to;
- PostgreSQL: one `INSERT … SELECT … FROM unnest(array, array, …)` with one array per column. The
  statement is short and the same for every chunk, so psycopg parses it once and the server keeps
  it prepared; its cost does not grow with the number of rows.

Statements run on the session's own connection, so they are part of the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from bastion.clock import as_utc
from bastion.store.schema import Moment

Convert = Callable[[Any], Any]
SQLITE_ROWS_PER_STATEMENT = 500
SQLITE_MAX_VARIABLES = 32_766  # SQLite's limit since 3.32; older ones allow 999 (see _sqlite_rows)


def sqlite_moment(value: Any) -> str | None:
    """A point in time as SQLAlchemy stores it on SQLite: UTC, no zone, microseconds always shown."""
    if value is None:
        return None
    return as_utc(value).isoformat(" ", "microseconds")[:26]


def _utc_or_none(value: Any) -> Any:
    return None if value is None else as_utc(value)


def _json_text(value: Any) -> str:
    return json.dumps(value)  # SQLAlchemy's JSON type serialises with json.dumps too (None → "null")


def _converter(dialect: str, table: Table, column: str) -> Convert | None:
    kind = table.c[column].type
    if isinstance(kind, Moment):
        return sqlite_moment if dialect == "sqlite" else _utc_or_none
    if isinstance(kind, JSON):
        return _json_text
    return None


@lru_cache(maxsize=128)
def _converters(dialect: str, table: Table, columns: tuple[str, ...]) -> tuple[Convert | None, ...]:
    return tuple(_converter(dialect, table, column) for column in columns)


def driver_rows(
    dialect: str, table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> list[tuple[Any, ...]]:
    """Each row's values (in `columns` order) as the driver takes them for this table's column types."""
    converters = _converters(dialect, table, columns)
    converted = [(i, c) for i, c in enumerate(converters) if c is not None]
    if not converted:
        return [tuple(row) for row in rows]
    out = []
    for row in rows:
        values = list(row)
        for i, convert in converted:
            values[i] = convert(values[i])
        out.append(tuple(values))
    return out


def _insert_sql(table: Table, columns: tuple[str, ...], source: str, key: str | None) -> str:
    """`INSERT INTO table (columns) <source>`, skipping rows whose `key` is stored when a key is given.

    Only names from the schema (`table.c` checks them) go into the text; values are always bound.
    """
    names = ", ".join(f'"{table.c[column].name}"' for column in columns)
    statement = " ".join(("INSERT INTO", f'"{table.name}"', f"({names})", source))
    if key is not None:
        statement += f' ON CONFLICT ("{table.c[key].name}") DO NOTHING RETURNING "{key}", "pk"'
    return statement


@lru_cache(maxsize=128)
def _sqlite_insert(table: Table, columns: tuple[str, ...], rows: int, key: str | None) -> str:
    one = "(" + ", ".join("?" * len(columns)) + ")"
    return _insert_sql(table, columns, "VALUES " + ", ".join([one] * rows), key)


@lru_cache(maxsize=128)
def _postgresql_insert(table: Table, columns: tuple[str, ...], key: str | None) -> str:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    # %b: arrays go over in binary; as text, psycopg escapes every element with a regular expression.
    arrays = ", ".join(f"%b::{table.c[column].type.compile(dialect=dialect)}[]" for column in columns)
    return _insert_sql(table, columns, "".join(("SELECT * FROM unnest(", arrays, ")")), key)


def _sqlite_rows(session: Session, columns: int) -> int:
    """Rows per multi-row statement: as many as fit the driver's limit of bound values, at most 500."""
    limit = SQLITE_MAX_VARIABLES
    driver = session.connection().connection.driver_connection
    getlimit = getattr(driver, "getlimit", None)
    if getlimit is not None:
        import sqlite3

        limit = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(SQLITE_ROWS_PER_STATEMENT, limit // columns))


def insert_rows(
    session: Session,
    table: Table,
    columns: tuple[str, ...],
    rows: Sequence[Sequence[Any]],
    *,
    skip_existing: str | None = None,
) -> list[tuple[Any, int]]:
    """Insert `rows` (values in `columns` order) in the session's transaction.

    With `skip_existing` (a unique column), rows whose value there is already stored are skipped
    (`ON CONFLICT DO NOTHING`) and the (key, pk) of each row inserted is returned; without it, every
    row is inserted and nothing is returned.
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    values = driver_rows(dialect, table, columns, rows)
    connection = session.connection()
    if dialect == "postgresql":
        arrays = tuple(list(column) for column in zip(*values, strict=True))
        result = connection.exec_driver_sql(_postgresql_insert(table, columns, skip_existing), arrays)
        return [(k, int(pk)) for k, pk in result] if skip_existing is not None else []
    if dialect != "sqlite":
        raise NotImplementedError(dialect)  # pragma: no cover - the store supports these two
    if skip_existing is None:
        connection.exec_driver_sql(_sqlite_insert(table, columns, 1, None), values)
        return []
    created: list[tuple[Any, int]] = []
    step = _sqlite_rows(session, len(columns))
    for start in range(0, len(values), step):
        part = values[start : start + step]
        flat = tuple(value for row in part for value in row)
        result = connection.exec_driver_sql(_sqlite_insert(table, columns, len(part), skip_existing), flat)
        created.extend((k, int(pk)) for k, pk in result)
    return created
