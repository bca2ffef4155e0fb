"""Decisions: a reviewer's verdict on a leased job; double review with a tiebreak; then enforcement.

A decision is pinned to the policy version in force and to the rule version that made the job.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.clock import as_utc
from bastion.domain.events import EventEntity, EventKind, NewEvent
from bastion.domain.happened import DecisionMade
from bastion.domain.policy import Action, harm_type
from bastion.domain.review import AppealVerdict, DecisionNeed
from bastion.domain.subjects import SubjectType
from bastion.errors import FieldError, InvalidInput
from bastion.plugins import announce
from bastion.policy.service import PolicyRecord, current_policies
from bastion.review import appeals
from bastion.review.claims import exclude_reviewer, leased_job
from bastion.review.config import StrikePolicy
from bastion.review.config_store import current_review_config
from bastion.review.enforcement import add_strike, statement_of_reasons, take_action, target_of
from bastion.review.jobs import JobStatus
from bastion.store.events import append_events
from bastion.store.schema import Decision, EnforcementAction, Job
from bastion.store.upsert import table_of

NO_VIOLATION = "none"
NO_ACTION = "no_action"
APPEAL_VERDICTS = tuple(v.value for v in AppealVerdict)
MAX_RATIONALE = 5_000


@dataclass(frozen=True)
class Choice:
    """What the reviewer chose: a policy (or "none") and an action, and why."""

    policy: str
    action: str
    rationale: str = ""
    seconds_spent: float | None = None


@dataclass(frozen=True)
class DecisionOutcome:
    decision: Decision
    final: bool
    actions: list[EnforcementAction]
    needs: DecisionNeed | None = None  # while the job stays open


def decide(session: Session, job_pk: int, reviewer: Principal, choice: Choice, *, now: datetime) -> DecisionOutcome:
    job = leased_job(session, job_pk, reviewer, now)
    config = current_review_config(session).config
    queue = config.queue(job.queue)
    earlier: list[Decision] = []
    if job.reviews_done:
        earlier = list(session.scalars(select(Decision).where(Decision.job_pk == job.pk).order_by(Decision.round)))
    policies = current_policies(session)
    record = _validate(job, choice, policies, rationale_required=queue.rationale_required)
    spent = choice.seconds_spent
    if spent is None:
        spent = (now - as_utc(job.claimed_at)).total_seconds() if job.claimed_at else 0.0
    decision = Decision(
        job_pk=job.pk,
        reviewer_pk=reviewer.user_pk,
        round=job.reviews_done + 1,
        policy_id=record.policy.id if record else None,
        policy_version=record.version if record else None,
        harm_type=harm_type(record.policy.id) if record else job.harm_type,
        action=_action_of(job, choice),
        rationale=choice.rationale.strip()[:MAX_RATIONALE],
        seconds_spent=max(0.0, float(spent)),
        decided_at=now,
        final=False,
    )
    all_rounds = [*earlier, decision]
    verdict, needs = _consensus(all_rounds, job.reviews_required)
    decision.final = verdict is decision
    # Core statements, not the unit of work: this is the hottest write path after the claim.
    decision.pk = session.execute(_INSERT_DECISION, _columns_of(decision)).scalar_one()
    events = [
        NewEvent(
            EventKind.DECISION_MADE,
            SubjectType(job.subject_type),
            job.subject_pk,
            now,
            reviewer.name,
            {"job": job.pk, "policy": decision.policy_id, "action": decision.action, "round": decision.round},
        )
    ]
    actions: list[EnforcementAction] = []
    if verdict is None:
        required = len(all_rounds) + 1 if needs is DecisionNeed.TIEBREAK else job.reviews_required
        session.execute(_REOPEN_JOB, {"job_pk": job.pk, "required": required})
        exclude_reviewer(session, job.pk, reviewer.user_pk)  # the next round needs someone else
        events.append(
            NewEvent(
                EventKind.JOB_REOPENED, EventEntity.JOB, job.pk, now, reviewer.name, {"needs": needs and needs.value}
            )
        )
    else:
        verdict.final = True
        chosen = policies.get(verdict.policy_id) if verdict.policy_id else None
        if job.kind == "appeal":
            actions = appeals.resolve(session, job, verdict, now=now, principal=reviewer.name)
        else:
            actions = _enforce(session, job, verdict, chosen, config.strikes, now=now, principal=reviewer.name)
        session.execute(_CLOSE_JOB, {"job_pk": job.pk, "now": now})
    session.expire(job)  # changed by the statements above, not through the object
    append_events(session, events, recorded_at=now)
    _audit(session, reviewer, decision, now)
    settled = _verdict_of(verdict, needs)
    made = DecisionMade(
        decision.pk, job_pk, queue.name, reviewer.name, settled, decision.policy_id, decision.action, now
    )
    announce(session, made)
    return DecisionOutcome(decision, verdict is not None, actions, needs)


def _verdict_of(verdict: Decision | None, needs: DecisionNeed | None) -> str:
    """What the decision settled: the job's final verdict, or which further round it needs."""
    return "final" if verdict is not None else f"needs {needs and needs.value}"


