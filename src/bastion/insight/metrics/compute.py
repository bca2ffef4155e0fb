"""Run a set of metrics on one backend, split by segments and a time grain, into one pandas table.

Each metric's SQL is compiled once per backend kind and slice shape (`Slice.shape`: segments, grain,
filters, which moments are bound) and its moments bound as parameters: a page that refreshes asks
the same questions with a new "now", and compiling with Ibis costs far more than running the query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from bastion.errors import FieldError, InvalidInput
from bastion.insight.metrics.backends import MetricsBackend
from bastion.insight.metrics.definitions import (
    AT_SEGMENTS,
    DIMENSIONS,
    GRAINS,
    METRICS,
    Metric,
    Slice,
    segment_names,
    where_of,
)


def check_request(
    metrics: Sequence[str],
    by: Sequence[str] = (),
    grain: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    where: Mapping[str, str | Sequence[str]] | None = None,
    at: datetime | None = None,
) -> list[Metric]:
    """The metrics asked for, or one error naming every bad field and why (in Bastion's words)."""
    errors: list[FieldError] = []
    if not metrics:
        errors.append(FieldError("metrics", f"name at least one metric: {', '.join(METRICS)}"))
    chosen: list[Metric] = []
    for i, name in enumerate(metrics):
        metric = METRICS.get(name)
        if metric is None:
            errors.append(FieldError(f"metrics[{i}]", f"no metric named {name!r}"))
        elif metric not in chosen:
            chosen.append(metric)
    for i, dimension in enumerate(by):
        if dimension not in DIMENSIONS:
            errors.append(FieldError(f"by[{i}]", f"no segment named {dimension!r} (segments: {', '.join(DIMENSIONS)})"))
        elif list(by).count(dimension) > 1 and list(by).index(dimension) != i:
            errors.append(FieldError(f"by[{i}]", f"the segment {dimension!r} is named twice"))
        else:
            errors += [
                FieldError(f"by[{i}]", f"{m.name} cannot be split by {dimension}")
                for m in chosen
                if dimension not in m.dimensions
            ]
    if grain is not None:
        if grain not in GRAINS:
            errors.append(FieldError("grain", f"no time grain {grain!r}; known: {', '.join(GRAINS)}"))
        else:
            errors += [
                FieldError("grain", f"{m.name} is a count at one moment: it has no time grain")
                for m in chosen
                if grain not in m.grains
            ]
    for name, _ in where_of(where):
        if name not in DIMENSIONS and name != "job_policy":
            errors.append(FieldError(f"where.{name}", f"no segment named {name!r} to filter by"))
        else:
            errors += [
                FieldError(f"where.{name}", f"{m.name} cannot be filtered by {name}")
                for m in chosen
                if name not in m.filters
            ]
    if at is None:
        errors += [FieldError("at", f"{m.name} is measured at a moment: give one") for m in chosen if m.needs_at]
        errors += [
            FieldError(f"by[{i}]", f"{dimension} is measured at a moment: give one (at)")
            for i, dimension in enumerate(by)
            if dimension in AT_SEGMENTS
        ]
    if since is not None and until is not None and since >= until:
        errors.append(FieldError("until", "must be after since"))
    if any(e.message.startswith("no metric named") for e in errors):
        errors.append(FieldError("metrics", f"the metrics are: {', '.join(METRICS)}"))
    if errors:
        raise InvalidInput("these metrics cannot be computed as asked", errors)
    return chosen


def compute(
    backend: MetricsBackend,
    metrics: Sequence[str],
    by: Sequence[str] = (),
    grain: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    where: Mapping[str, str | Sequence[str]] | None = None,
    at: datetime | None = None,
    sla_hours: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """One row per segment (`period` first when a grain is asked, then `by` in order), one column per
    metric column; a count absent from a segment is 0, a rate or quantity with nothing to measure is
    missing (NaN). Rows are sorted by their segments.

    `where`: {segment: a value or the values it may take}; `policy` (and `job_policy`, the job's
    policy of a decision) take in a policy's children. `at`: the moment of a count at one moment (the
    backlog then, its jobs' age and SLA state). `sla_hours`: {queue: its SLA}, for the `sla_state` segment."""
    chosen = check_request(metrics, by, grain, since, until, where=where, at=at)
    hours = tuple(sorted((sla_hours or {}).items()))
    piece = Slice(tuple(by), grain, since, until, where_of(where), at, hours)
    keys = segment_names(piece)
    frames = [_normalised(backend.execute(metric, piece), metric, keys) for metric in chosen]
    merged = frames[0]
    for frame in frames[1:]:
        merged = merged.merge(frame, on=keys, how="outer") if keys else pd.concat([merged, frame], axis=1)
    for metric in chosen:
        if metric.kind == "count":
            for column in metric.columns:
                merged[column] = merged[column].fillna(0).astype("int64")
    if keys and not merged.empty:
        merged = merged.sort_values(keys, kind="stable").reset_index(drop=True)
    return merged[[*keys, *(c for m in chosen for c in m.columns)]]


def metric_rows(
    backend: MetricsBackend,
    metrics: Sequence[str],
    by: Sequence[str] = (),
    grain: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    where: Mapping[str, str | Sequence[str]] | None = None,
    at: datetime | None = None,
    sla_hours: Mapping[str, float] | None = None,
) -> list[tuple[Any, ...]]:
    """Metrics as `compute` defines them, in one query, as plain rows for a page that needs no table:
    each row its segments (`period` first, a UTC moment, when a grain is asked), then each metric's
    columns. Only segments with rows are there, a metric without a row in one has None there (not
    0); moments are UTC. Rows come in no particular order."""
    chosen = check_request(metrics, by, grain, since, until, where=where, at=at)
    hours = tuple(sorted((sla_hours or {}).items()))
    piece = Slice(tuple(by), grain, since, until, where_of(where), at, hours)
    keys = segment_names(piece)
    moments = {i for i, key in enumerate(keys) if key == "period"}
    column = len(keys)
    for metric in chosen:
        if metric.kind == "moment":
            moments |= set(range(column, column + len(metric.columns)))
        column += len(metric.columns)
    found = backend.rows(chosen, piece)
    if not moments:
        return found
    return [tuple(_utc(v) if i in moments else v for i, v in enumerate(row)) for row in found]


def _utc(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def _normalised(frame: pd.DataFrame, metric: Metric, keys: list[str]) -> pd.DataFrame:
    """The same types from every engine: periods as UTC timestamps, segments as text, values as numbers."""
    frame = frame.copy()
    if "period" in keys:
        period = pd.to_datetime(frame["period"])
        period = period.dt.tz_localize("UTC") if period.dt.tz is None else period.dt.tz_convert("UTC")
        frame["period"] = period.astype("datetime64[us, UTC]")
    for key in keys:
        if key != "period":
            frame[key] = frame[key].astype("string").astype(object)
    for column in metric.columns:
        if metric.kind == "moment":
            moment = pd.to_datetime(frame[column])
            moment = moment.dt.tz_localize("UTC") if moment.dt.tz is None else moment.dt.tz_convert("UTC")
            frame[column] = moment.astype("datetime64[us, UTC]")
        else:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame[[*keys, *metric.columns]]
