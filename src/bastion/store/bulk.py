"""Writing many rows at once, below SQLAlchemy's per-value processing.

For a chunk of thousands of rows, SQLAlchemy's work on each bound value (the UTC type, SQLite's
datetime strings, JSON) costs more than the database's own work. On PostgreSQL its multi-row insert
is also one statement with a placeholder per value, which psycopg parses again on every call. Here
each value is converted once, by a converter chosen per column, to exactly what SQLAlchemy would
have sent, and a chunk travels as:

- SQLite: one `executemany` of a prepared single-row insert (a multi-row `VALUES … RETURNING` costs
  SQLite half as much again); the keys created are read back by range, above the largest before;
- PostgreSQL: one `INSERT … SELECT … FROM unnest(array, array, …)` with one array per column. The
  statement is short and the same for every chunk, so psycopg parses it once and the server keeps
  it prepared. From `POSTGRESQL_COPY_ROWS` rows on, `COPY` instead (see `_postgresql_copy`).

Statements run on the session's own connection, so they are part of the caller's transaction.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from bastion.clock import as_utc
from bastion.store.schema import Moment

Convert = Callable[[Any], Any]
# From this many rows on, PostgreSQL gets rows by COPY: a round trip or two more than one statement,
# but no array for psycopg to build element by element in Python.
POSTGRESQL_COPY_ROWS = 200


def sqlite_moment(value: datetime | None) -> str | None:
    """A point in time as SQLAlchemy stores it on SQLite: UTC, no zone, microseconds always shown."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = as_utc(value)
    return value.isoformat(" ", "microseconds")[:26]


