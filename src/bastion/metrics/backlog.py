"""Backlog: the jobs not yet done (open, claimed or held), per queue, by status, age and SLA state.

- age buckets: time since the job was opened: <1 h, <24 h, <48 h, older.
- SLA state: overdue (past `sla_due_at`), due soon (less than a quarter of its queue's SLA left),
  on track. Overdue counts as overdue whatever the job's age.
- unreachable: open jobs that no active reviewer who may work the queue can claim, because nobody
  may work it at all or nobody eligible speaks the job's language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from bastion.clock import as_utc
from bastion.metrics.selection import (
    AGE_BUCKETS,
    BUCKET_LABELS,
    JobSelection,
    due_soon_bound,
    job_conditions,
    unreachable_condition,
)
from bastion.review.config import ReviewConfig
from bastion.store.schema import Job


@dataclass
class Backlog:
    """One queue's work not yet done."""

    statuses: dict[str, int] = field(default_factory=dict)
    age_buckets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKET_LABELS, 0))
    sla_states: dict[str, int] = field(default_factory=lambda: {"on_track": 0, "due_soon": 0, "overdue": 0})
    oldest: datetime | None = None

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def overdue(self) -> int:
        return self.sla_states["overdue"]


def backlog_by_queue(
    session: Session, config: ReviewConfig, selection: JobSelection, *, now: datetime
) -> dict[str, Backlog]:
    """{queue: its backlog} of the jobs `selection` takes in (its status is set to the backlog's)."""
    conditions = job_conditions(selection.narrowed(status="backlog"), config=config, now=now)
    age_whens = [(Job.created_at > now - b.upper, b.label) for b in AGE_BUCKETS if b.upper is not None]
    soon_whens = [
        (and_(Job.queue == spec.name, Job.sla_due_at < due_soon_bound(config, spec.name, now)), "due_soon")
        for spec in config.queues
    ]
    # A subquery, so that the groups are by named columns: PostgreSQL would not see two renderings of
    # the same CASE (with their own bound parameters) as one expression.
    inner = (
        select(
            Job.queue.label("queue"),
            Job.status.label("status"),
            case(*age_whens, else_=BUCKET_LABELS[-1]).label("bucket"),
            case((Job.sla_due_at < now, "overdue"), *soon_whens, else_="on_track").label("sla"),
            Job.created_at.label("created_at"),
        )
        .where(*conditions)
        .subquery()
    )
    rows = session.execute(
        select(
            inner.c.queue, inner.c.status, inner.c.bucket, inner.c.sla, func.count(), func.min(inner.c.created_at)
        ).group_by(inner.c.queue, inner.c.status, inner.c.bucket, inner.c.sla)
    )
    found: dict[str, Backlog] = defaultdict(Backlog)
    for queue, status, bucket, sla, count, oldest in rows:
        entry = found[str(queue)]
        n = int(count)
        entry.statuses[status] = entry.statuses.get(status, 0) + n
        entry.age_buckets[bucket] += n
        entry.sla_states[sla] += n
        first = as_utc(oldest) if oldest is not None else None
        if first is not None and (entry.oldest is None or first < entry.oldest):
            entry.oldest = first
    return dict(found)


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
