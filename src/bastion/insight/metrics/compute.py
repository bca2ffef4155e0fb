"""Run a set of metrics on one backend, split by segments and a time grain, into one pandas table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd

from bastion.errors import FieldError, InvalidInput
from bastion.insight.metrics.backends import MetricsBackend
from bastion.insight.metrics.definitions import DIMENSIONS, GRAINS, METRICS, Metric, Slice, segment_names


def check_request(
    metrics: Sequence[str],
    by: Sequence[str] = (),
    grain: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
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
) -> pd.DataFrame:
    """One row per segment (`period` first when a grain is asked, then `by` in order), one column per
    metric column; a count absent from a segment is 0, a rate or quantity with nothing to measure is
    missing (NaN). Rows are sorted by their segments."""
    chosen = check_request(metrics, by, grain, since, until)
    piece = Slice(tuple(by), grain, since, until)
    keys = segment_names(piece)
    frames = [_normalised(metric.build(backend.tables, piece).execute(), metric, keys) for metric in chosen]
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
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame[[*keys, *metric.columns]]
