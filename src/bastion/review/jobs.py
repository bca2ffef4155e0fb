"""Job states and the reading of jobs."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.store.schema import Job


class JobStatus(StrEnum):
    OPEN = "open"  # waiting for a reviewer
    CLAIMED = "claimed"  # leased to a reviewer until lease_expires_at
    HELD = "held"  # parked by a reviewer (e.g. waiting for context); not claimable
    DECIDED = "decided"
    CANCELLED = "cancelled"


OPEN_STATES = (JobStatus.OPEN.value, JobStatus.CLAIMED.value, JobStatus.HELD.value)


def open_job(session: Session, queue: str, subject_type: str, subject_pk: int) -> Job | None:
    """The subject's open job in the queue, if any: there is at most one (a partial unique index)."""
    return session.scalars(
        select(Job).where(
            Job.queue == queue,
            Job.subject_type == subject_type,
            Job.subject_pk == subject_pk,
            Job.status.in_(OPEN_STATES),
        )
    ).first()
