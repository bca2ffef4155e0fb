"""Ratings: every judgement the quality report reads, as one relation.

One row is one label given to one item by one rater:

| column        | type             | what it is |
|---------------|------------------|------------|
| `item`        | int64            | the subject rated: a content item's pk (an account: minus its actor pk) |
| `rater`       | string           | a Bastion user's name, or an external rater's (imported) |
| `vendor`      | string, null     | the rater's vendor; null in-house |
| `queue`       | string, null     | the queue of the job decided (null: an import without one) |
| `label`       | string           | a policy id, "none", or a category name used consistently |
| `decided_at`  | timestamp (UTC)  | when |
| `source`      | string           | a `RatingSource`: review, qa, golden, import, calibration |
| `reference`   | string, null     | the known right answer (see below), or null |
| `decision_pk` | int64, null      | Bastion's decision (null for imports and calibration answers) |
| `overturned`  | bool, null       | overturned on appeal; false: appealed and upheld; null: never appealed |

`reference`: for a golden job, the golden item's answer ("none" for no violation); for a decision
sampled for QA, the label its blind QA re-review gave.

Withdrawn decisions (taken back within the undo window) and appeal verdicts are not ratings.

`load_ratings` reads them from the store in one query. On SQLite, DuckDB reads the store's file
through its SQLite scanner (attached read-only, the extension loaded from the PyPI package
`duckdb-extension-sqlite-scanner`: DuckDB cannot download extensions here) and hands Arrow over
without a Python object per row; on PostgreSQL the same query is streamed into Arrow in batches.
"""

from __future__ import annotations

from datetime import datetime
from importlib.util import find_spec
from pathlib import Path

import duckdb
import pyarrow as pa

from bastion.clock import as_utc
from bastion.errors import BastionError, InvalidInput
from bastion.store.database import Database

RATINGS_SCHEMA = pa.schema(
    [
        ("item", pa.int64()),
        ("rater", pa.string()),
        ("vendor", pa.string()),
        ("queue", pa.string()),
        ("label", pa.string()),
        ("decided_at", pa.timestamp("us", tz="UTC")),
        ("source", pa.string()),
        ("reference", pa.string()),
        ("decision_pk", pa.int64()),
        ("overturned", pa.bool_()),
    ]
)

STREAM_ROWS = 65_536  # rows per Arrow batch read from PostgreSQL

# Every rating, one query. `{p}since` and `{p}queue` are the parameters; `{since}`/`{queue}` the filters
# that use them (empty when not asked for). Booleans are compared as integers: SQLite keeps 0 and 1.
_RATINGS_SQL = """
WITH overturns AS (
    SELECT ea.decision_pk, MAX(CASE WHEN ap.status = 'overturned' THEN 1 ELSE 0 END) AS overturned
    FROM enforcement_actions ea JOIN appeals ap ON ap.action_pk = ea.pk
    WHERE ea.decision_pk IS NOT NULL AND ap.status IN ('overturned', 'upheld')
    GROUP BY ea.decision_pk
),
qa_answers AS (
    SELECT s.decision_pk, COALESCE(d.policy_id, 'none') AS label
    FROM qa_samples s JOIN decisions d ON d.job_pk = s.job_pk
    WHERE CAST(d.final AS INTEGER) = 1 AND d.withdrawn_at IS NULL
)
SELECT
    CASE WHEN j.subject_type = 'actor' THEN -j.subject_pk ELSE j.subject_pk END AS item,
    u.name AS rater,
    u.vendor AS vendor,
    j.queue AS queue,
    COALESCE(d.policy_id, 'none') AS label,
    d.decided_at AS decided_at,
    CASE WHEN j.golden_pk IS NOT NULL THEN 'golden' WHEN j.kind = 'qa' THEN 'qa' ELSE 'review' END AS source,
    CASE WHEN j.golden_pk IS NOT NULL THEN COALESCE(g.policy_id, 'none')
         WHEN j.kind = 'qa' THEN NULL
         ELSE q.label END AS reference,
    d.pk AS decision_pk,
    CASE o.overturned WHEN 1 THEN TRUE WHEN 0 THEN FALSE END AS overturned
FROM decisions d
JOIN jobs j ON j.pk = d.job_pk
JOIN users u ON u.pk = d.reviewer_pk
LEFT JOIN golden_items g ON g.pk = j.golden_pk
LEFT JOIN qa_answers q ON q.decision_pk = d.pk
LEFT JOIN overturns o ON o.decision_pk = d.pk
WHERE d.withdrawn_at IS NULL AND j.kind <> 'appeal' {since_d} {queue_j}
UNION ALL
SELECT i.content_pk, r.name, r.vendor, i.queue, i.label, i.decided_at, 'import', NULL, NULL, NULL
FROM imported_decisions i JOIN raters r ON r.pk = i.rater_pk
WHERE 1 = 1 {since_i} {queue_i}
UNION ALL
SELECT ci.content_pk, u.name, u.vendor, NULL, a.label, a.answered_at, 'calibration', NULL, NULL, NULL
FROM calibration_answers a
JOIN calibration_items ci ON ci.pk = a.item_pk
JOIN users u ON u.pk = a.user_pk
WHERE {calibration} {since_a}
"""


