"""Build a dashboard from the metrics layer: one engine opened, every figure computed by `compute`.

Routers and the CLI only translate this. The figures are `compute(...)`'s own numbers for the window
and the window before it; breakdowns and charts are the same call split by a segment or by day, so a
number on a page is the number the metrics layer gives (tests hold them equal).

Links: a segment opens its own dashboard; a job count (inflow, backlog, jobs decided, decisions) opens
the supervisor's jobs listing with the same selection when the reader may see it (`jobs_links`);
content figures open the breakdown that splits them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import quote

import pandas as pd

from bastion.insight.dashboards.model import (
    BREAKDOWNS,
    KINDS,
    SEGMENT_KINDS,
    SEGMENT_TITLES,
    Breakdown,
    BreakdownRow,
    ChartData,
    ChartRow,
    Dashboard,
    Figure,
    Number,
    checked,
    delta,
)
from bastion.insight.metrics import ENFORCEMENT_REPORT, METRICS, NONE, MetricsBackend, compute, open_store
from bastion.review.workload.selection import JobSelection
from bastion.store.database import Database

OPERATIONS = ("inflow", "backlog", "sla_attainment", "time_to_action", "handle_time", "automated_share")
HEADLINE = (*ENFORCEMENT_REPORT, *OPERATIONS)
# The columns of a breakdown table, where the metric can be split by the breakdown's segment.
BREAKDOWN = ("content_actioned", "proactive_rate", "appealed", "prevalence", "inflow", "backlog", "sla_attainment")
JOB_FIGURES = ("inflow", "backlog", "sla_attainment", "handle_time")


def dashboard_path(dimension: str, segment: str) -> str | None:
    """The address of a segment's own dashboard; the rows with no value there have none."""
    if segment == NONE:
        return None
    return f"/insight/{SEGMENT_KINDS[dimension]}/{quote(segment, safe='')}"


def dashboard(
    database: Database,
    kind: str,
    subject: str | None = None,
    *,
    days: int,
    now: datetime,
    jobs_links: bool = False,
) -> Dashboard:
    """The dashboard `kind` (overview, policy, market, queue) of `subject` over the `days` up to `now`."""
    checked(kind, subject, days)
    return dashboard_between(
        database, kind, subject, since=now - timedelta(days=days), until=now, now=now, jobs_links=jobs_links
    )


def dashboard_between(
    database: Database,
    kind: str,
    subject: str | None = None,
    *,
    since: datetime,
    until: datetime,
    now: datetime,
    jobs_links: bool = False,
) -> Dashboard:
    """The dashboard over `since` <= moment < `until`, against the window of the same length before it
    (the weekly report's week; `dashboard` is this over the last 7, 28 or 90 days)."""
    days = (until - since).days
    dimension = checked(kind, subject)
    previous_since = since - (until - since)
    with open_store(database) as backend:
        current = _figures(backend, dimension, subject, since, until)
        previous = _figures(backend, dimension, subject, previous_since, since)
        breakdowns = [_breakdown(backend, dimension, subject, other, since, until) for other in BREAKDOWNS[kind]]
        daily = _daily(backend, dimension, subject, since, until, jobs_links)
    selection = _selection(dimension, subject)
    figures = []
    for name in HEADLINE:
        metric = METRICS[name]
        if dimension is not None and dimension not in metric.dimensions:
            continue
        for column in metric.columns:
            value = current.get(column)
            before = None if name == "backlog" else previous.get(column)
            href = _figure_link(name, selection, since, until) if jobs_links else None
            if href is None and breakdowns:
                href = f"#by-{breakdowns[0].dimension}"
            figures.append(
                Figure(name, column, _column_title(metric.title, column), metric.unit, metric.kind, value, before,
                       delta(value, before), href)
            )  # fmt: skip
    charts = [daily] + [_segment_chart(b) for b in breakdowns]
    title = KINDS[kind][1] if subject is None else f"{KINDS[kind][1]}: {subject}"
    notes = []
    if kind == "market" and jobs_links:
        notes.append("The jobs listing cannot narrow to a market: job counts here open no listing.")
    return Dashboard(kind, subject, title, days, since, until, previous_since, figures, breakdowns, charts, now, notes)


def _column_title(title: str, column: str) -> str:
    if column.endswith("_p50"):
        return f"{title}, median"
    if column.endswith("_p90"):
        return f"{title}, 90th percentile"
    if column.endswith("_upper"):
        return f"{title}, upper limit"
    return title


