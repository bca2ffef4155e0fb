"""Rule effects: what a live rule's hit does (open a job, act, label, escalate), in the transaction
that records the hit; and what a shadow rule's hit would have done, recorded and nothing more.

Every job a rule opens carries the rule's name and version and its confidence (as the job's priority
input); every action it takes is recorded as automated, by `rule:NAME@VERSION`, with a statement of
reasons naming the rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bastion.detect.context import DetectionItem
from bastion.domain.detect import EffectKind, RuleMode
from bastion.domain.subjects import SubjectType
from bastion.policy.service import PolicyRecord
from bastion.review.config_store import current_review_config
from bastion.review.enforcement import statement_of_reasons, take_action, target_of
from bastion.review.intake import NewWork, open_jobs

AUTOMATED = "automated"  # the reason recorded on an action a rule took


class EffectLike(Protocol):
    @property
    def kind(self) -> EffectKind: ...
    @property
    def queue(self) -> str | None: ...
    @property
    def policy(self) -> str | None: ...
    @property
    def confidence(self) -> float | None: ...
    @property
    def action(self) -> str | None: ...
    @property
    def entity(self) -> Any: ...
    @property
    def label(self) -> str | None: ...
    @property
    def expires_in(self) -> Any: ...
    @property
    def reason(self) -> str | None: ...


class RuleInForce(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def mode(self) -> RuleMode: ...
    @property
    def when(self) -> str: ...
    @property
    def policy(self) -> str | None: ...
    @property
    def then(self) -> Sequence[EffectLike]: ...
    @property
    def confidence(self) -> float | None: ...


class Labeller(Protocol):
    def __call__(
        self,
        session: Session,
        entity_type: str,
        value: str,
        label: str,
        *,
        expires_at: datetime | None,
        by: str,
        now: datetime,
    ) -> Any: ...


@dataclass
class Hit:
    """A rule matched an item; `effects` fills in as they are applied (or, in shadow, described)."""

    rule: RuleInForce
    item: DetectionItem
    effects: list[dict[str, Any]] = field(default_factory=list)
    job_pk: int | None = None

    @property
    def principal(self) -> str:
        return rule_principal(self.rule.name, self.rule.version)


def rule_principal(name: str, version: int) -> str:
    return f"rule:{name}@{version}"


def describe(effect: EffectLike) -> dict[str, Any]:
    """An effect as the rule file wrote it, for a shadow hit's record."""
    kind = EffectKind(effect.kind)
    if kind is EffectKind.ENQUEUE:
        body: dict[str, Any] = {"queue": effect.queue, "policy": effect.policy, "priority": effect.confidence}
    elif kind is EffectKind.ACT:
        body = {"action": effect.action, "policy": effect.policy}
    elif kind is EffectKind.LABEL:
        expires = effect.expires_in
        body = {
            "entity": str(effect.entity),
            "label": effect.label,
            "expires_in_seconds": int(expires.total_seconds()) if expires else None,
        }
    else:
        body = {"policy": effect.policy, "reason": effect.reason}
    return {kind.value: {key: value for key, value in body.items() if value is not None}}


def apply_effects(
    session: Session,
    hits: Sequence[Hit],
    *,
    policies: dict[str, PolicyRecord],
    label: Labeller,
    now: datetime,
) -> None:
    """Apply every live hit's effects, describe every shadow hit's, in the caller's transaction."""
    config = current_review_config(session).config
    queued: list[tuple[Hit, int, EffectLike, NewWork]] = []  # the hit, where its effect goes in its list
    for hit in hits:
        if hit.rule.mode != RuleMode.LIVE:
            hit.effects = [describe(effect) | {"shadow": True} for effect in hit.rule.then]
            continue
        for effect in hit.rule.then:
            kind = EffectKind(effect.kind)
            if kind in (EffectKind.ENQUEUE, EffectKind.ESCALATE):
                confidence = effect.confidence if effect.confidence is not None else (hit.rule.confidence or 0.0)
                work = NewWork(
                    SubjectType.CONTENT,
                    hit.item.content_pk,
                    effect.policy or hit.rule.policy,
                    report_pk=None,
                    weighted_reports=0.0,
                    confidence=confidence,
                    rule_id=hit.rule.name,
                    rule_version=hit.rule.version,
                    queue=effect.queue if kind is EffectKind.ENQUEUE else config.escalation_queue,
                    principal=hit.principal,
                )
                queued.append((hit, len(hit.effects), effect, work))
                hit.effects.append({})  # filled in once the batch's jobs are open
            elif kind is EffectKind.ACT:
                hit.effects.append(_act(session, hit, effect, policies, now))
            else:
                hit.effects.append(_label(session, hit, effect, label, now))
    # Every job of the batch in one go: the subjects' facts are read once, not once a hit.
    job_pks = open_jobs(session, [work for *_, work in queued], now=now, principal="detection")
    for (hit, position, effect, work), job_pk in zip(queued, job_pks, strict=True):
        hit.job_pk = hit.job_pk or job_pk
        hit.effects[position] = describe(effect) | {"job": job_pk, "queue": work.queue}


def _act(
    session: Session, hit: Hit, effect: EffectLike, policies: dict[str, PolicyRecord], now: datetime
) -> dict[str, Any]:
    described = describe(effect)
    policy_id = effect.policy or hit.rule.policy
    record = policies.get(policy_id) if policy_id else None
    action = str(effect.action)
    if record is None or action not in record.policy.allowed_actions:
        # The rule checked when it was loaded; the policy has changed since. Nothing is done.
        return described | {"refused": f"policy {policy_id!r} in force does not allow {action!r}"}
    target = target_of(session, SubjectType.CONTENT.value, hit.item.content_pk)
    how = f"automated detection by rule {hit.rule.name} (version {hit.rule.version})"
    row = take_action(
        session,
        target,
        action,
        record=record,
        reason=AUTOMATED,
        statement=statement_of_reasons(action, record, how),
        now=now,
        principal=hit.principal,
    )
    return described | {"action_id": row.pk}


def _label(session: Session, hit: Hit, effect: EffectLike, label: Labeller, now: datetime) -> dict[str, Any]:
    described = describe(effect)
    entity = str(effect.entity)
    values = hit.item.entity_values().get(entity, [])
    if not values:
        return described | {"skipped": f"the item has no {entity}"}
    expires_at = now + effect.expires_in if effect.expires_in else None
    for value in values:
        label(session, entity, value, str(effect.label), expires_at=expires_at, by=hit.principal, now=now)
    return described | {"labelled": len(values)}
