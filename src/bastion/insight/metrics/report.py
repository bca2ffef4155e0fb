"""Metrics for people and scripts: one service call behind `bastion metrics` and `GET /api/v1/metrics`.

`metrics_table` opens the store's engine, computes, and returns plain rows (periods as ISO times,
missing values as None) with the definitions of the metrics asked for, so the CLI and the API only
translate. No metric named: the enforcement-report set.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from bastion.insight.metrics.backends import open_store
from bastion.insight.metrics.compute import check_request, compute
from bastion.insight.metrics.definitions import ENFORCEMENT_REPORT, GRAINS, Metric, Slice, segment_names
from bastion.store.database import Database

Cell = str | int | float | None


@dataclass(frozen=True)
class MetricInfo:
    name: str
    title: str
    description: str
    unit: str
    kind: str
    columns: list[str]
    dimensions: list[str]
    grains: list[str]

    @classmethod
    def of(cls, metric: Metric) -> MetricInfo:
        return cls(
            metric.name,
            metric.title,
            metric.description,
            metric.unit,
            metric.kind,
            list(metric.columns),
            sorted(metric.dimensions),
            [g for g in GRAINS if g in metric.grains],
        )


@dataclass(frozen=True)
class MetricsTable:
    metrics: list[MetricInfo]
    by: list[str]
    grain: str | None
    since: datetime | None
    until: datetime | None
    columns: list[str]  # the key columns, then each metric's
    rows: list[dict[str, Cell]] = field(default_factory=list)


def metrics_table(
    database: Database,
    names: Sequence[str] = (),
    by: Sequence[str] = (),
    grain: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> MetricsTable:
    chosen = list(names) or list(ENFORCEMENT_REPORT)
    metrics = check_request(chosen, by, grain, since, until)  # refused before the store is opened
    with open_store(database) as backend:
        frame = compute(backend, chosen, by, grain, since, until)
    keys = segment_names(Slice(tuple(by), grain))
    return MetricsTable(
        metrics=[MetricInfo.of(m) for m in metrics],
        by=list(by),
        grain=grain,
        since=since,
        until=until,
        columns=list(frame.columns),
        rows=[_row(record, keys) for record in frame.to_dict(orient="records")],
    )


def _row(record: dict[str, object], keys: list[str]) -> dict[str, Cell]:
    row: dict[str, Cell] = {}
    for name, value in record.items():
        if name == "period" and isinstance(value, pd.Timestamp):
            row[name] = value.isoformat()
        elif name in keys:
            row[name] = None if value is None else str(value)
        elif isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value)):
            row[name] = value
        else:
            row[name] = None
    return row
