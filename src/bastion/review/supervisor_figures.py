"""The supervisor's figures, each a metric of the insight layer: one definition for every page.

Backlog (by status, age and SLA state), oldest waiting, decided and decided in SLA, decisions,
handle time and last decision per reviewer, inflow and decided per period: `compute` over the store
shared by the process (`shared_store`), the SQL of each compiled once and the moments bound as
parameters, so a page that refreshes every minute costs a few queries, not a few compilations.

Filters mean what they meant on the jobs listing (`review.workload.selection`), so every number still
links to its jobs: the jobs of the configured queues (of a vendor's, with a vendor), a policy and its
children, a language; with a vendor, decided jobs whose final decision was by that vendor's people and
the decisions of those people. Golden jobs count nowhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from bastion.insight.metrics import NONE, compute
from bastion.insight.metrics.backends import MetricsBackend
from bastion.review.config import ReviewConfig

Where = dict[str, str | Sequence[str]]


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
    queues: dict[str, QueueFigures] = {name: QueueFigures() for name in scope.queues}
    sla_hours = {spec.name: spec.sla_hours for spec in config.queues}
    backlog = compute(
        backend,
        ["backlog"],
        by=["queue", "status", "age", "sla_state"],
        where=scope.jobs(),
        at=now,
        sla_hours=sla_hours,
    )
    for queue, status, age, state, n in backlog.itertuples(index=False):
        entry = queues.setdefault(str(queue), QueueFigures())
        entry.statuses[str(status)] = entry.statuses.get(str(status), 0) + int(n)
        entry.age_buckets[str(age)] = entry.age_buckets.get(str(age), 0) + int(n)
        entry.sla_states[str(state)] = entry.sla_states.get(str(state), 0) + int(n)
    oldest = compute(backend, ["oldest_waiting"], by=["queue"], where=scope.jobs(), at=now)
    for queue, hours in oldest.itertuples(index=False):
        if not pd.isna(hours):
            queues.setdefault(str(queue), QueueFigures()).oldest_waiting_hours = float(hours)
    decided = compute(backend, ["decided"], by=["queue"], since=window_start, where=scope.decided())
    for queue, n, in_sla in decided.itertuples(index=False):
        entry = queues.setdefault(str(queue), QueueFigures())
        entry.decided, entry.decided_in_sla = int(n), int(in_sla)
    return Figures(
        queues=queues,
        reviewers=_reviewers(backend, scope, window_start),
        inflow=_per_period(compute(backend, ["inflow"], grain=_grain(step), since=flow[0], where=scope.jobs()), flow),
        decided=_per_period(
            compute(backend, ["decided"], grain=_grain(step), since=flow[0], where=scope.decided()), flow
        ),
    )


def _reviewers(backend: MetricsBackend, scope: Scope, since: datetime) -> list[ReviewerFigures]:
    frame = compute(
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
            mean_seconds=0.0 if pd.isna(seconds) else round(float(seconds), 1),
            last_decided_at=last.to_pydatetime(),
        )
        for name, vendor, n, seconds, last in frame.itertuples(index=False)
        if name != NONE  # a decision by nobody known (none today): no one to show
    ]
    return sorted(found, key=lambda r: (-r.decisions, r.reviewer))


def _grain(step: timedelta) -> str:
    return "hour" if step <= timedelta(hours=1) else "day"


def _per_period(frame: pd.DataFrame, flow: Sequence[datetime]) -> list[int]:
    """The counts of `frame` (by period) in the flow's periods; what falls after the last start is in the last."""
    counts = [0] * len(flow)
    starts = [pd.Timestamp(start) for start in flow]
    for period, n, *_ in frame.itertuples(index=False):
        index = max(i for i, start in enumerate(starts) if start <= period)
        counts[index] += int(n)
    return counts
