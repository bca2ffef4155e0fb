"""Decisions: a reviewer's verdict on a leased job; double review with a tiebreak; then enforcement.

A decision is pinned to the policy version in force and to the rule version that made the job. The
statements it runs are built once in `decision_statements.py`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.clock import as_utc
from bastion.domain.events import EventEntity, EventKind, NewEvent
from bastion.domain.happened import DecisionMade
from bastion.domain.policy import Action, harm_type
from bastion.domain.review import AppealVerdict, DecisionNeed, JobKind
from bastion.domain.subjects import SubjectType
from bastion.errors import Conflict, FieldError, InvalidInput
from bastion.plugins import announce, plugin_manager
from bastion.policy.service import PolicyRecord, current_policies
from bastion.quality.golden_serving import stand_in_actions
from bastion.review import appeals, undo
from bastion.review.access import may_work
from bastion.review.claims import claim_next_job_pk, exclude_reviewer, leased_job
from bastion.review.config import StrikePolicy
from bastion.review.config_store import current_review_config
from bastion.review.decision_statements import (
    CLOSE_JOB,
    DECIDE,
    DECISION_AUDIT_ACTION,
    DECISION_COLUMNS,
    INSERT_DECISION,
    REOPEN_JOB,
    TAKE_AND_DECIDE,
    TAKE_JOB,
    TAKEN_FIELDS,
    TIEBREAK_ROUND,
    TakenJob,
)
from bastion.review.enforcement import add_strike, statement_of_reasons, take_action, target_of
from bastion.review.jobs import JobStatus
from bastion.store.database import execute_prepared
from bastion.store.events import append_events
from bastion.store.schema import Decision, EnforcementAction, Job

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


@dataclass(slots=True)
class _Made:
    """The decision this call makes, as its row's columns. Cheaper to make than a `Decision` (an ORM object
    sets each attribute through its instrumentation), which is built only when asked for (`row`)."""

    job_pk: int
    reviewer_pk: int | None
    round: int
    policy_id: str | None
    policy_version: int | None
    harm_type: str | None
    action: str
    rationale: str
    seconds_spent: float
    decided_at: datetime
    final: bool
    withdrawn_at: datetime | None = None
    pk: int = 0
    _row: Decision | None = None

    def row(self) -> Decision:
        """The decision as a (transient) `Decision`, built once."""
        if self._row is None:
            self._row = Decision(pk=self.pk, **_columns_of(self))
        return self._row


_Round = Decision | _Made  # an earlier round, read back, or the one made now


@dataclass(frozen=True)
class DecisionOutcome:
    made: _Made
    final: bool
    actions: list[EnforcementAction]
    needs: DecisionNeed | None = None  # while the job stays open

    @property
    def decision(self) -> Decision:
        """The decision made, as a `Decision` (not attached to a session)."""
        return self.made.row()


def decide(session: Session, job_pk: int, reviewer: Principal, choice: Choice, *, now: datetime) -> DecisionOutcome:
    """Record the reviewer's decision on a job they hold; when it stands, close the job and enforce it.

    The job is taken by one guarded update (it must be leased to this reviewer, the lease not run
    out), which closes it at once when this decision stands whatever it says (one review required,
    or the tiebreak); no locking read first. On PostgreSQL a first-round decision that closes its job
    is written by that same statement (decision, event and audit row); any other decision by one more.
    Anything refused raises, and the caller's transaction rolls back whole.
    """
    return _decide(session, job_pk, reviewer, choice, now)[0]


def decide_and_claim_next(
    session: Session, job_pk: int, reviewer: Principal, choice: Choice, *, now: datetime
) -> tuple[DecisionOutcome, int | None]:
    """ "Submit and next": decide the job, then claim the next one of the same queue, in one transaction;
    returns the outcome and the pk of the job claimed (None: nothing left for this reviewer).

    The decision never depends on the claim: when the reviewer may no longer take work from the
    queue, the decision is made and no job comes next.
    """
    outcome, job = _decide(session, job_pk, reviewer, choice, now)
    queue = current_review_config(session).config.by_name.get(job.queue)
    if queue is None or not may_work(queue, reviewer):
        return outcome, None
    return outcome, claim_next_job_pk(session, job.queue, reviewer, now=now)


def _decide(
    session: Session, job_pk: int, reviewer: Principal, choice: Choice, now: datetime
) -> tuple[DecisionOutcome, TakenJob]:
    policies: dict[str, PolicyRecord] | None = None
    written: _Written | None = None
    if session.get_bind().dialect.name == "postgresql":
        # "No violation" on a first round names no policy: the live policies are not needed.
        policies = current_policies(session) if choice.policy != NO_VIOLATION else None
        job, written = _take_and_decide(session, job_pk, reviewer, choice, policies, now)
    else:
        job = _take(session, job_pk, reviewer, now)
    closed = job.status == JobStatus.DECIDED  # by `_take`: a decided job is never leased
    done_before = job.reviews_done - 1 if closed else job.reviews_done
    config = current_review_config(session).config
    queue = config.queue(job.queue)
    earlier: list[Decision] = []
    if done_before:
        earlier = list(
            session.scalars(
                select(Decision)
                .where(Decision.job_pk == job.pk, Decision.withdrawn_at.is_(None))
                .order_by(Decision.round)
            )
        )
    named = bool(earlier) or job.kind == "appeal" or choice.policy != NO_VIOLATION
    if policies is None:
        policies = current_policies(session) if named else {}
    record = _validate(job, choice, policies, rationale_required=queue.rationale_required)
    spent = choice.seconds_spent if written is None else written.seconds_spent
    if spent is None:
        spent = (now - as_utc(job.claimed_at)).total_seconds() if job.claimed_at else 0.0
    decision = _Made(
        job_pk=job.pk,
        reviewer_pk=reviewer.user_pk,
        round=done_before + 1,
        policy_id=record.policy.id if record else None,
        policy_version=record.version if record else None,
        harm_type=harm_type(record.policy.id) if record else job.harm_type,
        action=_action_of(job, choice),
        rationale=choice.rationale.strip()[:MAX_RATIONALE],
        seconds_spent=max(0.0, float(spent)),
        decided_at=now,
        final=False,
    )
    all_rounds: list[_Round] = [*earlier, decision]
    verdict, needs = _consensus(all_rounds, job.reviews_required)
    assert verdict is not None or not closed, "`_take` closes a job only for a decision that stands"
    decision.final = verdict is decision
    if written is None:
        decision.pk = _record_decision(session, job, decision, reviewer, now)
    else:
        assert decision.final, "the statement writes a decision only for a first round that closes its job"
        decision.pk = written.pk
    actions: list[EnforcementAction] = []
    if verdict is None:
        required = len(all_rounds) + 1 if needs is DecisionNeed.TIEBREAK else job.reviews_required
        session.execute(REOPEN_JOB, {"job_pk": job.pk, "required": required})
        exclude_reviewer(session, job.pk, reviewer.user_pk)  # the next round needs someone else
        reopened = NewEvent(
            EventKind.JOB_REOPENED, EventEntity.JOB, job.pk, now, reviewer.name, {"needs": needs and needs.value}
        )
        append_events(session, [reopened], recorded_at=now)
    else:
        verdict.final = True
        chosen = policies.get(verdict.policy_id) if verdict.policy_id else None
        if job.kind == "appeal":
            actions = appeals.resolve(
                session, session.get_one(Job, job.pk), _row_of(verdict), now=now, principal=reviewer.name
            )
        elif job.golden_pk is not None:  # never enforced; answered like a real decision (quality/golden_serving.py)
            actions = stand_in_actions(session, job.subject_type, job.subject_pk, _row_of(verdict), chosen, now=now)
        elif not job.measures_quality:
            actions = _enforce(session, job, verdict, chosen, config.strikes, now=now, principal=reviewer.name)
            undo.hold_enforcement(session, actions, until=now + timedelta(seconds=config.undo_seconds))
        if not closed:
            session.execute(CLOSE_JOB, {"job_pk": job.pk, "now": now})
    _forget(session, job.pk)
    if session.get_bind().dialect.name != "postgresql":
        # Last, so SQLite's audit head is moved at the end of the transaction (PostgreSQL staged the row).
        _audit(session, reviewer, decision, now)
    settled = _verdict_of(verdict, needs)
    made = DecisionMade(
        decision.pk, job.pk, queue.name, reviewer.name, settled, decision.policy_id, decision.action, now
    )
    plugin_manager().hook.decision_stored(session=session, fact=made)
    announce(session, made)
    return DecisionOutcome(decision, verdict is not None, actions, needs), job


def _row_of(verdict: _Round) -> Decision:
    return verdict.row() if isinstance(verdict, _Made) else verdict


def _verdict_of(verdict: _Round | None, needs: DecisionNeed | None) -> str:
    """What the decision settled: the job's final verdict, or which further round it needs."""
    return "final" if verdict is not None else f"needs {needs and needs.value}"


