"""People and the work they can take: who is active now, and open jobs nobody eligible can claim.

- active reviewers: people holding an unexpired lease now, or who decided in the last hour (on any
  job, golden ones too: deciding one is work).
- unreachable: open jobs that no active reviewer who may work the queue can claim, because nobody
  may work it at all or nobody eligible speaks the job's language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion.review.config import ReviewConfig
from bastion.review.jobs import JobStatus
from bastion.review.workload.selection import JobSelection, job_conditions, unreachable_condition
from bastion.store.schema import Decision, Job, User

ACTIVE_WITHIN = timedelta(hours=1)


def unreachable_by_queue(
    session: Session,
    config: ReviewConfig,
    selection: JobSelection,
    coverage: Mapping[str, frozenset[str] | None],
    *,
    now: datetime,
) -> dict[str, int]:
    """{queue: open jobs no eligible reviewer can take}, only queues with some."""
    conditions = job_conditions(selection.narrowed(status="open"), config=config, now=now)
    rows = session.execute(
        select(Job.queue, func.count()).where(*conditions, unreachable_condition(coverage)).group_by(Job.queue)
    )
    return {str(queue): int(n) for queue, n in rows if n}


def active_reviewers(
    session: Session, config: ReviewConfig, selection: JobSelection, *, now: datetime
) -> dict[str, set[str]]:
    """{queue: names} of people holding a live lease there now, or who decided there in the last hour."""
    jobs = job_conditions(selection.narrowed(with_golden=True), config=config, now=now)
    leases = (
        select(Job.queue, User.name)
        .join(User, User.pk == Job.lease_owner)
        .where(Job.status == JobStatus.CLAIMED.value, Job.lease_expires_at > now, *jobs)
    )
    recent = (
        select(Job.queue, User.name)
        .select_from(Decision)
        .join(Job, Job.pk == Decision.job_pk)
        .join(User, User.pk == Decision.reviewer_pk)
        .where(Decision.decided_at >= now - ACTIVE_WITHIN, Decision.decided_at <= now, *jobs)
    )
    if selection.vendor is not None:
        leases = leases.where(User.vendor == selection.vendor)
        recent = recent.where(User.vendor == selection.vendor)
    active: dict[str, set[str]] = defaultdict(set)
    for queue, name in [*session.execute(leases.distinct()), *session.execute(recent.distinct())]:
        active[str(queue)].add(str(name))
    return dict(active)
