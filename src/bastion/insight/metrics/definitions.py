"""The named metrics: each one Ibis expression over the relations of `relations.py`.

A metric is built for a `Slice` (which segments, which time grain, which window) and returns a table
with one row per segment: the segment columns (`period` first when a grain is asked), then the
metric's own columns (`Metric.columns`). The definitions, units and segments are documented in
docs/insight.md ("Metrics"); a test keeps that list and `METRICS` the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import ibis
from ibis.expr.types import NumericValue, Scalar, Table, Value

from bastion.insight.metrics import relations
from bastion.insight.metrics.tables import MOMENT, StoreTables

NONE = "(none)"  # the segment of rows with no value there (no vendor: in-house or automated; no policy)
DIMENSIONS = ("policy", "country", "language", "surface", "queue", "vendor", "reviewer", "status", "age", "sla_state")
GRAINS: Mapping[str, str] = {"hour": "h", "day": "D", "week": "W", "month": "M"}  # weeks start on Monday
Z95 = 1.959963984540054  # the 0.975 quantile of the standard normal: a two-sided 95 % interval

CONTENT_SEGMENTS = frozenset({"policy", "country", "language", "surface", "queue", "vendor"})
VIEW_SEGMENTS = frozenset({"policy", "country", "language", "surface"})
JOB_SEGMENTS = frozenset({"policy", "country", "language", "surface", "queue"})
DECISION_SEGMENTS = JOB_SEGMENTS | {"vendor", "reviewer"}
# Of a waiting job, at the moment `at`: its status, how long it has waited, where it stands against its deadline.
WAITING_SEGMENTS = JOB_SEGMENTS | {"status", "age", "sla_state"}
AT_SEGMENTS = frozenset({"age", "sla_state"})  # measured at the moment `at`: a slice with them needs one

# Age of a waiting job: younger than `hours` (and not younger than the bucket before's); the last has no bound.
AGE_BUCKETS: tuple[tuple[str, float | None], ...] = (("1h", 1.0), ("24h", 24.0), ("48h", 48.0), ("older", None))
# Where a waiting job stands against its deadline. "Due soon": less than this share of its queue's SLA
# left (`Slice.sla_hours`; DEFAULT_SLA_HOURS for a queue not named there). Overdue is overdue whatever the age.
SLA_STATES = ("on_track", "due_soon", "overdue")
DUE_SOON_SHARE = 0.25
DEFAULT_SLA_HOURS = 24.0

# The moments a slice binds: each compiled once as a parameter, so a new window reuses the compiled SQL.
PARAMS: Mapping[str, Scalar] = {name: ibis.param("string") for name in ("since", "until", "at")}

Filter = tuple[str, tuple[str, ...]]


def moment_param(name: str) -> Value:
    """The bound moment `name` (since, until, at) as a value of the canonical moment type."""
    return PARAMS[name].cast(MOMENT)


def param_text(moment: datetime) -> str:
    """A moment as the text a parameter carries: naive UTC, to the microsecond."""
    return _naive_utc(moment).isoformat(sep=" ", timespec="microseconds")


@dataclass(frozen=True)
class Slice:
    """Which rows a metric counts and how it splits them: `by` segments, a time `grain`, the window
    `since` <= at < `until` (naive moments are UTC), `where` filters (segment, the values it may take;
    `policy` and `job_policy` take in a policy's children), the moment `at` of a count at one moment
    (the backlog then, the age of its jobs), and each queue's SLA hours (`sla_hours`, for `sla_state`)."""

    by: tuple[str, ...] = ()
    grain: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    where: tuple[Filter, ...] = ()
    at: datetime | None = None
    sla_hours: tuple[tuple[str, float], ...] = ()

    def shape(self) -> tuple[object, ...]:
        """What the compiled SQL depends on: everything but the bound moments' values."""
        bound = (self.since is not None, self.until is not None, self.at is not None)
        return (self.by, self.grain, self.where, bound, self.sla_hours if "sla_state" in self.by else ())

    def bound(self) -> dict[str, str]:
        """The parameters' values: each moment set, as text."""
        moments = {"since": self.since, "until": self.until, "at": self.at}
        return {name: param_text(moment) for name, moment in moments.items() if moment is not None}

    def window(self, relation: Table) -> Table:
        conditions = []
        if self.since is not None:
            conditions.append(relation.at >= moment_param("since"))
        if self.until is not None:
            conditions.append(relation.at < moment_param("until"))
        return relation.filter(*conditions) if conditions else relation

    def filtered(self, relation: Table) -> Table:
        """`relation` with the `where` filters applied."""
        conditions = []
        for name, values in self.where:
            column = relation[name]
            if name in ("policy", "job_policy"):
                family = [(column == v) | column.startswith(f"{v}.") for v in values]
                conditions.append(ibis.or_(*family) if family else ibis.literal(False))
            else:
                conditions.append(column.isin(values))
        return relation.filter(*conditions) if conditions else relation

    def rows(self, relation: Table) -> Table:
        """`relation` filtered and windowed."""
        return self.window(self.filtered(relation))

    def keys(self, relation: Table, *, skip: tuple[str, ...] = ()) -> dict[str, Value]:
        """The grouping columns: `period` (the grain's start) first, then each segment asked for."""
        keys: dict[str, Value] = {}
        if self.grain is not None:
            keys["period"] = relation.at.truncate(GRAINS[self.grain])
        for dimension in self.by:
            if dimension not in skip:
                keys[dimension] = relation[dimension].fill_null(NONE)
        return keys


def where_of(where: Mapping[str, str | Sequence[str]] | None) -> tuple[Filter, ...]:
    """`where` as a slice holds it: (segment, its values) in a stable order."""
    if not where:
        return ()
    found = []
    for name, values in sorted(where.items()):
        found.append((name, (values,) if isinstance(values, str) else tuple(values)))
    return tuple(found)


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
    `filters`: the segments a `where` may narrow it by; `grains`: the time grains it supports (none: a
    count at one moment, `at`); `kind`: count (absent is 0), rate (a share, 0 to 1), quantity (seconds,
    hours, per 10k) or moment (a UTC time); `needs_at`: measured at a moment, which a request must give."""

    name: str
    title: str
    description: str
    unit: str
    kind: str
    dimensions: frozenset[str]
    grains: tuple[str, ...]
    columns: tuple[str, ...]
    build: Callable[[StoreTables, Slice], Table]
    filters: frozenset[str] = frozenset()
    needs_at: bool = False


ALL_GRAINS = tuple(GRAINS)


def _content_actioned(t: StoreTables, s: Slice) -> Table:
    rows = s.rows(relations.content_actioned(t))
    return grouped(rows, s.keys(rows), content_actioned=rows.content_pk.nunique())


def _proactive_rate(t: StoreTables, s: Slice) -> Table:
    rows = s.rows(relations.content_actioned(t))
    proactive = ibis.ifelse(rows.proactive, rows.content_pk, ibis.null("int64")).nunique()
    found = grouped(rows, s.keys(rows), actioned=rows.content_pk.nunique(), proactive=proactive)
    return found.mutate(proactive_rate=rate(found.proactive, found.actioned)).drop("actioned", "proactive")


def _automated_share(t: StoreTables, s: Slice) -> Table:
    rows = s.rows(relations.content_actioned(t))
    automated = ibis.ifelse(rows.automated, rows.content_pk, ibis.null("int64")).nunique()
    found = grouped(rows, s.keys(rows), actioned=rows.content_pk.nunique(), automated=automated)
    return found.mutate(automated_share=rate(found.automated, found.actioned)).drop("actioned", "automated")


def _appealed(t: StoreTables, s: Slice) -> Table:
    rows = s.rows(relations.appeals_filed(t))
    return grouped(rows, s.keys(rows), appealed=rows.content_pk.nunique())


def _restored(with_appeal: bool, name: str) -> Callable[[StoreTables, Slice], Table]:
    def build(t: StoreTables, s: Slice) -> Table:
        restored = relations.content_restored(t)
        rows = s.rows(restored.filter(restored.with_appeal == with_appeal))
        return grouped(rows, s.keys(rows), **{name: rows.content_pk.nunique()})

    return build


ITEM_SEGMENTS = frozenset({"country", "language", "surface"})


def _views(t: StoreTables, s: Slice) -> Table:
    return s.rows(relations.views_sampled(t, segments=bool(ITEM_SEGMENTS & set(s.by))))


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


def together(t: StoreTables, metrics: Sequence[Metric], s: Slice) -> Table:
    """The metrics of one slice as one table (one query): each built alone, then joined on their
    segments (outer: a segment one lacks has null in its columns)."""
    built = [m.build(t, s) for m in metrics]
    if len(built) == 1:
        return built[0]
    keys = segment_names(s)
    joined = built[0]
    for i, other in enumerate(built[1:], start=1):
        if not keys:
            joined = joined.cross_join(other)
            continue
        joined = joined.join(other, keys, how="outer", rname=f"{{name}}_{i}")
        joined = joined.mutate(**{k: ibis.coalesce(joined[k], joined[f"{k}_{i}"]) for k in keys}).drop(
            *(f"{k}_{i}" for k in keys)
        )
    return joined.select(*keys, *(c for m in metrics for c in m.columns))


def segment_names(s: Slice) -> list[str]:
    """The key columns of a slice's rows, in their order."""
    return (["period"] if s.grain else []) + list(s.by)


def _inflow(t: StoreTables, s: Slice) -> Table:
    rows = s.rows(relations.jobs_opened(t))
    return grouped(rows, s.keys(rows), inflow=rows.job_pk.count())


def _waiting(t: StoreTables, s: Slice) -> Table:
    """The jobs waiting at `s.at` (opened by then, not decided by then), or now when no moment is set;
    with `age` and `sla_state` at that moment. The window does not apply."""
    if s.at is None:
        rows = s.filtered(relations.jobs_waiting(t))
        return rows
    at = moment_param("at")
    jobs = s.filtered(relations.jobs_waiting(t, since_decided=True))
    rows = jobs.filter(jobs.at <= at, jobs.decided_at.isnull() | (jobs.decided_at > at))
    extra: dict[str, Value] = {}
    if "age" in s.by:
        cases = [(rows.at > at - _hours(h), key) for key, h in AGE_BUCKETS if h is not None]
        extra["age"] = ibis.cases(*cases, else_=AGE_BUCKETS[-1][0])
    if "sla_state" in s.by:
        hours = dict(s.sla_hours)
        soon = [
            ((rows.queue == queue) & (rows.sla_due_at < at + _hours(h * DUE_SOON_SHARE)), "due_soon")
            for queue, h in hours.items()
        ]
        known = rows.queue.isin(list(hours)) if hours else ibis.literal(False)
        default = (~known) & (rows.sla_due_at < at + _hours(DEFAULT_SLA_HOURS * DUE_SOON_SHARE))
        extra["sla_state"] = ibis.cases(
            (rows.sla_due_at < at, "overdue"), *soon, (default, "due_soon"), else_="on_track"
        )
    return rows.mutate(**extra) if extra else rows


def _hours(hours: float) -> Value:
    """An interval of `hours`, to the microsecond."""
    return ibis.interval(seconds=round(hours * 3600))


def _backlog(t: StoreTables, s: Slice) -> Table:
    rows = _waiting(t, s)
    return grouped(rows, s.keys(rows), backlog=rows.job_pk.count())


def _oldest_waiting(t: StoreTables, s: Slice) -> Table:
    rows = _waiting(t, s)
    waited = moment_param("at").epoch_seconds() - rows.at.epoch_seconds()
    return grouped(rows, s.keys(rows), oldest_waiting=waited.cast("float64").max() / 3600.0)


def _sla_attainment(t: StoreTables, s: Slice) -> Table:
    rows = s.rows(relations.jobs_decided(t))
    found = grouped(rows, s.keys(rows), decided=rows.job_pk.count(), in_sla=ibis.ifelse(rows.in_sla, 1, 0).sum())
    return found.mutate(sla_attainment=rate(found.in_sla, found.decided)).drop("decided", "in_sla")


def _decided(t: StoreTables, s: Slice) -> Table:
    rows = s.rows(relations.jobs_decided(t))
    return grouped(rows, s.keys(rows), decided=rows.job_pk.count(), decided_in_sla=ibis.ifelse(rows.in_sla, 1, 0).sum())


def _decisions(t: StoreTables, s: Slice) -> Table:
    rows = s.rows(relations.decisions_made(t))
    return grouped(rows, s.keys(rows), decisions=rows.decision_pk.count())


def _last_decision(t: StoreTables, s: Slice) -> Table:
    rows = s.rows(relations.decisions_made(t))
    return grouped(rows, s.keys(rows), last_decision=rows.at.max())


def _time_to_action(t: StoreTables, s: Slice) -> Table:
    rows = s.rows(relations.content_actioned(t))
    # Whole seconds: Spark's epoch has no fraction, and the answer must not depend on the engine.
    seconds = rows.at.epoch_seconds().floor() - rows.posted_at.epoch_seconds().floor()
    hours = seconds.cast("float64") / 3600.0
    return grouped(rows, s.keys(rows), time_to_action_p50=hours.quantile(0.5), time_to_action_p90=hours.quantile(0.9))


def _handle_time(t: StoreTables, s: Slice) -> Table:
    rows = s.rows(relations.decisions_made(t))
    return grouped(rows, s.keys(rows), handle_time=rows.seconds.mean())


def _reports_per_10k_views(t: StoreTables, s: Slice) -> Table:
    reports = s.rows(relations.reports_filed(t))
    views = _views(t, s)
    filed = grouped(reports, s.keys(reports), reports=reports.report_pk.count())
    others = s.keys(views, skip=("policy",))
    seen = grouped(views, others, weight=views.weight.sum())
    names = list(others)
    joined = filed.join(seen, names, how="left") if names else filed.cross_join(seen)
    joined = joined.select(*segment_names(s), "reports", "weight")
    return joined.mutate(reports_per_10k_views=rate(joined.reports, joined.weight) * 10_000).drop("reports", "weight")


def _reporter_precision(t: StoreTables, s: Slice) -> Table:
    rows = s.rows(relations.reports_filed(t))
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
    filters: frozenset[str] | None = None,
    needs_at: bool = False,
) -> Metric:
    narrows = (dimensions - AT_SEGMENTS) if filters is None else filters
    return Metric(
        name, title, description, unit, kind, dimensions, grains, columns or (name,), build, narrows, needs_at
    )


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
            filters=VIEW_SEGMENTS - {"policy"},
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
            "Review jobs waiting (open, claimed or held) now, or at the moment `at`: opened by then and not "
            "decided by then; the window does not apply.",
            "jobs",
            "count",
            WAITING_SEGMENTS,
            _backlog,
            grains=(),
        ),
        _metric(
            "oldest_waiting",
            "Oldest waiting",
            "Hours the longest-waiting job of the backlog at the moment `at` has waited since it was opened.",
            "hours",
            "quantity",
            WAITING_SEGMENTS,
            _oldest_waiting,
            grains=(),
            needs_at=True,
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
            "decided",
            "Decided",
            "Review jobs decided (`decided`), and of them those decided by their SLA deadline (`decided_in_sla`).",
            "jobs",
            "count",
            JOB_SEGMENTS | {"vendor"},
            _decided,
            columns=("decided", "decided_in_sla"),
        ),
        _metric(
            "decisions",
            "Decisions",
            "Decisions made (every round counts, decisions taken back do not).",
            "decisions",
            "count",
            DECISION_SEGMENTS,
            _decisions,
            filters=DECISION_SEGMENTS | {"job_policy"},
        ),
        _metric(
            "last_decision",
            "Last decision",
            "When the latest decision was made.",
            "UTC time",
            "moment",
            DECISION_SEGMENTS,
            _last_decision,
            filters=DECISION_SEGMENTS | {"job_policy"},
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
            DECISION_SEGMENTS,
            _handle_time,
            filters=DECISION_SEGMENTS | {"job_policy"},
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
            filters=VIEW_SEGMENTS - {"policy"},
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