def _take(session: Session, job_pk: int, reviewer: Principal, now: datetime) -> TakenJob:
    """The job, taken by this decision: its lease checked and ended in one guarded update.

    A job whose decision stands whatever it says (one review, or the tiebreak's round) is closed
    here; any other is only locked, and closed or reopened once the rounds are counted.
    """
    params = {"job_pk": job_pk, "me": reviewer.user_pk, "now": now}
    row = execute_prepared(session, TAKE_JOB, params)
    if row is None:
        # Refused: say why, from the job as it is (this reads it; a decision that goes through never does).
        leased_job(session, job_pk, reviewer, now)
        raise Conflict(f"job {job_pk} is not leased to {reviewer.display_name}")
    return TakenJob(*row)


@dataclass(frozen=True)
class _Written:
    """What `_take_and_decide` wrote of the decision: its pk, and the seconds spent as computed there."""

    pk: int
    seconds_spent: float


def _take_and_decide(
    session: Session,
    job_pk: int,
    reviewer: Principal,
    choice: Choice,
    policies: dict[str, PolicyRecord] | None,
    now: datetime,
) -> tuple[TakenJob, _Written | None]:
    """PostgreSQL: `_take`, and in the same statement the decision, its event and its audit row when the
    job turns out to close on this first round (what most decisions are; not an appeal). Otherwise only
    the take, and `_decide` goes on as for any other round. The choice is validated afterwards, from the
    job taken: a refusal raises, and the caller's transaction rolls back whole.
    """
    record = policies.get(choice.policy) if policies is not None else None
    decide_now = choice.policy == NO_VIOLATION or record is not None  # else the validation refuses it
    action = NO_ACTION if choice.policy == NO_VIOLATION else choice.action  # `_action_of`, not an appeal
    rationale = choice.rationale.strip()[:MAX_RATIONALE]
    policy_id = record.policy.id if record else None
    params = {
        "job_pk": job_pk,
        "me": reviewer.user_pk,
        "now": now,
        "decide_now": decide_now,
        "policy_id": policy_id,
        "policy_version": record.version if record else None,
        "harm_type": harm_type(record.policy.id) if record else None,
        "action": action,
        "rationale": rationale,
        "seconds_spent": choice.seconds_spent,
        "event_principal": reviewer.name,
        "audit_principal": reviewer.name[: audit_log.PRINCIPAL_CHARS],
    }
    row = execute_prepared(session, TAKE_AND_DECIDE, params)
    if row is None:
        leased_job(session, job_pk, reviewer, now)  # says why
        raise Conflict(f"job {job_pk} is not leased to {reviewer.display_name}")
    taken = TakenJob(*row[:TAKEN_FIELDS])
    made_pk, seconds = row[TAKEN_FIELDS:]
    return taken, None if made_pk is None else _Written(int(made_pk), float(seconds))


