"""Rule effects: what a live rule's hit does (open a job, act, label, escalate), in the transaction
that records the hit; and what a shadow rule's hit would have done, recorded and nothing more.

Every job a rule opens carries the rule's name and version and its confidence (as the job's priority
input: the rule's or its effect's, raised to the highest live model score of the item for the job's
policy); every action it takes is recorded as automated, by `rule:NAME@VERSION`, with a statement of
reasons naming the rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bastion.detect.context import DetectionItem
from bastion.detect.labels import add_label
from bastion.detect.rules import Effect
from bastion.domain.detect import EffectKind, RuleMode
from bastion.domain.policy import covers
from bastion.domain.subjects import SubjectType
from bastion.policy.service import PolicyRecord
from bastion.review.config_store import current_review_config
from bastion.review.enforcement import statement_of_reasons, take_action, target_of
from bastion.review.intake import NewWork, open_jobs

AUTOMATED = "automated"  # the reason recorded on an action a rule took


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
    def then(self) -> Sequence[Effect]: ...
    @property
    def confidence(self) -> float | None: ...


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


def apply_effects(
    session: Session,
    hits: Sequence[Hit],
    *,
    policies: dict[str, PolicyRecord],
    now: datetime,
) -> None:
    """Apply every live hit's effects, describe every shadow hit's, in the caller's transaction."""
    config = current_review_config(session).config
    queued: list[tuple[Hit, int, Effect, NewWork]] = []  # the hit, where its effect goes in its list
    for hit in hits:
        if hit.rule.mode != RuleMode.LIVE:
            hit.effects = [effect.document() | {"shadow": True} for effect in hit.rule.then]
            continue
        for effect in hit.rule.then:
            kind = EffectKind(effect.kind)
            if kind in (EffectKind.ENQUEUE, EffectKind.ESCALATE):
                confidence = effect.confidence if effect.confidence is not None else (hit.rule.confidence or 0.0)
                confidence = max(confidence, model_confidence(hit.item, effect.policy or hit.rule.policy))
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
                hit.effects.append(_label(session, hit, effect, now))
    # Every job of the batch in one go: the subjects' facts are read once, not once a hit.
    job_pks = open_jobs(session, [work for *_, work in queued], now=now, principal="detection")
    for (hit, position, effect, work), job_pk in zip(queued, job_pks, strict=True):
        hit.job_pk = hit.job_pk or job_pk
        hit.effects[position] = effect.document() | {"job": job_pk, "queue": work.queue}


def model_confidence(item: DetectionItem, policy_id: str | None) -> float:
    """The highest live model score of the item for this policy or a family it belongs to (0 when none):
    a model that is sure raises a rule's job up the queue, and never lowers it."""
    if policy_id is None:
        return 0.0
    return max(
        (score for scope, score in item.confidence.items() if covers(scope, policy_id)),
        default=0.0,
    )


def _act(
    session: Session, hit: Hit, effect: Effect, policies: dict[str, PolicyRecord], now: datetime
) -> dict[str, Any]:
    described = effect.document()
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


def _label(session: Session, hit: Hit, effect: Effect, now: datetime) -> dict[str, Any]:
    described = effect.document()
    entity = str(effect.entity)
    values = hit.item.entity_values().get(entity, [])
    if not values:
        return described | {"skipped": f"the item has no {entity}"}
    expires_at = now + effect.expires_in if effect.expires_in else None
    for value in values:
        # The hit records the label: no audit row for each of a rule's labels.
        add_label(
            session, entity, value, str(effect.label), expires_at=expires_at, by=hit.principal, now=now, audited=False
        )
    return described | {"labelled": len(values)}
