"""The supervisor's overview: backlog, age, SLA attainment and who is working, per queue.

One service call feeds the supervisor page and its JSON twin (`GET /api/v1/review/overview`).
Every filter is applied in SQL. Definitions (also in docs/review.md):

- backlog: jobs open, claimed or held now; overdue: those already past their SLA deadline.
- age buckets: the backlog by time since the job was opened: <1 h, <24 h, <48 h, older.
- SLA attainment: of the jobs decided in the window, the share decided at or before `sla_due_at`.
- active reviewers: people holding an unexpired lease now, or who decided in the last hour.
- decisions per reviewer: every decision (each round of a double review counts) in the window.

Filters: `policy` matches a job's policy and its children (`hate_speech` takes in
`hate_speech.slurs`); `language` the job's language; `vendor` keeps the queues that vendor works,
and counts only the decisions, leases and reviewers of that vendor's people.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from bastion.clock import as_utc
from bastion.policy.service import current_policies
from bastion.review.config import QueueSpec, ReviewConfig
from bastion.review.jobs import OPEN_STATES, JobStatus
from bastion.store.schema import Decision, Job, User

DEFAULT_WINDOW = timedelta(days=7)
ACTIVE_WITHIN = timedelta(hours=1)
# (label, upper bound of age); the last bucket has none.
AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("<1 h", timedelta(hours=1)),
    ("<24 h", timedelta(hours=24)),
    ("<48 h", timedelta(hours=48)),
    ("older", None),
)
BUCKET_LABELS = tuple(label for label, _ in AGE_BUCKETS)


@dataclass(frozen=True)
class OverviewFilters:
    policy: str | None = None
    language: str | None = None
    vendor: str | None = None

    @property
    def active(self) -> bool:
        return any((self.policy, self.language, self.vendor))


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
    decided: int
    decided_in_sla: int
    sla_attainment: float | None
    active_reviewers: int
    decisions: int


@dataclass(frozen=True)
class Overview:
    generated_at: datetime
    window_start: datetime
    window_days: float
    filters: OverviewFilters
    queues: list[QueueHealth]
    reviewers: list[ReviewerActivity]
    totals: Totals


@dataclass(frozen=True)
class FilterOptions:
    """What the filter menus offer: known policies, languages seen on jobs, vendors of queues and users."""

    policies: list[str] = field(default_factory=list)
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
    specs = [q for q in config.queues if filters.vendor is None or filters.vendor in q.vendors]
    names = [q.name for q in specs]
    window_start = now - window
    backlog = _backlog(session, names, filters, now)
    decided = _decided(session, names, filters, window_start, now)
    active_by_queue = _active_reviewers(session, filters, now)
    everyone_active: set[int] = set().union(*active_by_queue.values())
    reviewers = _reviewers(session, filters, window_start, now, everyone_active)
    queues = [
        _health(spec, backlog.get(spec.name, _Backlog()), decided.get(spec.name), active_by_queue, now)
        for spec in specs
    ]
    decided_total = sum(q.decided for q in queues)
    in_sla_total = sum(q.decided_in_sla for q in queues)
    totals = Totals(
        backlog=sum(q.backlog for q in queues),
        overdue=sum(q.overdue for q in queues),
        decided=decided_total,
        decided_in_sla=in_sla_total,
        sla_attainment=_share(in_sla_total, decided_total),
        active_reviewers=len(everyone_active),
        decisions=sum(r.decisions for r in reviewers),
    )
    return Overview(now, window_start, window.total_seconds() / 86_400, filters, queues, reviewers, totals)


def filter_options(session: Session, config: ReviewConfig) -> FilterOptions:
    policies = sorted(current_policies(session))
    languages = sorted(
        str(lang) for lang in session.scalars(select(Job.language).where(Job.language.is_not(None)).distinct())
    )
    vendors = {v for q in config.queues for v in q.vendors}
    vendors |= {str(v) for v in session.scalars(select(User.vendor).where(User.vendor.is_not(None)).distinct())}
    return FilterOptions(policies, languages, sorted(vendors))


def _job_conditions(filters: OverviewFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.policy:
        conditions.append(
            or_(Job.policy_hint == filters.policy, Job.policy_hint.startswith(f"{filters.policy}.", autoescape=True))
        )
    if filters.language:
        conditions.append(Job.language == filters.language)
    return conditions


@dataclass
class _Backlog:
    """One queue's open work while it is being counted."""

    statuses: dict[str, int] = field(default_factory=dict)
    buckets: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    oldest: datetime | None = None