def ratings_sql(dialect: str, *, since: bool, queue: bool) -> str:
    """The ratings query for `dialect` ("duckdb", "postgresql", or "sqlite" itself), filtered by time and
    queue when asked."""
    mark, end = {"duckdb": ("$", ""), "sqlite": (":", ""), "postgresql": ("%(", ")s")}[dialect]

    def at_least(column: str) -> str:
        return f"AND {column} >= {mark}since{end}" if since else ""

    def in_queue(column: str) -> str:
        return f"AND {column} = {mark}queue{end}" if queue else ""

    return _RATINGS_SQL.format(
        since_d=at_least("d.decided_at"),
        queue_j=in_queue("j.queue"),
        since_i=at_least("i.decided_at"),
        queue_i=in_queue("i.queue"),
        # Calibration answers belong to no queue: a report on one queue leaves them out.
        calibration="1 = 0" if queue else "1 = 1",
        since_a=at_least("a.answered_at"),
    )


def load_ratings(database: Database, *, since: datetime | None = None, queue: str | None = None) -> pa.Table:
    """Every rating in the store (`RATINGS_SCHEMA`), decided at or after `since`, in `queue` when given."""
    if since is not None:
        since = as_utc(since)
    if database.dialect == "sqlite":
        return _from_sqlite(sqlite_path(database), since, queue)
    if database.dialect == "postgresql":
        return _from_postgresql(database, since, queue)
    raise InvalidInput(f"cannot read ratings from a {database.dialect} store")  # pragma: no cover


def sqlite_path(database: Database) -> str:
    path = database.engine.url.database
    if not path or path == ":memory:":
        raise InvalidInput("the ratings are read from a SQLite store's file; this store has none")
    return path


def _parameters(since: datetime | None, queue: str | None) -> dict[str, object]:
    found: dict[str, object] = {}
    if since is not None:
        found["since"] = since
    if queue is not None:
        found["queue"] = queue
    return found


def duckdb_with_sqlite_scanner() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the SQLite scanner loaded from its PyPI package (never downloaded)."""
    package = find_spec("duckdb_extension_sqlite_scanner")
    if package is None or package.origin is None:
        raise BastionError("the package duckdb-extension-sqlite-scanner is not installed")
    folder = Path(package.origin).parent / "extensions" / f"v{duckdb.__version__}"
    connection = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    connection.execute("SET enable_progress_bar = false")  # a library call prints nothing on the caller's terminal
    connection.load_extension(str(folder / "sqlite_scanner.duckdb_extension"))
    return connection


def _from_sqlite(path: str, since: datetime | None, queue: str | None) -> pa.Table:
    connection = duckdb_with_sqlite_scanner()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        # ATTACH takes no parameter: the path goes in as a quoted string literal.
        quoted = "'" + path.replace("'", "''") + "'"
        connection.execute(f"ATTACH {quoted} AS store (TYPE sqlite, READ_ONLY)")
        connection.execute("USE store")
        # The store's times are UTC without a zone (see `bastion.store.bulk.sqlite_moment`): compare alike.
        parameters = _parameters(since.replace(tzinfo=None) if since else None, queue)
        sql = ratings_sql("duckdb", since=since is not None, queue=queue is not None)
        table = connection.execute(sql, parameters).to_arrow_table()
    finally:
        connection.close()
    return _as_ratings(table)


def _from_postgresql(database: Database, since: datetime | None, queue: str | None) -> pa.Table:
    sql = ratings_sql("postgresql", since=since is not None, queue=queue is not None)
    batches: list[pa.RecordBatch] = []
    with database.engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor(name="bastion_ratings") as cursor:  # server-side: rows come in batches
            cursor.itersize = STREAM_ROWS
            cursor.execute(sql, _parameters(since, queue))
            while rows := cursor.fetchmany(STREAM_ROWS):
                columns = list(zip(*rows, strict=True))
                arrays = [pa.array(column, type=f.type) for column, f in zip(columns, RATINGS_SCHEMA, strict=True)]
                batches.append(pa.RecordBatch.from_arrays(arrays, schema=RATINGS_SCHEMA))
        connection.rollback()
    return pa.Table.from_batches(batches, schema=RATINGS_SCHEMA)


def _as_ratings(table: pa.Table) -> pa.Table:
    """The query's columns in `RATINGS_SCHEMA`'s names and types (times are UTC: given the zone)."""
    columns = []
    for name, column in zip(RATINGS_SCHEMA.names, table.columns, strict=True):
        kind = RATINGS_SCHEMA.field(name).type
        if pa.types.is_timestamp(column.type) and column.type.tz is None:
            column = column.cast(pa.timestamp("us")).cast(kind)
        columns.append(column.cast(kind))
    return pa.Table.from_arrays(columns, schema=RATINGS_SCHEMA)