def _utc_or_none(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is UTC:
        return value
    return as_utc(value)


class JsonText(str):
    """A value for a JSON column already written as text, exactly as `json.dumps` writes it: stored as is."""

    __slots__ = ()


def _json_text(value: Any) -> str:
    if type(value) is JsonText:
        return str(value)
    return json.dumps(value)  # SQLAlchemy's JSON type serialises with json.dumps too (None → "null")


def _converter(dialect: str, table: Table, column: str) -> Convert | None:
    kind = table.c[column].type
    if isinstance(kind, Moment):
        return sqlite_moment if dialect == "sqlite" else _utc_or_none
    if isinstance(kind, JSON):
        return _json_text
    return None


def driver_converter(dialect: str, table: Table, column: str) -> Convert:
    """What turns one of `column`'s values into what the driver takes, as `insert_rows` converts it.

    For callers that convert rows themselves (`insert_rows(…, converted=True)`): a value shared by
    many rows (a time, say) is then converted once and the rows go to the driver as they are.
    """
    return _converter(dialect, table, column) or _as_is


def _as_is(value: Any) -> Any:
    return value


@lru_cache(maxsize=128)
def _converters(dialect: str, table: Table, columns: tuple[str, ...]) -> tuple[Convert | None, ...]:
    return tuple(_converter(dialect, table, column) for column in columns)


def driver_columns(
    dialect: str, table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> list[list[Any]]:
    """The rows' values column by column (in `columns` order), as the driver takes them for each column's type."""
    values = [list(column) for column in zip(*rows, strict=True)]
    for i, convert in enumerate(_converters(dialect, table, columns)):
        if convert is not None:
            values[i] = _converted(convert, values[i])
    return values


def _converted(convert: Convert, column: list[Any]) -> list[Any]:
    if convert is not sqlite_moment:
        return [convert(value) for value in column]
    # Formatting a time is most of the conversion's cost, and an import's rows share many: every row
    # of a chunk was received at the same time, and an item's event happened when the item was made.
    # Equal times (the same instant) are stored as the same text, so they are formatted once.
    if column and column.count(column[0]) == len(column):  # one time for every row (when received, say)
        return [convert(column[0])] * len(column)
    moments = _sqlite_moments
    if len(moments) > MOMENTS_KEPT:
        moments.clear()
    converted = []
    for value in column:
        stored = moments.get(value, _MISSING)
        if stored is _MISSING:
            stored = moments[value] = convert(value)
        converted.append(stored)
    return converted


MOMENTS_KEPT = 20_000  # times formatted for SQLite, kept for the next insert (an item's event, say)
_sqlite_moments: dict[datetime | None, str | None] = {}
_MISSING = object()


def _insert_sql(table: Table, columns: tuple[str, ...], source: str, key: str | None, *, returning: bool = True) -> str:
    """`INSERT INTO table (columns) <source>`, skipping rows whose `key` is stored when a key is given.

    Only names from the schema (`table.c` checks them) go into the text; values are always bound.
    """
    names = ", ".join(f'"{table.c[column].name}"' for column in columns)
    statement = " ".join(("INSERT INTO", f'"{table.name}"', f"({names})", source))
    if key is not None:
        statement += f' ON CONFLICT ("{table.c[key].name}") DO NOTHING'
        if returning:
            statement += f' RETURNING "{key}", "pk"'
    return statement


@lru_cache(maxsize=128)
def _sqlite_insert(table: Table, columns: tuple[str, ...], key: str | None) -> str:
    return _insert_sql(table, columns, "VALUES (" + ", ".join("?" * len(columns)) + ")", key, returning=False)


@lru_cache(maxsize=128)
def _sqlite_range(table: Table, key: str) -> tuple[str, str]:
    """The largest key before an insert, and the (key, pk) of the rows above a given key after it."""
    pk, name = table.c.pk.name, table.c[key].name
    return (
        " ".join(("SELECT max(", f'"{pk}"', ") FROM", f'"{table.name}"')),
        " ".join(("SELECT", f'"{name}", "{pk}"', "FROM", f'"{table.name}"', "WHERE", f'"{pk}"', "> ?")),
    )


@lru_cache(maxsize=128)
def _postgresql_insert(table: Table, columns: tuple[str, ...], key: str | None) -> str:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    # %b: arrays go over in binary; as text, psycopg escapes every element with a regular expression.
    arrays = ", ".join(f"%b::{table.c[column].type.compile(dialect=dialect)}[]" for column in columns)
    return _insert_sql(table, columns, "".join(("SELECT * FROM unnest(", arrays, ")")), key)


def _postgresql_copy(
    session: Session, table: Table, columns: tuple[str, ...], rows: Iterable[Sequence[Any]], key: str | None
) -> list[tuple[Any, int]]:
    """`COPY … FROM STDIN`: psycopg formats the rows in C, and the server parses no SQL per row.

    Rows that need no conflict check are copied straight into the table. The others are copied into
    a temporary staging table of this connection (emptied at every commit), then moved by one
    `INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`, which also empties it.
    """
    create, copy_into, move = _postgresql_copy_sql(table, columns, key)
    with driver_cursor(session) as cursor:  # a psycopg cursor
        if key is not None:
            rows = rows if isinstance(rows, Sequence) else list(rows)
            created = _postgresql_copy_new(cursor, table, columns, rows, key)
            if created is not None:
                return created
        if create:
            cursor.execute(create)
        with cursor.copy(copy_into) as copy:
            for row in rows:
                copy.write_row(row)
        if not move:
            return []
        cursor.execute(move)
        return [(k, int(pk)) for k, pk in cursor.fetchall()]


def _postgresql_copy_new(
    cursor: Any, table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]], key: str
) -> list[tuple[Any, int]] | None:
    """The usual case of an import, every row new: keys drawn from the table's sequence, rows copied
    straight into the table (no staging table to fill and empty, no RETURNING). If a row's `key` is
    already stored (a rerun, a repeated row, another writer first), the copy is undone back to a
    savepoint and None says so: the caller then goes the staging way, which skips such rows.
    """
    from psycopg.errors import UniqueViolation  # the driver of every PostgreSQL store

    copy_into, sequence_of = _postgresql_copy_new_sql(table, columns)
    cursor.execute(_DRAW_KEYS, (*sequence_of, len(rows)))
    keys = [pk for (pk,) in cursor.fetchall()]
    cursor.execute("SAVEPOINT bastion_bulk_copy")
    try:
        with cursor.copy(copy_into) as copy:
            for pk, row in zip(keys, rows, strict=True):
                copy.write_row((pk, *row))
    except UniqueViolation:
        cursor.execute("ROLLBACK TO SAVEPOINT bastion_bulk_copy")
        return None
    cursor.execute("RELEASE SAVEPOINT bastion_bulk_copy")
    position = columns.index(key)
    return [(row[position], pk) for pk, row in zip(keys, rows, strict=True)]


# N keys drawn from the sequence of a table's key column (its name quoted, and the column's, bound).
_DRAW_KEYS = (
    "WITH s AS (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq)"
    " SELECT nextval(s.seq) FROM s, generate_series(1, %s)"
)


@lru_cache(maxsize=128)
def _postgresql_copy_new_sql(table: Table, columns: tuple[str, ...]) -> tuple[str, tuple[str, str]]:
    """(copy rows with their keys into the table, the table and key column whose sequence gives them)."""
    pk, names = table.c.pk.name, ", ".join(f'"{table.c[column].name}"' for column in columns)
    return " ".join(("COPY", f'"{table.name}"', f'("{pk}", {names})', "FROM STDIN")), (f'"{table.name}"', pk)