def _forget(session: Session, job_pk: int) -> None:
    """Expire the job if the session holds it: the statements here changed it, not through the object."""
    if not session.identity_map:  # the usual case: a decision's session holds no object (no key to build)
        return
    held = session.identity_map.get(identity_key(Job, job_pk))
    if held is not None:
        session.expire(held)


def _record_decision(session: Session, job: TakenJob, decision: _Made, reviewer: Principal, now: datetime) -> int:
    """Insert the decision and its event (and on PostgreSQL its audit row, in the same statement); its pk."""
    data = {
        "job": job.pk,
        "policy": decision.policy_id,
        "action": decision.action,
        "round": decision.round,
        "rationale": decision.rationale[:500],  # histories say why, not only what
    }
    columns = _columns_of(decision)
    if session.get_bind().dialect.name != "postgresql":
        pk: int = execute_prepared(session, INSERT_DECISION, columns)[0]
        made = NewEvent(
            EventKind.DECISION_MADE,
            SubjectType(job.subject_type),
            job.subject_pk,
            now,
            reviewer.name,
            data,
        )
        append_events(session, [made], recorded_at=now)
        return pk
    audit = audit_log.staged_row(
        principal=reviewer.name,
        action=DECISION_AUDIT_ACTION,
        target=f"job:{decision.job_pk}",
        at=now,
        details=_audit_details(decision),
    )
    event = {
        "event_kind": EventKind.DECISION_MADE.value,
        "event_subject_type": job.subject_type,
        "event_subject_pk": job.subject_pk,
        "event_principal": reviewer.name,
        "event_data": data,
    }
    params = columns | event | {f"audit_{key}": value for key, value in audit.items()}
    return int(execute_prepared(session, DECIDE, params)[0])