_decisions, _jobs = table_of(Decision), table_of(Job)
_DECISION_COLUMNS = tuple(c.key for c in _decisions.c if c.key != "pk")
_INSERT_DECISION = insert(_decisions).returning(_decisions.c.pk)
_LEASE_ENDS = {"lease_owner": None, "lease_expires_at": None, "reviews_done": _jobs.c.reviews_done + 1}
_REOPEN_JOB = (
    update(_jobs)
    .where(_jobs.c.pk == bindparam("job_pk"))
    .values(status=JobStatus.OPEN.value, claimed_at=None, reviews_required=bindparam("required"), **_LEASE_ENDS)
)
_CLOSE_JOB = (
    update(_jobs)
    .where(_jobs.c.pk == bindparam("job_pk"))
    .values(status=JobStatus.DECIDED.value, decided_at=bindparam("now"), **_LEASE_ENDS)
)


def _columns_of(decision: Decision) -> dict[str, object]:
    return {name: getattr(decision, name) for name in _DECISION_COLUMNS}


def _audit(session: Session, reviewer: Principal, decision: Decision, now: datetime) -> None:
    # Last, so the audit log's head row (one lock for every writer) is held only until the commit.
    audit_log.record(
        session,
        principal=reviewer.name,
        action="job.decide",
        target=f"job:{decision.job_pk}",
        at=now,
        details={"policy": decision.policy_id, "action": decision.action, "round": decision.round},
    )


def _action_of(job: Job, choice: Choice) -> str:
    if job.kind == "appeal":
        return choice.action
    return NO_ACTION if choice.policy == NO_VIOLATION else choice.action


def _validate(
    job: Job, choice: Choice, policies: dict[str, PolicyRecord], *, rationale_required: bool
) -> PolicyRecord | None:
    errors = []
    if (rationale_required or job.kind == "appeal") and not choice.rationale.strip():
        errors.append(FieldError("rationale", f"the {job.queue} queue needs a rationale for every decision"))
    record = None
    if job.kind == "appeal":
        if choice.action not in APPEAL_VERDICTS:
            errors.append(FieldError("action", f"an appeal is decided with {' or '.join(APPEAL_VERDICTS)}"))
        record = policies.get(job.policy_hint) if job.policy_hint else None
    elif choice.policy != NO_VIOLATION:
        record = policies.get(choice.policy)
        if record is None:
            errors.append(FieldError("policy", f'unknown policy {choice.policy!r}; use a policy id or "none"'))
        elif choice.action == Action.ESCALATE:
            errors.append(FieldError("action", "escalate the job instead of deciding it"))
        elif choice.action not in record.policy.allowed_actions:
            allowed = ", ".join(a.value for a in record.policy.allowed_actions if a != Action.ESCALATE)
            errors.append(
                FieldError("action", f"{choice.action!r} is not allowed for {record.policy.id}; allowed: {allowed}")
            )
    elif choice.action not in (NO_ACTION, NO_VIOLATION, ""):
        errors.append(FieldError("action", "with no violation the action is no_action"))
    if errors:
        raise InvalidInput("the decision is not valid", errors)
    return record


def _consensus(rounds: list[Decision], required: int) -> tuple[Decision | None, DecisionNeed | None]:
    """The decision that stands, or what is still needed. Two reviews must agree; a third breaks a tie."""
    if len(rounds) < required:
        return None, DecisionNeed.SECOND_REVIEW
    if required == 1:
        return rounds[-1], None
    votes = Counter((d.policy_id, d.action) for d in rounds)
    ((policy_action, count),) = votes.most_common(1)
    if count * 2 > len(rounds):
        return next(d for d in reversed(rounds) if (d.policy_id, d.action) == policy_action), None
    if len(rounds) >= 3:
        return rounds[-1], None  # no majority even after the tiebreak: the tiebreaker's decision stands
    return None, DecisionNeed.TIEBREAK


def _enforce(
    session: Session,
    job: Job,
    verdict: Decision,
    record: PolicyRecord | None,
    strikes: StrikePolicy,
    *,
    now: datetime,
    principal: str,
) -> list[EnforcementAction]:
    if record is None or verdict.action == NO_ACTION:
        return []
    target = target_of(session, job.subject_type, job.subject_pk)
    statement = statement_of_reasons(verdict.action, record, "decided by human review")
    action = take_action(
        session,
        target,
        verdict.action,
        record=record,
        reason="decision",
        statement=statement,
        now=now,
        principal=principal,
        decision_pk=verdict.pk,
    )
    taken = [action]
    if verdict.action == Action.STRIKE:
        taken += add_strike(session, target, strikes, record, action, now=now, principal=principal)
    return taken
