"""Undo: a reviewer takes a decision back within a few seconds, before its enforcement reaches the platform.

The decision is committed at once, so a crash never loses one. What waits is its enforcement: each
action's webhook message gets a `not_before` time, the end of the undo window (`undo_seconds` in the
review configuration), and the delivery worker never sends a message before it. Within the window,
the reviewer who made the decision may withdraw it:

- the decision is marked withdrawn (it no longer counts: not as the job's verdict, not toward exposure);
- its enforcement actions are cancelled and their messages with them, in the same transaction, only if
  none was ever handed to the worker (`attempts = 0`): an action the platform may have seen is never
  silently dropped;
- strikes those actions counted are voided;
- the job goes back to the reviewer, leased again, to decide afresh.

After the window the decision stands, and undo says so. Appeal decisions cannot be taken back here:
their outcome (an upheld or overturned action) has its own reversal path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.clock import as_utc
from bastion.domain.events import EventEntity, EventKind, NewEvent
from bastion.domain.happened import DecisionWithdrawn
from bastion.domain.review import JobKind, JobStatus
from bastion.domain.subjects import SubjectType
from bastion.errors import Conflict, Forbidden, NotFound
from bastion.plugins import announce
from bastion.review import claims
from bastion.review.config_store import current_review_config
from bastion.review.jobs import open_job
from bastion.review.outbox import DeliveryStatus
from bastion.store.events import append_events
from bastion.store.schema import Decision, EnforcementAction, Job, JobExclusion, Strike, WebhookDelivery


@dataclass(frozen=True)
class UndoOffer:
    """A decision its reviewer may still take back, and for how long."""

    decision_id: int
    job_id: int
    policy: str | None
    action: str
    until: datetime
    seconds_left: float


@dataclass(frozen=True)
class Withdrawn:
    """What an undo did: the decision withdrawn, the job back with its reviewer, the actions cancelled."""

    decision_id: int
    job_id: int
    job_status: str
    lease_expires_at: datetime | None
    cancelled_actions: tuple[int, ...]
    released_job_id: int | None


def undo_window(session: Session) -> timedelta:
    """How long a decision may be taken back, from the review configuration in force."""
    return timedelta(seconds=current_review_config(session).config.undo_seconds)


def hold_enforcement(session: Session, actions: Sequence[EnforcementAction], *, until: datetime) -> None:
    """Keep the messages of a decision's actions from being sent before `until` (the undo window's end)."""
    if not actions or until <= min(as_utc(a.created_at) for a in actions):
        return
    session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.action_pk.in_([a.pk for a in actions]),
            WebhookDelivery.status == DeliveryStatus.PENDING.value,
        )
        .values(not_before=until, next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )


def undo_offer(session: Session, decision_pk: int, reviewer: Principal, *, now: datetime) -> UndoOffer | None:
    """The offer to take this decision back, if it is this reviewer's, still standing and in its window."""
    decision = session.get(Decision, decision_pk)
    if decision is None or decision.reviewer_pk != reviewer.user_pk or decision.withdrawn_at is not None:
        return None
    job = session.get(Job, decision.job_pk)
    if job is None or job.kind == JobKind.APPEAL:
        return None
    until = as_utc(decision.decided_at) + undo_window(session)
    if now >= until:
        return None
    left = (until - now).total_seconds()
    return UndoOffer(decision.pk, decision.job_pk, decision.policy_id, decision.action, until, left)


def withdrawn_choice(session: Session, decision_pk: int, job_pk: int, reviewer: Principal) -> dict[str, str] | None:
    """What a decision this reviewer took back on this job had chosen, to show in the console again."""
    decision = session.get(Decision, decision_pk)
    if (
        decision is None
        or decision.job_pk != job_pk
        or decision.reviewer_pk != reviewer.user_pk
        or decision.withdrawn_at is None
    ):
        return None
    return {"policy": decision.policy_id or "none", "action": decision.action, "rationale": decision.rationale}