def _columns_of(decision: _Round) -> dict[str, Any]:
    return {name: getattr(decision, name) for name in DECISION_COLUMNS}


def _audit_details(decision: _Made) -> dict[str, object]:
    return {"policy": decision.policy_id, "action": decision.action, "round": decision.round}


def _audit(session: Session, reviewer: Principal, decision: _Made, now: datetime) -> None:
    audit_log.record(
        session,
        principal=reviewer.name,
        action=DECISION_AUDIT_ACTION,
        target=f"job:{decision.job_pk}",
        at=now,
        details=_audit_details(decision),
    )


def _action_of(job: TakenJob, choice: Choice) -> str:
    if job.kind == "appeal":
        return choice.action
    return NO_ACTION if choice.policy == NO_VIOLATION else choice.action


def _validate(
    job: TakenJob, choice: Choice, policies: dict[str, PolicyRecord], *, rationale_required: bool
) -> PolicyRecord | None:
    errors = []
    if (rationale_required or job.kind == "appeal") and not choice.rationale.strip():
        errors.append(FieldError("rationale", f"the {job.queue} queue needs a rationale for every decision"))
    record = None
    if job.kind == "appeal":
        if choice.action not in APPEAL_VERDICTS:
            errors.append(FieldError("action", f"an appeal is decided with {' or '.join(APPEAL_VERDICTS)}"))
        record = policies.get(job.policy_hint) if job.policy_hint else None
    elif choice.action == Action.ESCALATE and JobKind(job.kind).measures:
        # Not "escalate the job instead": a job that measures cannot be escalated (claims.escalate).
        errors.append(
            FieldError(
                "action", f"a {job.kind} job measures and cannot be escalated: choose the policy it violates, or none"
            )
        )
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


def _consensus(rounds: list[_Round], required: int) -> tuple[_Round | None, DecisionNeed | None]:
    """The decision that stands, or what is still needed. Two reviews must agree; a third breaks a tie."""
    if len(rounds) < required:
        return None, DecisionNeed.SECOND_REVIEW
    if required == 1:
        return rounds[-1], None
    votes = Counter((d.policy_id, d.action) for d in rounds)
    ((policy_action, count),) = votes.most_common(1)
    if count * 2 > len(rounds):
        return next(d for d in reversed(rounds) if (d.policy_id, d.action) == policy_action), None
    if len(rounds) >= TIEBREAK_ROUND:
        return rounds[-1], None  # no majority even after the tiebreak: the tiebreaker's decision stands
    return None, DecisionNeed.TIEBREAK


def _enforce(
    session: Session,
    job: TakenJob,
    verdict: _Round,
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
