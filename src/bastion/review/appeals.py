"""Appeals: the affected account contests an action; a reviewer who did not decide it re-decides.

Upheld: the action stands. Overturned: the action is reversed and the platform told to restore.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.domain.events import EventEntity, EventKind, NewEvent
from bastion.domain.happened import AppealDecided
from bastion.domain.policy import Action
from bastion.domain.review import AppealStatus, AppealVerdict
from bastion.domain.subjects import SubjectType
from bastion.errors import Conflict, FieldError, InvalidInput
from bastion.plugins import announce
from bastion.policy.service import current_policies
from bastion.review.claims import exclude_reviewer
from bastion.review.config_store import current_review_config
from bastion.review.enforcement import reverse, target_of
from bastion.review.facts import subject_facts
from bastion.review.jobs import JobKind, NewJob, create_job, open_job
from bastion.review.priority import PriorityInputs
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
        status=AppealStatus.OPEN.value,
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
    """The appeal's job: ranked and staffed like any job on the appealed policy, in the language of the
    subject, so the queue's language and double-review rules apply to appeals too."""
    loaded = current_review_config(session)
    queue = loaded.config.queue(loaded.config.appeals_queue)
    existing = open_job(session, queue.name, action.subject_type, action.subject_pk)
    if existing is not None:
        return existing
    subject_type = SubjectType(action.subject_type)
    fact = subject_facts(session, subject_type, {action.subject_pk}).get(action.subject_pk)
    record = current_policies(session).get(action.policy_id) if action.policy_id else None
    severity = record.policy.severity if record else 1
    inputs = PriorityInputs(severity, 0.0, fact.views if fact else 0, fact.followers if fact else 0, 1.0)
    new = NewJob(
        JobKind.APPEAL,
        subject_type,
        action.subject_pk,
        action.policy_id,
        inputs,
        language=fact.language if fact else None,
        country=fact.country if fact else None,
        surface=fact.surface if fact else None,
    )
    events: list[NewEvent] = []
    job = create_job(session, queue, new, config_version=loaded.version, now=now, principal=principal, events=events)
    append_events(session, events, recorded_at=now)
    return job


def resolve(session: Session, job: Job, verdict: Decision, *, now: datetime, principal: str) -> list[EnforcementAction]:
    """Close every open appeal on this job: uphold, or overturn and restore."""
    taken = []
    for appeal in session.scalars(
        select(Appeal).where(Appeal.job_pk == job.pk, Appeal.status == AppealStatus.OPEN.value)
    ):
        overturned = verdict.action == AppealVerdict.OVERTURN
        appeal.status = (AppealStatus.OVERTURNED if overturned else AppealStatus.UPHELD).value
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
        announce(session, AppealDecided(appeal.external_id, job.pk, appeal.status, principal, now))
    return taken