def _names(dimensions: Sequence[str], wanted: Sequence[str]) -> list[str]:
    return [n for n in wanted if all(d in METRICS[n].dimensions for d in dimensions)]


def _cell(value: object) -> Number:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    number = float(value)  # type: ignore[arg-type]  # numpy scalars
    return int(number) if float(number).is_integer() and not isinstance(value, float) else number


def _narrowed(frame: pd.DataFrame, dimension: str | None, subject: str | None) -> pd.DataFrame:
    if dimension is None:
        return frame
    return frame[frame[dimension] == subject]


def _figures(
    backend: MetricsBackend, dimension: str | None, subject: str | None, since: datetime, until: datetime
) -> dict[str, Number]:
    by = [dimension] if dimension else []
    names = _names(by, HEADLINE)
    frame = _narrowed(compute(backend, names, by=by, since=since, until=until), dimension, subject)
    columns = [c for n in names for c in METRICS[n].columns]
    if frame.empty:  # nothing in the window for this segment: counts are 0, the rest unknown
        return {c: (0 if METRICS[n].kind == "count" else None) for n in names for c in METRICS[n].columns}
    row = frame.iloc[0]
    return {c: _count_or_cell(row[c], c) for c in columns}


def _count_or_cell(value: object, column: str) -> Number:
    cell = _cell(value)
    if column in METRICS and METRICS[column].kind == "count" and cell is not None:
        return int(cell)
    return cell


def _breakdown(
    backend: MetricsBackend,
    dimension: str | None,
    subject: str | None,
    other: str,
    since: datetime,
    until: datetime,
) -> Breakdown:
    by = [dimension, other] if dimension else [other]
    names = _names(by, BREAKDOWN)
    frame = _narrowed(compute(backend, names, by=by, since=since, until=until), dimension, subject)
    columns = [c for n in names for c in METRICS[n].columns]
    rows = [
        BreakdownRow(str(r[other]), dashboard_path(other, str(r[other])), {c: _count_or_cell(r[c], c) for c in columns})
        for _, r in frame.iterrows()
    ]
    rows.sort(key=lambda r: (-(r.values.get("content_actioned") or 0), -(r.values.get("inflow") or 0), r.segment))
    return Breakdown(other, SEGMENT_TITLES[other], columns, rows)


def _daily(
    backend: MetricsBackend,
    dimension: str | None,
    subject: str | None,
    since: datetime,
    until: datetime,
    jobs_links: bool,
) -> ChartData:
    by = [dimension] if dimension else []
    frame = _narrowed(
        compute(backend, ["content_actioned", "inflow"], by=by, grain="day", since=since, until=until),
        dimension,
        subject,
    )
    selection = _selection(dimension, subject)
    rows: list[ChartRow] = []
    for _, r in frame.iterrows():
        day = pd.Timestamp(r["period"]).to_pydatetime()
        label = day.date().isoformat()
        rows.append(ChartRow(label, "content actioned", int(r["content_actioned"]), None))
        opened = None
        if jobs_links and selection is not None:
            start, end = max(day, since), min(day + timedelta(days=1), until)
            opened = selection.narrowed(created_from=start, created_to=end).link
        rows.append(ChartRow(label, "jobs opened", int(r["inflow"]), opened))
    return ChartData("daily", "Content actioned and review jobs opened per day (UTC)", "per day", rows)


def _segment_chart(breakdown: Breakdown) -> ChartData:
    rows = [
        ChartRow(r.segment, "content actioned", int(r.values.get("content_actioned") or 0), r.href)
        for r in breakdown.rows
        if "content_actioned" in r.values
    ]
    return ChartData(
        f"by_{breakdown.dimension}", f"Content actioned by {breakdown.title.lower()}", "content items", rows[:15]
    )


def _selection(dimension: str | None, subject: str | None) -> JobSelection | None:
    """The jobs listing's selection for this dashboard's segment; None where it cannot narrow to it."""
    if dimension is None:
        return JobSelection()
    if dimension == "policy":
        return JobSelection(policy=subject)
    if dimension == "queue":
        return JobSelection(queue=subject)
    return None  # the listing has no market filter


def _figure_link(name: str, selection: JobSelection | None, since: datetime, until: datetime) -> str | None:
    if selection is None or name not in JOB_FIGURES:
        return None
    if name == "inflow":
        return selection.narrowed(created_from=since, created_to=until).link
    if name == "backlog":
        return selection.narrowed(status="backlog").link
    if name == "sla_attainment":
        return selection.narrowed(status="decided", decided_from=since, decided_to=until).link
    return selection.narrowed(decision_from=since, decision_to=until).link
