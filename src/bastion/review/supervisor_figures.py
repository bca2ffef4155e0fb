"""The supervisor's figures, each a metric of the insight layer: one definition for every page.

Backlog (by status, age and SLA state), oldest waiting, decided and decided in SLA, decisions,
handle time and last decision per reviewer, inflow and decided per period: `compute` over the store
shared by the process (`shared_store`), the SQL of each compiled once and the moments bound as
parameters, so a page that refreshes every minute costs a few queries, not a few compilations.

Filters mean what they meant on the jobs listing (`review.workload.selection`), so every number still
links to its jobs: the jobs of the configured queues (of a vendor's, with a vendor), a policy and its
children, a language; with a vendor, decided jobs whose final decision was by that vendor's people and
the decisions of those people. Golden jobs count nowhere.

The shared store reads the database through a connection of its own: the figures are of what is
committed, not of writes still pending in the caller's session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bastion.insight.metrics import NONE, metric_rows
from bastion.insight.metrics.backends import MetricsBackend
from bastion.review.config import ReviewConfig

Where = dict[str, str | Sequence[str]]

# The columns the figures' metrics read (relations.py: jobs_waiting, jobs_opened, jobs_decided,
# decisions_made; no country, surface or decision's policy: the overview is split by none of them),
# read once per overview (`MetricsBackend.snapshot`).
READS = {
    "jobs": (
        "pk", "queue", "status", "policy_hint", "language", "created_at", "sla_due_at", "decided_at", "golden_pk",
    ),
    "decisions": ("pk", "job_pk", "reviewer_pk", "seconds_spent", "decided_at", "final", "withdrawn_at"),
    "users": ("pk", "name", "vendor"),
}  # fmt: skip


@dataclass
class QueueFigures:
    """One queue's figures: its backlog now, and what it decided in the window."""

    statuses: dict[str, int] = field(default_factory=dict)
    age_buckets: dict[str, int] = field(default_factory=dict)  # by bucket key (1h, 24h, 48h, older)
    sla_states: dict[str, int] = field(default_factory=dict)
    oldest_waiting_hours: float | None = None
    decided: int = 0
    decided_in_sla: int = 0

    @property
    def backlog(self) -> int:
        return sum(self.statuses.values())


@dataclass(frozen=True)
class ReviewerFigures:
    reviewer: str
    vendor: str | None
    decisions: int
    mean_seconds: float
    last_decided_at: datetime


@dataclass(frozen=True)
class Figures:
    queues: dict[str, QueueFigures]
    reviewers: list[ReviewerFigures]  # busiest first, then by name
    inflow: list[int]  # per period of the flow
    decided: list[int]


@dataclass(frozen=True)
class Scope:
    """What the figures count: the queues (configured, of the vendor's), a policy, a language, a vendor."""

    queues: tuple[str, ...]
    policy: str | None = None
    language: str | None = None
    vendor: str | None = None

    def jobs(self) -> Where:
        where: Where = {"queue": self.queues}
        if self.policy:
            where["policy"] = self.policy
        if self.language:
            where["language"] = self.language
        return where

    def decided(self) -> Where:
        return {**self.jobs(), "vendor": self.vendor} if self.vendor else self.jobs()

    def decisions(self) -> Where:
        where: Where = {"queue": self.queues}
        if self.policy:
            where["job_policy"] = self.policy
        if self.language:
            where["language"] = self.language
        if self.vendor:
            where["vendor"] = self.vendor
        return where


def supervisor_figures(
    backend: MetricsBackend,
    config: ReviewConfig,
    scope: Scope,
    *,
    now: datetime,
    window_start: datetime,
    flow: Sequence[datetime],
    step: timedelta,
) -> Figures:
    """Every figure of the overview; `flow`: the starts of the periods (of `step`), the last running now."""
    with backend.snapshot(READS):
        return _figures(backend, config, scope, now=now, window_start=window_start, flow=flow, step=step)


def _figures(
    backend: MetricsBackend,
    config: ReviewConfig,
    scope: Scope,
    *,
    now: datetime,
    window_start: datetime,
    flow: Sequence[datetime],
    step: timedelta,
) -> Figures:
    queues: dict[str, QueueFigures] = {name: QueueFigures() for name in scope.queues}
    sla_hours = {spec.name: spec.sla_hours for spec in config.queues}
    jobs, decided_where = scope.jobs(), scope.decided()
    backlog = metric_rows(
        backend,
        ["backlog", "oldest_waiting"],
        by=["queue", "status", "age", "sla_state"],
        where=jobs,
        at=now,
        sla_hours=sla_hours,
    )
    for queue, status, age, state, n, hours in backlog:
        entry = queues.setdefault(str(queue), QueueFigures())
        entry.statuses[str(status)] = entry.statuses.get(str(status), 0) + int(n)
        entry.age_buckets[str(age)] = entry.age_buckets.get(str(age), 0) + int(n)
        entry.sla_states[str(state)] = entry.sla_states.get(str(state), 0) + int(n)
        if hours is not None:  # the oldest of the queue: the oldest of its groups
            entry.oldest_waiting_hours = max(entry.oldest_waiting_hours or 0.0, float(hours))
    for queue, n, in_sla in metric_rows(backend, ["decided"], by=["queue"], since=window_start, where=decided_where):
        entry = queues.setdefault(str(queue), QueueFigures())
        entry.decided, entry.decided_in_sla = int(n), int(in_sla)
    grain = "hour" if step <= timedelta(hours=1) else "day"
    return Figures(
        queues=queues,
        reviewers=_reviewers(backend, scope, window_start),
        inflow=_per_period(metric_rows(backend, ["inflow"], grain=grain, since=flow[0], where=jobs), flow),
        decided=_per_period(metric_rows(backend, ["decided"], grain=grain, since=flow[0], where=decided_where), flow),
    )


def _reviewers(backend: MetricsBackend, scope: Scope, since: datetime) -> list[ReviewerFigures]:
    rows = metric_rows(
        backend,
        ["decisions", "handle_time", "last_decision"],
        by=["reviewer", "vendor"],
        since=since,
        where=scope.decisions(),
    )
    found = [
        ReviewerFigures(
            reviewer=str(name),
            vendor=None if vendor == NONE else str(vendor),
            decisions=int(n),
            mean_seconds=0.0 if seconds is None else round(float(seconds), 1),
            last_decided_at=last,
        )
        for name, vendor, n, seconds, last in rows
        if name != NONE  # a decision by nobody known: no one to show
    ]
    return sorted(found, key=lambda r: (-r.decisions, r.reviewer))


def _per_period(rows: list[tuple[Any, ...]], flow: Sequence[datetime]) -> list[int]:
    """The counts of `rows` (by period) in the flow's periods; what falls after the last start is in the last."""
    counts = [0] * len(flow)
    for period, n, *_ in rows:
        index = max(i for i, start in enumerate(flow) if start <= period)
        counts[index] += int(n)
    return counts
