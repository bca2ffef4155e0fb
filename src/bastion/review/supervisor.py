"""The supervisor's overview: backlog, SLA, flow, who is working and the team's exposure, per queue.

One service call feeds the supervisor page and its JSON twin (`GET /api/v1/review/overview`). The
figures are metrics of the insight layer (`supervisor_figures`; definitions in docs/insight.md), the
rest is about people and jobs (`review.workload`: who is active, jobs nobody eligible can take, the
team's exposure). Each number counts the jobs of a `JobSelection`, so that `Overview.link` gives it
the address of the jobs behind it. Golden jobs (tests of reviewers) are counted in no figure.

Filters: `policy` matches a job's policy and its children (`hate_speech` takes in
`hate_speech.slurs`); `language` the job's language; `vendor` keeps the queues that vendor works,
and counts only the decisions, leases and reviewers of that vendor's people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.clock import utc_midnight
from bastion.insight.metrics.backends import shared_store
from bastion.policy.service import current_policies
from bastion.review.config import QueueSpec, ReviewConfig
from bastion.review.jobs import JobStatus
from bastion.review.supervisor_figures import QueueFigures, Scope, supervisor_figures
from bastion.review.workload.exposure import HarmExposure, team_exposure
from bastion.review.workload.people import active_reviewers, unreachable_by_queue
from bastion.review.workload.selection import (
    AGE_BUCKETS,
    BUCKET_LABELS,
    SLA_STATES,
    JobSelection,
    eligible_languages,
    vendor_queues,
)
from bastion.store.schema import Job, User

__all__ = ["BUCKET_LABELS", "DEFAULT_WINDOW", "Overview", "OverviewFilters", "filter_options", "overview"]

DEFAULT_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class OverviewFilters:
    policy: str | None = None
    language: str | None = None
    vendor: str | None = None

    @property
    def active(self) -> bool:
        return any((self.policy, self.language, self.vendor))

    @property
    def selection(self) -> JobSelection:
        return JobSelection(policy=self.policy, language=self.language, vendor=self.vendor)


@dataclass(frozen=True)
class QueueHealth:
    name: str
    title: str
    kind: str
    sla_hours: float
    backlog: int
    open: int
    claimed: int
    held: int
    overdue: int
    oldest_age_hours: float | None
    age_buckets: dict[str, int]
    sla_states: dict[str, int]  # on_track, due_soon, overdue: the backlog against its deadlines
    unreachable: int  # open jobs no eligible reviewer can take (language, vendor)
    decided: int  # jobs decided in the window
    decided_in_sla: int
    sla_attainment: float | None  # None when nothing was decided in the window
    active_reviewers: int


@dataclass(frozen=True)
class ReviewerActivity:
    reviewer: str
    vendor: str | None
    decisions: int
    mean_seconds: float
    last_decided_at: datetime
    active: bool


@dataclass(frozen=True)
class Totals:
    backlog: int
    overdue: int
    unreachable: int
    decided: int
    decided_in_sla: int
    sla_attainment: float | None
    active_reviewers: int
    decisions: int


@dataclass(frozen=True)
class FlowPoint:
    start: datetime
    end: datetime | None
    inflow: int
    decided: int


@dataclass(frozen=True)
class Overview:
    generated_at: datetime
    window_start: datetime
    window_days: float
    filters: OverviewFilters
    queues: list[QueueHealth]
    reviewers: list[ReviewerActivity]
    totals: Totals
    flow: list[FlowPoint]
    flow_step_hours: float
    exposure: list[HarmExposure]

    @property
    def selection(self) -> JobSelection:
        return self.filters.selection

    def link(self, number: str, queue: str | None = None, **detail: Any) -> str:
        """The jobs listing of the jobs behind one number of this overview.

        `number`: backlog, open, claimed, held, overdue, unreachable, decided, in_sla, age (with
        `age=` a bucket key), sla (with `sla=` a state), reviewer (with `reviewer=` a name), inflow and
        decided_in_period (with `period=` an index into `flow`).
        """
        base = self.selection.narrowed(queue=queue)
        window = base.narrowed(status="decided", decided_from=self.window_start)
        chosen = {
            "backlog": lambda: base.narrowed(status="backlog"),
            "open": lambda: base.narrowed(status="open"),
            "claimed": lambda: base.narrowed(status="claimed"),
            "held": lambda: base.narrowed(status="held"),
            "overdue": lambda: base.narrowed(status="backlog", overdue=True),
            "unreachable": lambda: base.narrowed(status="open", unreachable=True),
            "age": lambda: base.narrowed(status="backlog", age=detail["age"]),
            "sla": lambda: base.narrowed(status="backlog", sla=detail["sla"]),
            "decided": lambda: window,
            "in_sla": lambda: window.narrowed(in_sla=True),
            "reviewer": lambda: base.narrowed(reviewer=detail["reviewer"], decision_from=self.window_start),
            "inflow": lambda: base.narrowed(
                created_from=self.flow[detail["period"]].start, created_to=self.flow[detail["period"]].end
            ),
            "decided_in_period": lambda: base.narrowed(
                status="decided",
                decided_from=self.flow[detail["period"]].start,
                decided_to=self.flow[detail["period"]].end,
            ),
        }[number]()
        return chosen.link


@dataclass(frozen=True)
class FilterOptions:
    """What the filter menus offer: known policies by name, languages seen on jobs, vendors of queues and users."""

    policies: list[tuple[str, str]] = field(default_factory=list)  # (id, title)
    languages: list[str] = field(default_factory=list)
    vendors: list[str] = field(default_factory=list)


def overview(
    session: Session,
    config: ReviewConfig,
    *,
    now: datetime,
    filters: OverviewFilters = OverviewFilters(),
    window: timedelta = DEFAULT_WINDOW,
) -> Overview:
    """The state of every queue (those of `filters.vendor` only, when given) and of the reviewers."""
    base = filters.selection
    names = vendor_queues(config, filters.vendor)
    specs = [q for q in config.queues if q.name in set(names)]
    window_start = now - window
    step, flow_start = _flow_span(window, now)
    starts = [start for start, _ in _periods(flow_start, now, step)]
    scope = Scope(tuple(names), filters.policy, filters.language, filters.vendor)
    backend = shared_store(session.get_bind().engine.url)
    figures = supervisor_figures(backend, config, scope, now=now, window_start=window_start, flow=starts, step=step)
    unreachable = unreachable_by_queue(session, config, base, eligible_languages(session, config), now=now)
    active_by_queue = active_reviewers(session, config, base, now=now)
    everyone_active: set[str] = set().union(*active_by_queue.values())
    reviewers = [
        ReviewerActivity(
            r.reviewer, r.vendor, r.decisions, r.mean_seconds, r.last_decided_at, r.reviewer in everyone_active
        )
        for r in figures.reviewers
    ]
    queues = [
        _health(
            spec,
            figures.queues.get(spec.name, QueueFigures()),
            unreachable.get(spec.name, 0),
            len(active_by_queue.get(spec.name, ())),
        )
        for spec in specs
    ]
    decided_total = sum(q.decided for q in queues)
    in_sla_total = sum(q.decided_in_sla for q in queues)
    totals = Totals(
        backlog=sum(q.backlog for q in queues),
        overdue=sum(q.overdue for q in queues),
        unreachable=sum(q.unreachable for q in queues),
        decided=decided_total,
        decided_in_sla=in_sla_total,
        sla_attainment=share(in_sla_total, decided_total),
        active_reviewers=len(everyone_active),
        decisions=sum(r.decisions for r in reviewers),
    )
    ends = [*starts[1:], None]
    points = [
        FlowPoint(start, end, inflow, decided)
        for start, end, inflow, decided in zip(starts, ends, figures.inflow, figures.decided, strict=True)
    ]
    return Overview(
        generated_at=now,
        window_start=window_start,
        window_days=window.total_seconds() / 86_400,
        filters=filters,
        queues=queues,
        reviewers=reviewers,
        totals=totals,
        flow=points,
        flow_step_hours=step.total_seconds() / 3600,
        exposure=team_exposure(session, config, base, now=now),
    )


def _flow_span(window: timedelta, now: datetime) -> tuple[timedelta, datetime]:
    """Hours over a window of a day or less, else UTC days: the last period is the one running now."""
    if window <= timedelta(days=1):
        hour = now.replace(minute=0, second=0, microsecond=0)
        return timedelta(hours=1), hour - timedelta(hours=23)
    days = max(1, round(window.total_seconds() / 86_400))
    return timedelta(days=1), utc_midnight(now) - timedelta(days=days - 1)


def filter_options(session: Session, config: ReviewConfig) -> FilterOptions:
    records = current_policies(session)
    policies = sorted(((pid, rec.policy.title) for pid, rec in records.items()), key=lambda p: p[0])
    languages = sorted(
        str(lang) for lang in session.scalars(select(Job.language).where(Job.language.is_not(None)).distinct())
    )
    vendors = {v for q in config.queues for v in q.vendors}
    vendors |= {str(v) for v in session.scalars(select(User.vendor).where(User.vendor.is_not(None)).distinct())}
    return FilterOptions(policies, languages, sorted(vendors))


def _periods(start: datetime, now: datetime, step: timedelta) -> list[tuple[datetime, datetime | None]]:
    """[start, start + step), …, [last start, open end): the last period reaches now and beyond."""
    bounds: list[datetime] = []
    moment = start
    while moment < now:
        bounds.append(moment)
        moment += step
    return [(b, bounds[i + 1] if i + 1 < len(bounds) else None) for i, b in enumerate(bounds)]


def share(part: int, whole: int) -> float | None:
    """part / whole to four places; None when the whole is 0: no attainment to speak of, not 0 %."""
    return round(part / whole, 4) if whole else None


def _health(spec: QueueSpec, figures: QueueFigures, unreachable: int, active: int) -> QueueHealth:
    oldest = figures.oldest_waiting_hours
    return QueueHealth(
        name=spec.name,
        title=spec.title,
        kind=spec.kind,
        sla_hours=spec.sla_hours,
        backlog=figures.backlog,
        open=figures.statuses.get(JobStatus.OPEN.value, 0),
        claimed=figures.statuses.get(JobStatus.CLAIMED.value, 0),
        held=figures.statuses.get(JobStatus.HELD.value, 0),
        overdue=figures.sla_states.get("overdue", 0),
        oldest_age_hours=round(oldest, 2) if oldest is not None else None,
        age_buckets={b.label: figures.age_buckets.get(b.key, 0) for b in AGE_BUCKETS},
        sla_states={state: figures.sla_states.get(state, 0) for state in SLA_STATES},
        unreachable=unreachable,
        decided=figures.decided,
        decided_in_sla=figures.decided_in_sla,
        sla_attainment=share(figures.decided_in_sla, figures.decided),
        active_reviewers=active,
    )