@lru_cache(maxsize=128)
def _postgresql_copy_sql(table: Table, columns: tuple[str, ...], key: str | None) -> tuple[str, str, str]:
    """(create the staging table, copy into it or the table, move the new rows); no staging without a key."""
    names = ", ".join(f'"{table.c[column].name}"' for column in columns)
    if key is None:
        return "", " ".join(("COPY", f'"{table.name}"', f"({names})", "FROM STDIN")), ""
    # One staging table per table and set of columns, so two callers' column lists never meet.
    stage = f"bulk_{table.name}_{zlib.crc32(','.join(columns).encode()):08x}"
    create = " ".join(
        (
            *("CREATE TEMPORARY TABLE IF NOT EXISTS", f'"{stage}"', "ON COMMIT DELETE ROWS"),
            *("AS SELECT", names, "FROM", f'"{table.name}"', "WITH NO DATA"),
        )
    )
    staged = " ".join(("WITH staged AS (DELETE FROM", f'"{stage}"', "RETURNING", names, ")"))
    move = " ".join((staged, _insert_sql(table, columns, " ".join(("SELECT", names, "FROM staged")), key)))
    return create, " ".join(("COPY", f'"{stage}"', f"({names})", "FROM STDIN")), move


def insert_rows(
    session: Session,
    table: Table,
    columns: tuple[str, ...],
    rows: Sequence[Sequence[Any]],
    *,
    skip_existing: str | None = None,
    converted: bool = False,
) -> list[tuple[Any, int]]:
    """Insert `rows` (values in `columns` order) in the session's transaction.

    With `skip_existing` (a unique column), rows whose value there is already stored are skipped
    (`ON CONFLICT DO NOTHING`) and the (key, pk) of each row inserted is returned; without it, every
    row is inserted and nothing is returned. With `converted`, every value is already what the driver
    takes (see `driver_converter`) and the rows go to it as they are.
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    if converted:
        driver_rows: Iterable[Sequence[Any]] = rows
        values: list[list[Any]] | None = None
    else:
        values = driver_columns(dialect, table, columns, rows)
        driver_rows = zip(*values, strict=True)
    if dialect == "postgresql":
        if len(rows) >= POSTGRESQL_COPY_ROWS:
            return _postgresql_copy(session, table, columns, driver_rows, skip_existing)
        if values is None:
            values = [list(column) for column in zip(*rows, strict=True)]
        result = session.connection().exec_driver_sql(_postgresql_insert(table, columns, skip_existing), tuple(values))
        return [(k, int(pk)) for k, pk in result] if skip_existing is not None else []
    if dialect != "sqlite":
        raise NotImplementedError(dialect)  # pragma: no cover - the store supports these two
    # The driver's own cursor, on the session's connection (so in its transaction): SQLAlchemy's
    # result objects cost more per row read back than SQLite does to find it.
    cursor = driver_cursor(session)
    try:
        if skip_existing is None:
            cursor.executemany(_sqlite_insert(table, columns, None), driver_rows)
            return []
        # SQLite has one writer at a time and Bastion's transactions take the write lock when they
        # begin, so the rows above the largest key before this insert are the ones it created.
        # (`executemany` cannot return rows, and a multi-row VALUES with RETURNING costs SQLite more
        # than the lookup.)
        last, created = _sqlite_range(table, skip_existing)
        before = cursor.execute(last).fetchone()[0] or 0
        cursor.executemany(_sqlite_insert(table, columns, skip_existing), driver_rows)
        if cursor.rowcount == len(rows):
            # No row was skipped: SQLite gave each row the key one above the largest before it (a
            # rowid table without AUTOINCREMENT), in the order they were sent. No need to read them back.
            position = columns.index(skip_existing)
            return [(row[position], key) for key, row in enumerate(rows, start=before + 1)]
        stored: list[tuple[Any, int]] = cursor.execute(created, (before,)).fetchall()
        return stored
    finally:
        cursor.close()


def make_room_for_bulk_writes(session: Session) -> None:
    """Before writing thousands of rows in the session's transaction: on SQLite, a page cache to match.

    Each row also goes into indexes in no particular order (content by creation time and by actor),
    and these soon outgrow SQLite's default cache of 2 MB: every insert then reads pages again from
    the file. The larger cache is the connection's from then on (it grows only as pages are used).
    """
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")


SQLITE_BULK_CACHE_KIB = 32_768  # the page cache of a connection that wrote a bulk chunk, in KiB


def driver_cursor(session: Session) -> Any:
    """A cursor of the DB-API driver on the session's connection, so in the session's transaction."""
    return session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
