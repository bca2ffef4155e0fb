"""SQL console benchmark: what the console's safety costs per query, against DuckDB reading the store directly.

    .venv/bin/python bench/sql.py [--scale small] [--days 14] [--runs 5] [--postgres-url URL]

A fresh SQLite store (or the PostgreSQL database at --postgres-url, which must be empty) gets a simulated
platform through the ingest path, not timed. Then each query below is run both ways, alternating, `--runs`
times each, in this one process:

- **console** (ours): `bastion.insight.sql.engine.run_checked` after `check_query`: DuckDB's parser check,
  the views the query names read through the scanner into Arrow (private fields removed), copied into a
  fresh locked in-memory DuckDB, the query run there and its rows made JSON-ready;
- **direct** (the baseline, unsafe): one DuckDB with the scanner, the store attached read-only, the same
  query over the store's own tables, rows fetched as they come.

Prints, per query, the median wall and CPU milliseconds of each way and the ratio (console / direct),
and checks that both ways return the same rows. Exits 1 when they differ.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from bastion.clock import FrozenClock
from bastion.insight.sql.console import private_fields
from bastion.insight.sql.engine import _extension, _plain, run_checked, store_location
from bastion.insight.sql.guard import check_query
from bastion.setup import initialise
from bastion.simulate import SimulationSpec, World
from bastion.simulate.spec import Scale
from bastion.simulate.writer import write_platform
from bastion.store.database import Database

START = datetime(2026, 10, 1, tzinfo=UTC)
# (name, the console's query over views, the same over the store's tables)
QUERIES = [
    (
        "content per country",
        "SELECT country, count(*) AS n FROM content GROUP BY country ORDER BY country",
        "SELECT country, count(*) AS n FROM store.content_items GROUP BY country ORDER BY country",
    ),
    (
        "events per kind",
        "SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY kind",
        "SELECT kind, count(*) AS n FROM store.events GROUP BY kind ORDER BY kind",
    ),
    (
        "views per actor country (3 views joined)",
        "SELECT a.country, sum(v.weight) AS w FROM views v JOIN content c ON c.pk = v.content_pk"
        " JOIN actors a ON a.pk = c.actor_pk GROUP BY a.country ORDER BY a.country",
        "SELECT a.country, sum(v.weight) AS w FROM store.views v JOIN store.content_items c ON c.pk = v.content_pk"
        " JOIN store.actors a ON a.pk = c.actor_pk GROUP BY a.country ORDER BY a.country",
    ),
    (
        "1,000 content rows with their text",
        "SELECT pk, text FROM content ORDER BY pk LIMIT 1000",
        "SELECT pk, text FROM store.content_items ORDER BY pk LIMIT 1000",
    ),
]


def timed(call: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    answer = call()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, answer


def direct(database: Database, sql: str) -> list[tuple[Any, ...]]:
    location = store_location(database.url)
    connection = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        connection.execute("SET TimeZone = 'UTC'")
        package = (
            "duckdb_extension_sqlite_scanner" if location.dialect == "sqlite" else "duckdb_extension_postgres_scanner"
        )
        connection.load_extension(
            _extension(package, "sqlite_scanner" if location.dialect == "sqlite" else "postgres_scanner")
        )
        quoted = "'" + location.target.replace("'", "''") + "'"
        connection.execute(f"ATTACH {quoted} AS store (TYPE {location.dialect}, READ_ONLY)")
        return [tuple(_plain(v, False) for v in row) for row in connection.execute(sql).fetchall()]
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small", choices=[s.value for s in Scale])
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bastion-bench-sql-"))
    database = Database(args.postgres_url or f"sqlite:///{folder / 'store.db'}")
    clock = FrozenClock(START)
    initialise(database, clock)
    spec = SimulationSpec(seed=7, scale=Scale(args.scale), days=args.days)
    written = write_platform(database, World(spec).records(), clock=clock)
    with database.transaction() as session:
        private = private_fields(session)
    print(f"store: {database.dialect}, {written.written} (events: one per actor and content item)")
    print(f"{'query':44} {'console ms':>11} {'cpu':>7} {'direct ms':>10} {'cpu':>7} {'ratio':>6}")
    failed = False
    for name, ours_sql, direct_sql in QUERIES:
        ours_wall, ours_cpu, direct_wall, direct_cpu = [], [], [], []
        for _ in range(args.runs):
            wall, cpu, ours = timed(
                lambda sql=ours_sql: run_checked(check_query(sql), store_location(database.url), private_fields=private)
            )
            ours_wall.append(wall)
            ours_cpu.append(cpu)
            wall, cpu, theirs = timed(lambda sql=direct_sql: direct(database, sql))
            direct_wall.append(wall)
            direct_cpu.append(cpu)
        if [tuple(row) for row in ours.rows] != theirs:
            print(f"FAIL {name}: the two ways differ")
            failed = True
        ow, oc, dw, dc = (statistics.median(v) for v in (ours_wall, ours_cpu, direct_wall, direct_cpu))
        print(f"{name:44} {ow:11.1f} {oc:7.1f} {dw:10.1f} {dc:7.1f} {oc / dc:6.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
