"""Throughput: inflow against decisions over time, decisions and handle time per reviewer, who is active.

- inflow: jobs opened in a period (whatever became of them); decided: jobs decided in that period.
- decisions per reviewer: every decision in the window (each round of a double review counts), with
  the mean handle time (`seconds_spent`: from claim to decision).
- active reviewers: people holding an unexpired lease now, or who decided in the last hour.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import Session

from bastion.clock import as_utc
from bastion.metrics.selection import JobSelection, decision_conditions, job_conditions
from bastion.review.config import ReviewConfig
from bastion.review.jobs import JobStatus
from bastion.store.schema import Decision, Job, User

ACTIVE_WITHIN = timedelta(hours=1)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime | None  # None: still running (the last period has no end)
    inflow: int
    decided: int
    inflow_selection: JobSelection
    decided_selection: JobSelection


def periods(start: datetime, now: datetime, step: timedelta) -> list[tuple[datetime, datetime | None]]:
    """[start, start + step), …, [last start, open end): the last period reaches now and beyond."""
    bounds: list[datetime] = []
    moment = start
    while moment < now:
        bounds.append(moment)
        moment += step
    return [(b, bounds[i + 1] if i + 1 < len(bounds) else None) for i, b in enumerate(bounds)]


def _period_index(column: Any, spans: list[tuple[datetime, datetime | None]]) -> ColumnElement[int]:
    whens = [(column < end, literal(i)) for i, (_, end) in enumerate(spans) if end is not None]
    if not whens:
        return literal(0)
    return case(*whens, else_=literal(len(spans) - 1))


def flow(
    session: Session,
    config: ReviewConfig,
    selection: JobSelection,
    *,
    start: datetime,
    now: datetime,
    step: timedelta,
) -> list[Period]:
    """Jobs opened and jobs decided per period from `start` to now."""
    spans = periods(start, now, step)
    if not spans:
        return []
    opened = job_conditions(selection.narrowed(created_from=start), config=config, now=now)
    decided = job_conditions(selection.narrowed(status="decided", decided_from=start), config=config, now=now)
    counts: dict[str, dict[int, int]] = {"inflow": defaultdict(int), "decided": defaultdict(int)}
    for name, column, conditions in (("inflow", Job.created_at, opened), ("decided", Job.decided_at, decided)):
        inner = select(_period_index(column, spans).label("period")).where(*conditions).subquery()
        for index, n in session.execute(select(inner.c.period, func.count()).group_by(inner.c.period)):
            counts[name][int(index)] = int(n)
    return [
        Period(
            start=begin,
            end=end,
            inflow=counts["inflow"][i],
            decided=counts["decided"][i],
            inflow_selection=selection.narrowed(created_from=begin, created_to=end),
            decided_selection=selection.narrowed(status="decided", decided_from=begin, decided_to=end),
        )
        for i, (begin, end) in enumerate(spans)
    ]


@dataclass(frozen=True)
class ReviewerDecisions:
    user_pk: int
    reviewer: str
    vendor: str | None
    decisions: int
    mean_seconds: float
    last_decided_at: datetime


def decisions_by_reviewer(
    session: Session, config: ReviewConfig, selection: JobSelection, *, start: datetime, now: datetime
) -> list[ReviewerDecisions]:
    """Decisions made since `start` on the jobs of `selection`, per reviewer, busiest first.

    `selection.narrowed(reviewer=name, decision_from=start)` lists the jobs behind each count.
    """
    jobs = job_conditions(selection, config=config, now=now)
    made = decision_conditions(selection.narrowed(decision_from=start))
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
        .where(*jobs, *made)
        .group_by(User.pk, User.name, User.vendor)
    )
    found = [
        ReviewerDecisions(int(pk), name, vendor, int(n), round(float(mean or 0.0), 1), as_utc(last))
        for pk, name, vendor, n, mean, last in session.execute(query)
    ]
    return sorted(found, key=lambda r: (-r.decisions, r.reviewer))


def active_reviewers(
    session: Session, config: ReviewConfig, selection: JobSelection, *, now: datetime
) -> dict[str, set[int]]:
    """{queue: user pks} of people holding a live lease there now, or who decided there in the last hour."""
    jobs = job_conditions(selection, config=config, now=now)
    leases = select(Job.queue, Job.lease_owner).where(
        Job.status == JobStatus.CLAIMED.value, Job.lease_expires_at > now, Job.lease_owner.is_not(None), *jobs
    )
    recent = (
        select(Job.queue, Decision.reviewer_pk)
        .join(Job, Job.pk == Decision.job_pk)
        .where(Decision.decided_at >= now - ACTIVE_WITHIN, Decision.decided_at <= now, *jobs)
    )
    if selection.vendor is not None:
        leases = leases.join(User, User.pk == Job.lease_owner).where(User.vendor == selection.vendor)
        recent = recent.join(User, User.pk == Decision.reviewer_pk).where(User.vendor == selection.vendor)
    active: dict[str, set[int]] = defaultdict(set)
    for queue, user_pk in [*session.execute(leases.distinct()), *session.execute(recent.distinct())]:
        if user_pk is not None:
            active[str(queue)].add(int(user_pk))
    return dict(active)
