"""The named metrics: each one Ibis expression over the relations of `relations.py`.

A metric is built for a `Slice` (which segments, which time grain, which window) and returns a table
with one row per segment: the segment columns (`period` first when a grain is asked), then the
metric's own columns (`Metric.columns`). The definitions, units and segments are documented in
docs/insight.md ("Metrics"); a test keeps that list and `METRICS` the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import ibis
from ibis.expr.types import NumericValue, Table, Value

from bastion.insight.metrics import relations
from bastion.insight.metrics.tables import StoreTables, literal_moment

NONE = "(none)"  # the segment of rows with no value there (no vendor: in-house or automated; no policy)
DIMENSIONS = ("policy", "country", "language", "surface", "queue", "vendor")
GRAINS: Mapping[str, str] = {"hour": "h", "day": "D", "week": "W", "month": "M"}  # weeks start on Monday
Z95 = 1.959963984540054  # the 0.975 quantile of the standard normal: a two-sided 95 % interval

CONTENT_SEGMENTS = frozenset({"policy", "country", "language", "surface", "queue", "vendor"})
VIEW_SEGMENTS = frozenset({"policy", "country", "language", "surface"})
JOB_SEGMENTS = frozenset({"policy", "country", "language", "surface", "queue"})


@dataclass(frozen=True)
class Slice:
    """Which rows a metric counts and how it splits them: `by` segments, a time `grain`, and the window
    `since` <= at < `until` (naive moments are UTC)."""

    by: tuple[str, ...] = ()
    grain: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def window(self, relation: Table) -> Table:
        conditions = []
        if self.since is not None:
            conditions.append(relation.at >= literal_moment(_naive_utc(self.since)))
        if self.until is not None:
            conditions.append(relation.at < literal_moment(_naive_utc(self.until)))
        return relation.filter(*conditions) if conditions else relation

    def keys(self, relation: Table, *, skip: tuple[str, ...] = ()) -> dict[str, Value]:
        """The grouping columns: `period` (the grain's start) first, then each segment asked for."""
        keys: dict[str, Value] = {}
        if self.grain is not None:
            keys["period"] = relation.at.truncate(GRAINS[self.grain])
        for dimension in self.by:
            if dimension not in skip:
                keys[dimension] = relation[dimension].fill_null(NONE)
        return keys


def _naive_utc(moment: datetime) -> datetime:
    from bastion.clock import as_utc

    return as_utc(moment).replace(tzinfo=None) if moment.tzinfo is not None else moment


def grouped(relation: Table, keys: Mapping[str, Value], **measures: Value) -> Table:
    """`relation` grouped by `keys` (or whole, when there are none) with `measures`."""
    if not keys:
        return relation.aggregate(**measures)
    return relation.group_by(**keys).aggregate(**measures)


def rate(part: Value, whole: Value) -> NumericValue:
    """part / whole as a float, null when the whole is 0 (no rate to speak of, not 0 %)."""
    numerator: NumericValue = part.cast("float64")
    denominator: NumericValue = whole.cast("float64")
    return numerator / denominator.nullif(0.0)


def wilson_upper(share: NumericValue, n: NumericValue) -> NumericValue:
    """The upper end of the 95 % Wilson score interval of a share observed on `n` trials."""
    z2 = Z95 * Z95
    centre = share + z2 / (2 * n)
    spread = Z95 * ((share * (1 - share) / n) + z2 / (4 * n * n)).sqrt()
    return (centre + spread) / (1 + z2 / n)


@dataclass(frozen=True)
class Metric:
    """A named metric. `columns`: what it adds to a row; `dimensions`: the segments it can be split by;
    `grains`: the time grains it supports (none: a count at one moment); `kind`: count (absent is 0),
    rate (a share, 0 to 1), or quantity (seconds, hours, per 10k)."""

    name: str
    title: str
    description: str
    unit: str
    kind: str
    dimensions: frozenset[str]
    grains: tuple[str, ...]
    columns: tuple[str, ...]
    build: Callable[[StoreTables, Slice], Table]


ALL_GRAINS = tuple(GRAINS)


def _content_actioned(t: StoreTables, s: Slice) -> Table:
    rows = s.window(relations.content_actioned(t))
    return grouped(rows, s.keys(rows), content_actioned=rows.content_pk.nunique())


def _proactive_rate(t: StoreTables, s: Slice) -> Table:
    rows = s.window(relations.content_actioned(t))
    proactive = ibis.ifelse(rows.proactive, rows.content_pk, ibis.null("int64")).nunique()
    found = grouped(rows, s.keys(rows), actioned=rows.content_pk.nunique(), proactive=proactive)
    return found.mutate(proactive_rate=rate(found.proactive, found.actioned)).drop("actioned", "proactive")


def _automated_share(t: StoreTables, s: Slice) -> Table:
    rows = s.window(relations.content_actioned(t))
    automated = ibis.ifelse(rows.automated, rows.content_pk, ibis.null("int64")).nunique()
    found = grouped(rows, s.keys(rows), actioned=rows.content_pk.nunique(), automated=automated)
    return found.mutate(automated_share=rate(found.automated, found.actioned)).drop("actioned", "automated")


def _appealed(t: StoreTables, s: Slice) -> Table:
    rows = s.window(relations.appeals_filed(t))
    return grouped(rows, s.keys(rows), appealed=rows.content_pk.nunique())


def _restored(with_appeal: bool, name: str) -> Callable[[StoreTables, Slice], Table]:
    def build(t: StoreTables, s: Slice) -> Table:
        restored = relations.content_restored(t)
        rows = s.window(restored.filter(restored.with_appeal == with_appeal))
        return grouped(rows, s.keys(rows), **{name: rows.content_pk.nunique()})

    return build


ITEM_SEGMENTS = frozenset({"country", "language", "surface"})


def _views(t: StoreTables, s: Slice) -> Table:
    return s.window(relations.views_sampled(t, segments=bool(ITEM_SEGMENTS & set(s.by))))


def _prevalence(t: StoreTables, s: Slice) -> Table:
    views = _views(t, s)
    others = s.keys(views, skip=("policy",))
    # One pass over the views: weight by segment and violated policy; the rest adds up that small table.
    fine = grouped(
        views,
        {**others, "violated": views.violated_policy},
        weight=views.weight.sum(),
        weight_sq=(views.weight * views.weight).sum(),
    )
    names = list(others)
    whole = grouped(fine, {n: fine[n] for n in names}, weight=fine.weight.sum(), weight_sq=fine.weight_sq.sum())
    if "policy" not in s.by:
        violating = grouped(
            fine, {n: fine[n] for n in names}, violating=ibis.ifelse(fine.violated.notnull(), fine.weight, 0.0).sum()
        )
    else:
        # Prevalence of a policy: views of content violating it, over every view of the segment.
        seen = fine.filter(fine.violated.notnull())
        violating = seen.select(*names, policy=seen.violated, violating=seen.weight)
    found = violating.join(whole, names) if names else violating.cross_join(whole)
    found = found.select(*segment_names(s), "violating", "weight", "weight_sq")
    share = rate(found.violating, found.weight)
    effective = found.weight * found.weight / found.weight_sq.nullif(0.0)  # Kish's effective sample size
    return found.mutate(prevalence=share, prevalence_upper=wilson_upper(share, effective)).drop(
        "violating", "weight", "weight_sq"
    )


def segment_names(s: Slice) -> list[str]:
    """The key columns of a slice's rows, in their order."""
    return (["period"] if s.grain else []) + list(s.by)


def _inflow(t: StoreTables, s: Slice) -> Table:
    rows = s.window(relations.jobs_opened(t))
    return grouped(rows, s.keys(rows), inflow=rows.job_pk.count())


def _backlog(t: StoreTables, s: Slice) -> Table:
    rows = relations.jobs_waiting(t)  # now: the window does not apply
    return grouped(rows, s.keys(rows), backlog=rows.job_pk.count())


def _sla_attainment(t: StoreTables, s: Slice) -> Table:
    rows = s.window(relations.jobs_decided(t))
    found = grouped(rows, s.keys(rows), decided=rows.job_pk.count(), in_sla=ibis.ifelse(rows.in_sla, 1, 0).sum())
    return found.mutate(sla_attainment=rate(found.in_sla, found.decided)).drop("decided", "in_sla")


def _time_to_action(t: StoreTables, s: Slice) -> Table:
    rows = s.window(relations.content_actioned(t))
    # Whole seconds: Spark's epoch has no fraction, and the answer must not depend on the engine.
    seconds = rows.at.epoch_seconds().floor() - rows.posted_at.epoch_seconds().floor()
    hours = seconds.cast("float64") / 3600.0
    return grouped(rows, s.keys(rows), time_to_action_p50=hours.quantile(0.5), time_to_action_p90=hours.quantile(0.9))


def _handle_time(t: StoreTables, s: Slice) -> Table:
    rows = s.window(relations.decisions_made(t))
    return grouped(rows, s.keys(rows), handle_time=rows.seconds.mean())


def _reports_per_10k_views(t: StoreTables, s: Slice) -> Table:
    reports = s.window(relations.reports_filed(t))
    views = _views(t, s)
    filed = grouped(reports, s.keys(reports), reports=reports.report_pk.count())
    others = s.keys(views, skip=("policy",))
    seen = grouped(views, others, weight=views.weight.sum())
    names = list(others)
    joined = filed.join(seen, names, how="left") if names else filed.cross_join(seen)
    joined = joined.select(*segment_names(s), "reports", "weight")
    return joined.mutate(reports_per_10k_views=rate(joined.reports, joined.weight) * 10_000).drop("reports", "weight")


def _reporter_precision(t: StoreTables, s: Slice) -> Table:
    rows = s.window(relations.reports_filed(t))
    resolved = rows.filter(rows.resolved)
    found = grouped(
        resolved,
        s.keys(resolved),
        resolved=resolved.report_pk.count(),
        violating=ibis.ifelse(resolved.violating, 1, 0).sum(),
    )
    return found.mutate(reporter_precision=rate(found.violating, found.resolved)).drop("resolved", "violating")


def _metric(
    name: str,
    title: str,
    description: str,
    unit: str,
    kind: str,
    dimensions: frozenset[str],
    build: Callable[[StoreTables, Slice], Table],
    *,
    columns: tuple[str, ...] | None = None,
    grains: tuple[str, ...] = ALL_GRAINS,
) -> Metric:
    return Metric(name, title, description, unit, kind, dimensions, grains, columns or (name,), build)


ENFORCEMENT_REPORT = (
    "content_actioned",
    "proactive_rate",
    "appealed",
    "restored_with_appeal",
    "restored_without_appeal",
    "prevalence",
)

METRICS: Mapping[str, Metric] = {
    m.name: m
    for m in (
        _metric(
            "content_actioned",
            "Content actioned",
            "Content items an enforcement action was taken on (by review or automatically), counted once.",
            "items",
            "count",
            CONTENT_SEGMENTS,
            _content_actioned,
        ),
        _metric(
            "proactive_rate",
            "Proactive rate",
            "Of the content actioned, the share found before any user reported it.",
            "share",
            "rate",
            CONTENT_SEGMENTS,
            _proactive_rate,
        ),
        _metric(
            "appealed",
            "Appealed",
            "Content items whose action was appealed (by when the appeal was filed).",
            "items",
            "count",
            CONTENT_SEGMENTS,
            _appealed,
        ),
        _metric(
            "restored_with_appeal",
            "Restored with appeal",
            "Content items restored because an appeal overturned the action.",
            "items",
            "count",
            CONTENT_SEGMENTS,
            _restored(True, "restored_with_appeal"),
        ),
        _metric(
            "restored_without_appeal",
            "Restored without appeal",
            "Content items restored without an appeal (the platform or Bastion found the action wrong).",
            "items",
            "count",
            CONTENT_SEGMENTS,
            _restored(False, "restored_without_appeal"),
        ),
        _metric(
            "prevalence",
            "Prevalence",
            "The share of view weight on content found violating (a standing action), with the upper end "
            "of its 95 % Wilson interval over the sampled views (Kish's effective sample size).",
            "share of views",
            "rate",
            VIEW_SEGMENTS,
            _prevalence,
            columns=("prevalence", "prevalence_upper"),
        ),
        _metric(
            "inflow",
            "Inflow",
            "Review jobs opened.",
            "jobs",
            "count",
            JOB_SEGMENTS,
            _inflow,
        ),
        _metric(
            "backlog",
            "Backlog",
            "Review jobs waiting now (open, claimed or held); the window does not apply.",
            "jobs",
            "count",
            JOB_SEGMENTS,
            _backlog,
            grains=(),
        ),
        _metric(
            "sla_attainment",
            "SLA attainment",
            "Of the review jobs decided, the share decided by their SLA deadline.",
            "share",
            "rate",
            JOB_SEGMENTS | {"vendor"},
            _sla_attainment,
        ),
        _metric(
            "time_to_action",
            "Time to action",
            "Hours from when a content item was posted to the action taken on it: median and 90th percentile.",
            "hours",
            "quantity",
            CONTENT_SEGMENTS,
            _time_to_action,
            columns=("time_to_action_p50", "time_to_action_p90"),
        ),
        _metric(
            "handle_time",
            "Handle time",
            "Mean seconds a reviewer spent on a decision, from claim to verdict (every round counts).",
            "seconds",
            "quantity",
            JOB_SEGMENTS | {"vendor"},
            _handle_time,
        ),
        _metric(
            "automated_share",
            "Automated share",
            "Of the content actioned, the share actioned automatically by a rule.",
            "share",
            "rate",
            CONTENT_SEGMENTS,
            _automated_share,
        ),
        _metric(
            "reports_per_10k_views",
            "Reports per 10k views",
            "User reports on content filed per 10,000 views (view weight) in the same segment and window.",
            "per 10k views",
            "quantity",
            VIEW_SEGMENTS,
            _reports_per_10k_views,
        ),
        _metric(
            "reporter_precision",
            "Reporter precision",
            "Of the reports on content that was resolved (decided by review or actioned), the share on "
            "content found violating.",
            "share",
            "rate",
            VIEW_SEGMENTS,
            _reporter_precision,
        ),
    )
}