def _backlog(session: Session, names: list[str], filters: OverviewFilters, now: datetime) -> dict[str, _Backlog]:
    whens = [(Job.created_at > now - bound, label) for label, bound in AGE_BUCKETS if bound is not None]
    # A subquery, so that the groups are by a named column: PostgreSQL would not see two renderings of
    # the same CASE (with their own bound parameters) as one expression.
    inner = (
        select(
            Job.queue.label("queue"),
            Job.status.label("status"),
            case(*whens, else_=BUCKET_LABELS[-1]).label("bucket"),
            Job.created_at.label("created_at"),
            case((Job.sla_due_at < now, 1), else_=0).label("overdue"),
        )
        .where(Job.status.in_(OPEN_STATES), Job.queue.in_(names), *_job_conditions(filters))
        .subquery()
    )
    rows = session.execute(
        select(
            inner.c.queue,
            inner.c.status,
            inner.c.bucket,
            func.count(),
            func.min(inner.c.created_at),
            func.sum(inner.c.overdue),
        ).group_by(inner.c.queue, inner.c.status, inner.c.bucket)
    )
    found: dict[str, _Backlog] = defaultdict(_Backlog)
    for queue, status, bucket, count, oldest, late in rows:
        entry = found[str(queue)]
        entry.statuses[status] = entry.statuses.get(status, 0) + int(count)
        entry.buckets[bucket] = entry.buckets.get(bucket, 0) + int(count)
        entry.overdue += int(late or 0)
        first = as_utc(oldest) if oldest is not None else None
        if first is not None and (entry.oldest is None or first < entry.oldest):
            entry.oldest = first
    return found


def _decided(
    session: Session, names: list[str], filters: OverviewFilters, start: datetime, now: datetime
) -> dict[str, tuple[int, int]]:
    on_time = func.sum(case((Job.decided_at <= Job.sla_due_at, 1), else_=0))
    query = select(Job.queue, func.count(Job.pk), on_time).where(
        Job.status == JobStatus.DECIDED.value,
        Job.decided_at >= start,
        Job.decided_at <= now,
        Job.queue.in_(names),
        *_job_conditions(filters),
    )
    if filters.vendor is not None:
        query = (
            query.join(Decision, and_(Decision.job_pk == Job.pk, Decision.final.is_(True)))
            .join(User, User.pk == Decision.reviewer_pk)
            .where(User.vendor == filters.vendor)
        )
    return {queue: (int(n), int(ok or 0)) for queue, n, ok in session.execute(query.group_by(Job.queue))}


def _active_reviewers(session: Session, filters: OverviewFilters, now: datetime) -> dict[str, set[int]]:
    """{queue: user pks} of people holding a live lease there now, or who decided there in the last hour."""
    leases = select(Job.queue, Job.lease_owner).where(
        Job.status == JobStatus.CLAIMED.value,
        Job.lease_expires_at > now,
        Job.lease_owner.is_not(None),
        *_job_conditions(filters),
    )
    recent = (
        select(Job.queue, Decision.reviewer_pk)
        .join(Job, Job.pk == Decision.job_pk)
        .where(Decision.decided_at >= now - ACTIVE_WITHIN, Decision.decided_at <= now, *_job_conditions(filters))
    )
    if filters.vendor is not None:
        leases = leases.join(User, User.pk == Job.lease_owner).where(User.vendor == filters.vendor)
        recent = recent.join(User, User.pk == Decision.reviewer_pk).where(User.vendor == filters.vendor)
    active: dict[str, set[int]] = defaultdict(set)
    for queue, user_pk in [*session.execute(leases.distinct()), *session.execute(recent.distinct())]:
        if user_pk is not None:
            active[str(queue)].add(int(user_pk))
    return active


def _reviewers(
    session: Session, filters: OverviewFilters, start: datetime, now: datetime, active: set[int]
) -> list[ReviewerActivity]:
    query = (
        select(
            User.pk,
            User.name,
            User.vendor,
            func.count(Decision.pk),
            func.avg(Decision.seconds_spent),
            func.max(Decision.decided_at),
        )
        .join(Decision, Decision.reviewer_pk == User.pk)
        .join(Job, Job.pk == Decision.job_pk)
        .where(Decision.decided_at >= start, Decision.decided_at <= now, *_job_conditions(filters))
        .group_by(User.pk, User.name, User.vendor)
    )
    if filters.vendor is not None:
        query = query.where(User.vendor == filters.vendor)
    found = [
        ReviewerActivity(
            reviewer=name,
            vendor=vendor,
            decisions=int(count),
            mean_seconds=round(float(mean or 0.0), 1),
            last_decided_at=as_utc(last),
            active=pk in active,
        )
        for pk, name, vendor, count, mean, last in session.execute(query)
    ]
    return sorted(found, key=lambda r: (-r.decisions, r.reviewer))


def _health(
    spec: QueueSpec,
    backlog: _Backlog,
    decided: tuple[int, int] | None,
    active_by_queue: dict[str, set[int]],
    now: datetime,
) -> QueueHealth:
    done, in_sla = decided or (0, 0)
    oldest = backlog.oldest
    return QueueHealth(
        name=spec.name,
        title=spec.title,
        kind=spec.kind,
        sla_hours=spec.sla_hours,
        backlog=sum(backlog.statuses.values()),
        open=backlog.statuses.get(JobStatus.OPEN.value, 0),
        claimed=backlog.statuses.get(JobStatus.CLAIMED.value, 0),
        held=backlog.statuses.get(JobStatus.HELD.value, 0),
        overdue=backlog.overdue,
        oldest_age_hours=round((now - oldest).total_seconds() / 3600, 2) if oldest is not None else None,
        age_buckets={label: backlog.buckets.get(label, 0) for label in BUCKET_LABELS},
        decided=done,
        decided_in_sla=in_sla,
        sla_attainment=_share(in_sla, done),
        active_reviewers=len(active_by_queue.get(spec.name, set())),
    )


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
