"""The store's tables as the metrics read them: the same columns and types on every backend.

A metric never reads a backend's table as it comes. SQLite keeps moments as text and booleans as
integers, PostgreSQL as `timestamptz` and `boolean`, a Parquet export as UTC timestamps, Spark as its
session's timestamps: `bind` selects the columns below from each table and casts them to one schema,
moments as UTC wall time without a zone, so every expression built on top compiles alike everywhere.

Only what the metrics need is bound: no text of content or reports, no secrets of users (their name
and vendor only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
from ibis.expr.types import Table

MOMENT = dt.Timestamp(scale=6)  # UTC, without a zone: every backend's session runs in UTC

# table -> (column, canonical type)
SCHEMAS: Mapping[str, Mapping[str, dt.DataType]] = {
    "content_items": {
        "pk": dt.int64,
        "actor_pk": dt.int64,
        "type": dt.string,
        "language": dt.string,
        "country": dt.string,
        "surface": dt.string,
        "created_at": MOMENT,
    },
    "views": {"pk": dt.int64, "content_pk": dt.int64, "viewed_at": MOMENT, "weight": dt.int64},
    "reports": {
        "pk": dt.int64,
        "content_pk": dt.int64,
        "reporter_id": dt.string,
        "reason": dt.string,
        "policy_id": dt.string,
        "created_at": MOMENT,
    },
    "jobs": {
        "pk": dt.int64,
        "queue": dt.string,
        "kind": dt.string,
        "subject_type": dt.string,
        "subject_pk": dt.int64,
        "status": dt.string,
        "policy_hint": dt.string,
        "language": dt.string,
        "country": dt.string,
        "surface": dt.string,
        "created_at": MOMENT,
        "sla_due_at": MOMENT,
        "decided_at": MOMENT,
        "golden_pk": dt.int64,
    },
    "decisions": {
        "pk": dt.int64,
        "job_pk": dt.int64,
        "reviewer_pk": dt.int64,
        "policy_id": dt.string,
        "action": dt.string,
        "seconds_spent": dt.float64,
        "decided_at": MOMENT,
        "final": dt.boolean,
        "withdrawn_at": MOMENT,
    },
    "enforcement_actions": {
        "pk": dt.int64,
        "subject_type": dt.string,
        "subject_pk": dt.int64,
        "action": dt.string,
        "policy_id": dt.string,
        "decision_pk": dt.int64,
        "reverses_pk": dt.int64,
        "reason": dt.string,
        "created_at": MOMENT,
        "reversed_at": MOMENT,
        "cancelled_at": MOMENT,
    },
    "appeals": {"pk": dt.int64, "action_pk": dt.int64, "filed_at": MOMENT, "status": dt.string},
    "users": {"pk": dt.int64, "name": dt.string, "vendor": dt.string},
}


@dataclass(frozen=True)
class StoreTables:
    """The bound tables of one backend, each with exactly the columns of `SCHEMAS`."""

    content_items: Table
    views: Table
    reports: Table
    jobs: Table
    decisions: Table
    enforcement_actions: Table
    appeals: Table
    users: Table


def bind(table_of: Callable[[str], Table]) -> StoreTables:
    """Every table of `SCHEMAS`, read with `table_of(name)` and cast to its canonical columns."""
    bound = {name: conform(table_of(name), schema) for name, schema in SCHEMAS.items()}
    return StoreTables(**bound)


def conform(table: Table, schema: Mapping[str, dt.DataType]) -> Table:
    """`table`'s columns of `schema`, in its order, each cast to its type (a no-op when it already is)."""
    columns = []
    for name, kind in schema.items():
        column = table[name]
        if column.type() != kind:
            # SQLite keeps booleans as 0 and 1
            column = column != 0 if kind.is_boolean() and column.type().is_numeric() else column.cast(kind)
        columns.append(column.name(name))
    return table.select(*columns)


def literal_moment(moment: object) -> ibis.Value:
    """A moment as a literal of the canonical type, for comparisons with bound columns."""
    return ibis.literal(moment, type=MOMENT)
