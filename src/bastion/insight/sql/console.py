"""The SQL console's service: check a query, run it over the documented views, record it in the audit log.

Every query asked for is recorded as `sql.run` (its text, its row count, whether it was cut, how long
it took) or, when refused or failed, as `sql.refused` with the reason: never its results. The record is
written after DuckDB has finished with the store, in a transaction of its own, so a SQLite store is
never read by DuckDB while Bastion holds its write lock.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.errors import InvalidInput
from bastion.insight.sql.engine import ROW_LIMIT, TIME_LIMIT_SECONDS, QueryResult, run_checked, store_location
from bastion.insight.sql.guard import check_query
from bastion.store.database import Database
from bastion.store.schema import ReviewConfig as ReviewConfigRow

AUDITED_SQL_CHARS = 4_000


def run_query(
    database: Database,
    sql: str,
    *,
    principal: str,
    now: datetime,
    row_limit: int = ROW_LIMIT,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> QueryResult:
    """Run one read-only query for `principal`; `InvalidInput` (recorded too) when it is refused or fails."""
    with database.transaction() as session:
        private = private_fields(session)
    try:
        result = run_checked(
            check_query(sql),
            store_location(database.url),
            private_fields=private,
            row_limit=row_limit,
            time_limit=time_limit,
        )
    except InvalidInput as error:
        with database.transaction() as session:
            _record(session, principal, "sql.refused", sql, now, {"reason": error.message})
        raise
    with database.transaction() as session:
        details = {"rows": len(result.rows), "truncated": result.truncated, "elapsed_ms": result.elapsed_ms}
        _record(session, principal, "sql.run", sql, now, details)
    return result


def private_fields(session: Session) -> tuple[str, ...]:
    """Every actor attribute any version of the review configuration names private: the console hides
    them from everyone, since a query's answer can travel anywhere."""
    names: set[str] = set()
    for document in session.scalars(select(ReviewConfigRow.document)):
        names.update(str(name) for name in (document or {}).get("private_fields", ()))
    return tuple(sorted(names))


def _record(session: Session, principal: str, action: str, sql: str, now: datetime, details: dict[str, Any]) -> None:
    text = sql.strip()
    shown = text if len(text) <= AUDITED_SQL_CHARS else text[:AUDITED_SQL_CHARS] + "…"
    details = {"sql": shown} | details
    audit_log.record(session, principal=principal, action=action, target="sql", at=now, details=details)


def result_csv(result: QueryResult) -> str:
    """The result as CSV with a header row; JSON values written as JSON, missing ones as empty cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in result.columns])
    writer.writerows(_csv_row(row) for row in result.rows)
    return buffer.getvalue()


def _csv_row(row: Iterable[Any]) -> list[str]:
    cells = []
    for value in row:
        if value is None:
            cells.append("")
        elif isinstance(value, dict | list):
            cells.append(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
        else:
            cells.append(_spreadsheet_safe(str(value)))
    return cells


def _spreadsheet_safe(text: str) -> str:
    """Content is hostile: a cell that a spreadsheet would read as a formula gets a leading quote."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
