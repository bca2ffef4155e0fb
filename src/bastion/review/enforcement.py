"""Enforcement: turning a final decision into actions on the platform, strikes and account actions.

Every action is recorded with its statement of reasons and announced to the platform through the
outbox, in the decision's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.domain.events import EventKind, NewEvent
from bastion.domain.happened import ActionTaken
from bastion.domain.policy import Action
from bastion.domain.subjects import SubjectType
from bastion.errors import Conflict, NotFound
from bastion.plugins import announce
from bastion.policy.service import PolicyRecord
from bastion.review.config import StrikePolicy
from bastion.review.outbox import enqueue
from bastion.store.events import append_events
from bastion.store.schema import Actor, ContentItem, EnforcementAction, Strike

ACCOUNT_ACTIONS = frozenset({Action.SUSPEND, Action.BAN})


@dataclass(frozen=True)
class Target:
    subject_type: SubjectType
    subject_pk: int
    actor_pk: int  # the account behind the subject: for strikes and account actions
    external_id: str
    actor_external_id: str


def target_of(session: Session, subject_type: str, subject_pk: int) -> Target:
    if subject_type == SubjectType.CONTENT:
        row = session.execute(
            select(ContentItem.external_id, Actor.pk, Actor.external_id)
            .join(Actor, Actor.pk == ContentItem.actor_pk)
            .where(ContentItem.pk == subject_pk)
        ).one()
        return Target(SubjectType.CONTENT, subject_pk, row[1], row[0], row[2])
    actor = session.get_one(Actor, subject_pk)
    return Target(SubjectType.ACTOR, subject_pk, actor.pk, actor.external_id, actor.external_id)


def statement_of_reasons(action: str, record: PolicyRecord | None, how: str) -> str:
    if record is None:
        return f"{action}: {how}."
    policy = record.policy
    return f"{action} under {policy.id} (version {record.version}), {policy.title}: {how}."


def take_action(
    session: Session,
    target: Target,
    action: str,
    *,
    record: PolicyRecord | None,
    reason: str,
    statement: str,
    now: datetime,
    principal: str,
    decision_pk: int | None = None,
    reverses: EnforcementAction | None = None,
) -> EnforcementAction:
    """Record one action and put its announcement in the outbox."""
    on_account = action in ACCOUNT_ACTIONS
    subject_type = SubjectType.ACTOR if on_account else target.subject_type
    subject_pk = target.actor_pk if on_account else target.subject_pk
    row = EnforcementAction(
        subject_type=subject_type.value,
        subject_pk=subject_pk,
        action=action,
        policy_id=record.policy.id if record else None,
        policy_version=record.version if record else None,
        decision_pk=decision_pk,
        reverses_pk=reverses.pk if reverses else None,
        reason=reason,
        statement=statement,
        created_at=now,
        created_by=principal,
    )
    session.add(row)
    session.flush()
    external = target.actor_external_id if on_account else target.external_id
    payload: dict[str, Any] = {
        "action_id": row.pk,
        "action": action,
        "subject": {"type": subject_type.value, "id": external},
        "policy": row.policy_id,
        "policy_version": row.policy_version,
        "reason": reason,
        "statement_of_reasons": statement,
        "reverses_action_id": row.reverses_pk,
        "decided_at": now.isoformat(),
    }
    enqueue(
        session,
        event=f"action.{action}",
        payload=payload,
        idempotency_key=f"action-{row.pk}",
        now=now,
        action_pk=row.pk,
    )
    append_events(
        session,
        [NewEvent(EventKind.ACTION_TAKEN, subject_type, subject_pk, now, principal, {"action": action, "id": row.pk})],
        recorded_at=now,
    )
    announce(session, ActionTaken(row.pk, action, subject_type.value, subject_pk, row.policy_id, principal, now))
    return row


def add_strike(
    session: Session,
    target: Target,
    strikes: StrikePolicy,
    record: PolicyRecord,
    action: EnforcementAction,
    *,
    now: datetime,
    principal: str,
) -> list[EnforcementAction]:
    """Count a strike against the account; returns the account actions a crossed threshold calls for."""
    weight = strikes.weight_for(record.policy.id)
    window_start = now - timedelta(days=strikes.window_days)
    before = float(
        session.scalar(
            select(func.coalesce(func.sum(Strike.weight), 0.0)).where(
                Strike.actor_pk == target.actor_pk, Strike.created_at >= window_start, Strike.voided_at.is_(None)
            )
        )
        or 0.0
    )
    session.add(
        Strike(actor_pk=target.actor_pk, policy_id=record.policy.id, weight=weight, action_pk=action.pk, created_at=now)
    )
    after = before + weight
    append_events(
        session,
        [
            NewEvent(
                EventKind.STRIKE_ADDED,
                SubjectType.ACTOR,
                target.actor_pk,
                now,
                principal,
                {"weight": weight, "total": after},
            )
        ],
        recorded_at=now,
    )
    taken = []
    for threshold in sorted(strikes.thresholds, key=lambda t: t.points):
        if before < threshold.points <= after:
            statement = (
                f"{threshold.action.value} of the account: {after:g} strike points in {strikes.window_days} days "
                f"reached the threshold of {threshold.points:g}."
            )
            taken.append(
                take_action(
                    session,
                    target,
                    threshold.action.value,
                    record=record,
                    reason="strikes",
                    statement=statement,
                    now=now,
                    principal=principal,
                    decision_pk=action.decision_pk,  # so its appeal excludes the reviewers behind it
                )
            )
    return taken


def reverse(
    session: Session, action_pk: int, *, reason: str, note: str, now: datetime, principal: str
) -> EnforcementAction:
    """Undo an action on the platform: a restore that points at it; its strike no longer counts."""
    original = session.get(EnforcementAction, action_pk)
    if original is None:
        raise NotFound(f"no enforcement action {action_pk}")
    if original.reversed_at is not None or original.action == Action.RESTORE:
        raise Conflict(f"action {action_pk} was already reversed or is itself a restore")
    original.reversed_at = now
    for strike in session.scalars(select(Strike).where(Strike.action_pk == original.pk, Strike.voided_at.is_(None))):
        strike.voided_at = now
    target = target_of(session, original.subject_type, original.subject_pk)
    statement = (
        f"restore: action {original.pk} ({original.action}) reversed, {reason.replace('_', ' ')}. {note}".strip()
    )
    restore = take_action(
        session,
        target,
        Action.RESTORE.value,
        record=None,
        reason=reason,
        statement=statement,
        now=now,
        principal=principal,
        reverses=original,
    )
    append_events(
        session,
        [
            NewEvent(
                EventKind.ACTION_REVERSED,
                SubjectType(original.subject_type),
                original.subject_pk,
                now,
                principal,
                {"action": original.pk, "reason": reason},
            )
        ],
        recorded_at=now,
    )
    return restore


def restore_without_appeal(
    session: Session, action_pk: int, *, note: str, now: datetime, principal: str
) -> EnforcementAction:
    """An administrator reverses an action taken in error; recorded in the audit log as `action.restore`."""
    restore = reverse(session, action_pk, reason="restored_without_appeal", note=note, now=now, principal=principal)
    audit_log.record(session, principal=principal, action="action.restore", target=f"action:{action_pk}", at=now)
    return restore
