"""Idempotent inserts: rows whose unique key already exists are skipped, not errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bastion.store.bulk import driver_cursor, insert_rows
from bastion.store.schema import Base


def table_of(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


@lru_cache(maxsize=64)
def insert_ignoring_duplicates(dialect: str, model: type[Base], key: tuple[str, ...] | None = None) -> Any:
    """`INSERT … ON CONFLICT DO NOTHING` for this dialect (on `key`, or any unique constraint).

    Built once per shape: a statement object that is reused is compiled once.
    """
    table = table_of(model)
    if dialect == "postgresql":
        return postgresql_insert(table).on_conflict_do_nothing(index_elements=key)
    if dialect == "sqlite":
        return sqlite_insert(table).on_conflict_do_nothing(index_elements=key)
    raise NotImplementedError(dialect)  # pragma: no cover - the store supports these two


def insert_new(
    session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]], *, key: str = "external_id"
) -> dict[str, int]:
    """Insert the rows whose `key` is not stored yet; returns {key: pk} of the rows this call created.

    Every row has the same fields. Many rows go through one bulk statement (see `bastion.store.bulk`).
    """
    if not rows:
        return {}
    columns = tuple(rows[0])
    values = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    created = insert_rows(session, table_of(model), columns, [values(row) for row in rows], skip_existing=key)
    return {str(k): pk for k, pk in created}


def insert_new_rows(
    session: Session,
    model: type[Base],
    columns: tuple[str, ...],
    rows: Sequence[Sequence[Any]],
    *,
    key: int = 0,
    converted: bool = False,
) -> dict[str, int]:
    """`insert_new` for rows given as values in `columns` order; `key` is the unique column's position.

    With `converted`, the values are already what the driver takes (see `bulk.driver_converter`).
    """
    if not rows:
        return {}
    created = insert_rows(session, table_of(model), columns, rows, skip_existing=columns[key], converted=converted)
    return {str(k): pk for k, pk in created}


def existing_keys(
    session: Session, model: type[Base], keys: Sequence[str], *, key: str = "external_id"
) -> dict[str, int]:
    """{key: pk} of the given keys that are already stored."""
    unique = list(dict.fromkeys(keys))
    if not unique:
        return {}
    table = table_of(model)
    cursor = driver_cursor(session)  # rows read by the driver: SQLAlchemy's results cost more per row
    try:
        if session.get_bind().dialect.name == "postgresql":  # one short statement, the keys as one array
            cursor.execute(_any_of(table, key), (unique,))
            return {str(k): int(pk) for k, pk in cursor.fetchall()}
        found: dict[str, int] = {}
        for start in range(0, len(unique), 900):  # stay under SQLite's bound-parameter limit of old
            chunk = unique[start : start + 900]
            cursor.execute(_in_list(table, key, len(chunk)), chunk)
            found.update((str(k), int(pk)) for k, pk in cursor.fetchall())
        return found
    finally:
        cursor.close()


@lru_cache(maxsize=64)
def _any_of(table: Table, key: str) -> str:
    column = table.c[key]
    where = f'"{column.name}" = ANY(%b::text[])'
    return " ".join(("SELECT", f'"{column.name}", "pk" FROM', f'"{table.name}"', "WHERE", where))


@lru_cache(maxsize=64)
def _in_list(table: Table, key: str, size: int) -> str:
    column = table.c[key]
    where = f'"{column.name}" IN (' + ", ".join("?" * size) + ")"
    return " ".join(("SELECT", f'"{column.name}", "pk" FROM', f'"{table.name}"', "WHERE", where))
