"""The metrics layer: each metric one named Ibis expression, run on whichever engine holds the data.

The contract, for the dashboards, the weekly report and the recommendations that call it:

    from bastion.insight.metrics import METRICS, compute, open_store

    with open_store(database) as backend:        # or open_parquet(folder), open_spark(folder)
        frame = compute(backend, ["content_actioned", "prevalence"], by=["policy"], grain="week",
                        since=start, until=end)

- `METRICS`: name -> `Metric` (title, description, unit, kind, the segments and grains it supports,
  the columns it adds). `ENFORCEMENT_REPORT`: the names of Meta's enforcement-report set.
- `shared_store(database)`: the store's backend kept open for the process (pages that refresh).
- `compute(backend, metrics, by=(), grain=None, since=None, until=None, *, where=None, at=None,
  sla_hours=None) -> pandas.DataFrame`: one row
  per segment, the key columns first (`period`, a UTC timestamp, when a grain is asked; then each
  segment of `by`, as text, `"(none)"` where the row has no value), then each metric's columns. Counts
  absent from a segment are 0; a rate or quantity with nothing to measure is NaN. The window is
  `since` <= moment < `until`. Unknown metrics, segments a metric cannot be split by, and grains it
  has no meaning for raise `InvalidInput` naming each.
  `where` narrows by segments, `at` is the moment of a count at one moment (the backlog then).
- `DIMENSIONS`: policy, country, language, surface, queue, vendor, reviewer, status, age, sla_state;
  `GRAINS`: hour, day, week, month.

Definitions are in `definitions.py` (and docs/insight.md), the relations they count in
`relations.py`, the tables' one schema on every backend in `tables.py`, the engines in `backends.py`.
"""

from bastion.insight.metrics.backends import (
    MetricsBackend,
    open_parquet,
    open_spark,
    open_store,
    release_shared,
    shared_store,
    spark_session,
)
from bastion.insight.metrics.compute import check_request, compute, metric_rows
from bastion.insight.metrics.definitions import DIMENSIONS, ENFORCEMENT_REPORT, GRAINS, METRICS, NONE, Metric

__all__ = [
    "DIMENSIONS",
    "ENFORCEMENT_REPORT",
    "GRAINS",
    "METRICS",
    "NONE",
    "Metric",
    "MetricsBackend",
    "check_request",
    "compute",
    "metric_rows",
    "open_parquet",
    "open_spark",
    "open_store",
    "release_shared",
    "shared_store",
    "spark_session",
]
