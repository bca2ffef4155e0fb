"""Appeals: the affected account contests an action; a reviewer who did not decide it re-decides.

Upheld: the action stands. Overturned: the action is reversed and the platform told to restore.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.domain.events import EventEntity, EventKind, NewEvent
from bastion.domain.policy import Action, harm_type
from bastion.errors import Conflict, FieldError, InvalidInput
from bastion.review.claims import exclude_reviewer
from bastion.review.config_store import current_review_config
from bastion.review.enforcement import reverse, target_of
from bastion.review.jobs import JobStatus, open_job
from bastion.review.priority import PriorityInputs, base_priority, claim_rank, priority_terms
from bastion.store.events import append_events
from bastion.store.schema import Appeal, Decision, EnforcementAction, Job

APPEALABLE = frozenset(a.value for a in Action) - {Action.RESTORE.value, Action.ESCALATE.value}


@dataclass(frozen=True)
class AppealRequest:
    id: str
    action_id: int
    text: str | None
    filed_at: datetime


def file_appeal(session: Session, request: AppealRequest, *, now: datetime, principal: str) -> tuple[Appeal, bool]:
    """Open an appeal and its job in the appeals queue, recorded in the audit log; returns (appeal, created).

    Sending an id again is a no-op."""
    known = session.scalar(select(Appeal).where(Appeal.external_id == request.id))
    if known is not None:
        return known, False
    action = session.get(EnforcementAction, request.action_id)
    if action is None:
        raise InvalidInput("unknown action", [FieldError("action_id", f"no enforcement action {request.action_id}")])
    if action.action not in APPEALABLE:
        raise InvalidInput("not appealable", [FieldError("action_id", f"a {action.action} cannot be appealed")])
    if action.reversed_at is not None:
        raise Conflict(f"action {action.pk} was already reversed")
    target = target_of(session, action.subject_type, action.subject_pk)
    job = _appeal_job(session, action, now=now, principal=principal)
    appeal = Appeal(
        external_id=request.id,
        action_pk=action.pk,
        actor_pk=target.actor_pk,
        text=(request.text or "")[:5000] or None,
        filed_at=request.filed_at,
        status="open",
        job_pk=job.pk,
    )
    session.add(appeal)
    session.flush()
    # Whoever decided the action may not judge the appeal.
    if action.decision_pk is not None:
        decided = session.get_one(Decision, action.decision_pk)
        for reviewer_pk in session.scalars(select(Decision.reviewer_pk).where(Decision.job_pk == decided.job_pk)):
            exclude_reviewer(session, job.pk, reviewer_pk)
    append_events(
        session,
        [
            NewEvent(
                EventKind.APPEAL_FILED,
                EventEntity.JOB,
                job.pk,
                now,
                principal,
                {"appeal": request.id, "action": action.pk},
            )
        ],
        recorded_at=now,
    )
    audit_log.record(session, principal=principal, action="appeal.file", target=f"appeal:{request.id}", at=now)
    return appeal, True


def _appeal_job(session: Session, action: EnforcementAction, *, now: datetime, principal: str) -> Job:
    loaded = current_review_config(session)
    queue = loaded.config.queue(loaded.config.appeals_queue)
    existing = open_job(session, queue.name, action.subject_type, action.subject_pk)
    if existing is not None:
        return existing
    severity = 1
    terms = priority_terms(PriorityInputs(severity, 0.0, 0, 0, 1.0), queue.priority_weights)
    base = base_priority(terms)
    job = Job(
        queue=queue.name,
        kind="appeal",
        subject_type=action.subject_type,
        subject_pk=action.subject_pk,
        status=JobStatus.OPEN.value,
        policy_hint=action.policy_id,
        harm_type=harm_type(action.policy_id) if action.policy_id else None,
        severity=severity,
        priority=base,
        priority_terms=terms,
        claim_rank=claim_rank(base, now, queue.sla_hours, queue.priority_weights),
        reviews_required=queue.reviews_required,
        created_at=now,
        sla_due_at=now + timedelta(hours=queue.sla_hours),
        config_version=loaded.version,
    )
    session.add(job)
    session.flush()
    append_events(
        session,
        [NewEvent(EventKind.JOB_CREATED, EventEntity.JOB, job.pk, now, principal, {"queue": queue.name})],
        recorded_at=now,
    )
    return job


def resolve(session: Session, job: Job, verdict: Decision, *, now: datetime, principal: str) -> list[EnforcementAction]:
    """Close every open appeal on this job: uphold, or overturn and restore."""
    taken = []
    for appeal in session.scalars(select(Appeal).where(Appeal.job_pk == job.pk, Appeal.status == "open")):
        overturned = verdict.action == "overturn"
        appeal.status = "overturned" if overturned else "upheld"
        appeal.resolved_at = now
        if overturned:
            original = session.get_one(EnforcementAction, appeal.action_pk)
            if original.reversed_at is None:
                taken.append(
                    reverse(
                        session,
                        original.pk,
                        reason="appeal_overturned",
                        note=f"Appeal {appeal.external_id}.",
                        now=now,
                        principal=principal,
                    )
                )
        append_events(
            session,
            [
                NewEvent(
                    EventKind.APPEAL_RESOLVED,
                    EventEntity.JOB,
                    job.pk,
                    now,
                    principal,
                    {"appeal": appeal.external_id, "outcome": appeal.status},
                )
            ],
            recorded_at=now,
        )
    return taken
