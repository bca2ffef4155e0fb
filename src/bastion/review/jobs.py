"""Jobs: their states, the one constructor every kind of job goes through, and the reading of jobs.

Intake (reports and rules), appeals and escalations all open work here, so a job's harm type, reviews
required, priority, claim rank and SLA are computed one way whatever asked for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.domain.events import EventEntity, EventKind, NewEvent
from bastion.domain.happened import JobCreated
from bastion.domain.policy import harm_type
from bastion.domain.review import JobKind, JobStatus
from bastion.domain.subjects import SubjectType
from bastion.plugins import announce
from bastion.review.config import QueueSpec
from bastion.review.priority import PriorityInputs, base_priority, claim_rank, priority_terms
from bastion.store.schema import Job

__all__ = ["OPEN_STATES", "JobKind", "JobStatus", "NewJob", "create_job", "open_job", "requeue"]

OPEN_STATES = (JobStatus.OPEN.value, JobStatus.CLAIMED.value, JobStatus.HELD.value)


@dataclass(frozen=True)
class NewJob:
    """What asks for a decision: on which subject, about which policy, with what the ranking needs."""

    kind: JobKind
    subject_type: SubjectType
    subject_pk: int
    policy_id: str | None
    inputs: PriorityInputs  # severity, confidence, reach and weighted reports
    language: str | None = None
    country: str | None = None
    surface: str | None = None
    report_count: int = 0
    rule_id: str | None = None
    rule_version: int | None = None
    golden_pk: int | None = None  # a golden item served (quality/golden_serving.py); never shown


def create_job(
    session: Session,
    queue: QueueSpec,
    new: NewJob,
    *,
    config_version: int,
    now: datetime,
    principal: str,
    events: list[NewEvent],
) -> Job:
    """Open the job in `queue`. Its `job.created` event is added to `events`, which the caller appends
    with its own in one statement; the `job_created` hook hears of it after commit."""
    severity = new.inputs.severity
    terms = priority_terms(new.inputs, queue.priority_weights)
    base = base_priority(terms)
    job = Job(
        queue=queue.name,
        kind=new.kind.value,
        subject_type=new.subject_type.value,
        subject_pk=new.subject_pk,
        status=JobStatus.OPEN.value,
        policy_hint=new.policy_id,
        harm_type=harm_type(new.policy_id),
        severity=severity,
        language=new.language,
        country=new.country,
        surface=new.surface,
        priority=base,
        priority_terms=terms
        | {"weighted_reports": new.inputs.weighted_reports, "confidence_input": new.inputs.confidence},
        claim_rank=claim_rank(base, now, queue.sla_hours, queue.priority_weights),
        report_count=new.report_count,
        reviews_required=queue.reviews_for(severity),
        reviews_done=0,
        created_at=now,
        sla_due_at=now + timedelta(hours=queue.sla_hours),
        rule_id=new.rule_id,
        rule_version=new.rule_version,
        config_version=config_version,
        golden_pk=new.golden_pk,
    )
    session.add(job)
    session.flush()
    events.append(NewEvent(EventKind.JOB_CREATED, EventEntity.JOB, job.pk, now, principal, {"queue": queue.name}))
    announce(
        session,
        JobCreated(job.pk, queue.name, job.kind, job.subject_type, job.subject_pk, job.harm_type, principal, now),
    )
    return job


def requeue(job: Job, queue: QueueSpec, *, now: datetime) -> None:
    """Move an open job to another queue (an escalation): that queue's kind, SLA and reviews required,
    ranked afresh there with its age counted from now."""
    job.queue = queue.name
    job.kind = queue.kind
    job.sla_due_at = now + timedelta(hours=queue.sla_hours)
    job.reviews_required = max(job.reviews_required, queue.reviews_for(job.severity))
    job.claim_rank = claim_rank(job.priority, now, queue.sla_hours, queue.priority_weights)


def open_job(session: Session, queue: str, subject_type: str, subject_pk: int) -> Job | None:
    """The subject's open job in the queue, if any: there is at most one (a partial unique index). Golden
    jobs never count: a report on a golden item's content opens a real job beside the golden one."""
    return session.scalars(
        select(Job).where(
            Job.queue == queue,
            Job.subject_type == subject_type,
            Job.subject_pk == subject_pk,
            Job.status.in_(OPEN_STATES),
            Job.golden_pk.is_(None),
        )
    ).first()