def undo_decision(
    session: Session, decision_pk: int, reviewer: Principal, *, now: datetime, release_job: int | None = None
) -> Withdrawn:
    """Withdraw a decision within its undo window; see the module notes. Audited.

    `release_job`: the job "submit and next" handed the reviewer meanwhile, given back to its queue.
    """
    decision = session.get(Decision, decision_pk, with_for_update=True)
    if decision is None:
        raise NotFound(f"no decision {decision_pk}")
    if decision.reviewer_pk != reviewer.user_pk:
        raise Forbidden(f"only the reviewer who made decision {decision_pk} can take it back")
    if decision.withdrawn_at is not None:
        raise Conflict(f"decision {decision_pk} was already taken back")
    job = session.get_one(Job, decision.job_pk, with_for_update=True)
    if job.kind == JobKind.APPEAL:
        raise Conflict("an appeal's decision cannot be taken back; an upheld action can still be restored")
    window = undo_window(session)
    until = as_utc(decision.decided_at) + window
    if now >= until:
        raise Conflict(
            f"too late to undo: decision {decision_pk} could be taken back for {window.total_seconds():g} seconds, "
            f"until {until:%H:%M:%S} UTC; it stands and its enforcement is on its way"
        )
    later = session.scalar(
        select(func.count())
        .select_from(Decision)
        .where(Decision.job_pk == job.pk, Decision.round > decision.round, Decision.withdrawn_at.is_(None))
    )
    if later:
        raise Conflict(f"job {job.pk} has been reviewed again since; decision {decision_pk} stands")
    _require_job_returnable(session, job, decision, reviewer, now)

    cancelled: tuple[int, ...] = ()
    if decision.final:
        cancelled = _cancel_enforcement(session, decision, now=now, principal=reviewer.name)
    decision.withdrawn_at = now
    decision.final = False
    config = current_review_config(session).config
    job.status = JobStatus.CLAIMED.value
    job.lease_owner = reviewer.user_pk
    job.claimed_at = now
    job.lease_expires_at = now + timedelta(minutes=config.lease_minutes)
    job.decided_at = None
    # reviews_required stays: a tiebreak it called for only ever asks for one review more, never fewer.
    job.reviews_done = max(0, job.reviews_done - 1)
    session.execute(delete(JobExclusion).where(JobExclusion.job_pk == job.pk, JobExclusion.user_pk == reviewer.user_pk))

    released = None
    if release_job is not None and release_job != job.pk:
        handed = session.get(Job, release_job)
        if handed is not None and handed.status == JobStatus.CLAIMED and handed.lease_owner == reviewer.user_pk:
            claims.release(session, release_job, reviewer, now=now, reason="undo of the previous decision")
            released = release_job

    details = {
        "job": job.pk,
        "decision": decision.pk,
        "round": decision.round,
        "policy": decision.policy_id,
        "action": decision.action,
        "cancelled_actions": list(cancelled),
    }
    append_events(
        session,
        [
            NewEvent(
                EventKind.DECISION_WITHDRAWN, SubjectType(job.subject_type), job.subject_pk, now, reviewer.name, details
            ),
            NewEvent(EventKind.JOB_CLAIMED, EventEntity.JOB, job.pk, now, reviewer.name, {"undo": decision.pk}),
        ],
        recorded_at=now,
    )
    audit_log.record(
        session,
        principal=reviewer.name,
        action="decision.withdraw",
        target=f"decision:{decision.pk}",
        at=now,
        details=details,
    )
    announce(session, DecisionWithdrawn(decision.pk, job.pk, reviewer.name, cancelled, now))
    return Withdrawn(decision.pk, job.pk, job.status, job.lease_expires_at, cancelled, released)


def _require_job_returnable(session: Session, job: Job, decision: Decision, reviewer: Principal, now: datetime) -> None:
    """The job can go back to its reviewer: nobody else has started its next review, nor a new job on it."""
    if job.status == JobStatus.CLAIMED and job.lease_owner != reviewer.user_pk:
        lease_ends = as_utc(job.lease_expires_at) if job.lease_expires_at else now
        if lease_ends > now:
            raise Conflict(f"another reviewer has job {job.pk} for its next review; decision {decision.pk} stands")
    elif job.status == JobStatus.HELD:
        raise Conflict(f"job {job.pk} is on hold with another reviewer; decision {decision.pk} stands")
    elif job.status == JobStatus.CANCELLED:
        raise Conflict(f"job {job.pk} was cancelled; decision {decision.pk} stands")
    if job.status == JobStatus.DECIDED:
        other = open_job(session, job.queue, job.subject_type, job.subject_pk)
        if other is not None:
            raise Conflict(f"a new job on the same subject (job {other.pk}) is open; decide that one instead")


def _cancel_enforcement(session: Session, decision: Decision, *, now: datetime, principal: str) -> tuple[int, ...]:
    """Cancel the actions of the job's verdict and their messages; refused if any message was ever handed out."""
    verdict_pk = session.scalar(select(Decision.pk).where(Decision.job_pk == decision.job_pk, Decision.final.is_(True)))
    if verdict_pk is None:
        return ()
    if verdict_pk != decision.pk:
        session.execute(update(Decision).where(Decision.pk == verdict_pk).values(final=False))
    actions = list(
        session.scalars(
            select(EnforcementAction)
            .where(
                EnforcementAction.decision_pk == verdict_pk,
                EnforcementAction.reverses_pk.is_(None),
                EnforcementAction.cancelled_at.is_(None),
            )
            .order_by(EnforcementAction.pk)
            .with_for_update()
        )
    )
    if not actions:
        return ()
    pks = [a.pk for a in actions]
    messages = session.scalar(
        select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.action_pk.in_(pks))
    )
    withheld = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.action_pk.in_(pks),
            WebhookDelivery.status == DeliveryStatus.PENDING.value,
            WebhookDelivery.attempts == 0,
        )
        .values(status=DeliveryStatus.CANCELLED.value, last_error=None)
        .returning(WebhookDelivery.pk)
        .execution_options(synchronize_session=False)
    ).all()
    if len(withheld) != messages:
        # The transaction rolls back: nothing is cancelled, the decision stands.
        raise Conflict(f"decision {decision.pk}'s enforcement was already sent to the platform; it stands")
    for action in actions:
        action.cancelled_at = now
    session.execute(
        update(Strike)
        .where(Strike.action_pk.in_(pks), Strike.voided_at.is_(None))
        .values(voided_at=now)
        .execution_options(synchronize_session=False)
    )
    append_events(
        session,
        [
            NewEvent(
                EventKind.ACTION_CANCELLED,
                SubjectType(a.subject_type),
                a.subject_pk,
                now,
                principal,
                {"action": a.pk, "kind": a.action, "decision": decision.pk},
            )
            for a in actions
        ],
        recorded_at=now,
    )
    return tuple(pks)
