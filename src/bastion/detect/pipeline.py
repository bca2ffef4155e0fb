"""The detection pipeline: take queued items, compute their signals, run the rules, record the verdicts
and hits, apply the effects — all of one batch in one transaction.

Exactly once: the batch's first statement deletes its items from the detection queue and goes on with
those it deleted only. A second process that reaches the same items (a worker whose lease ran out, a
synchronous `?wait=true` request) deletes nothing and skips them; on PostgreSQL it waits for the first
to commit, on SQLite transactions run one at a time. A crash rolls the whole batch back, queue rows
included, so the items are taken again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from bastion.detect.context import DetectionItem, VariableBuilder
from bastion.detect.effects import Hit, RuleInForce, apply_effects
from bastion.detect.engine import Engine
from bastion.detect.fields import Group
from bastion.detect.links import domains_of, links_in
from bastion.detect.signals import LabelSource, SignalPlan, SignalScope, compute_signals, signal_record
from bastion.detect.velocity import VelocityCounter
from bastion.policy.service import current_policies
from bastion.store.schema import Actor, ContentItem, DetectionQueueItem, DetectionVerdict, RuleHit


@dataclass
class Detector:
    """A rule set compiled with the signals it reads: built once, used for batch after batch."""

    engine: Engine[Any]
    builder: VariableBuilder
    plan: SignalPlan
    fields: Group

    def signals(
        self,
        items: Sequence[DetectionItem],
        *,
        velocity: VelocityCounter,
        labels: LabelSource | None,
        scope: SignalScope,
    ) -> None:
        """Compute what the rules read of each item, in place."""
        compute_signals(items, self.plan, velocity=velocity, labels=labels, scope=scope)

    def evaluate(self, items: Sequence[DetectionItem]) -> tuple[list[Hit], dict[int, dict[str, str]]]:
        """The hits of a batch whose signals are computed, and each item's failed rules."""
        hits: list[Hit] = []
        failures: dict[int, dict[str, str]] = {}
        rules: list[RuleInForce] = self.engine.rules
        for item in items:
            outcome = self.engine.run(self.builder.variables(item))
            hits.extend(Hit(rules[position], item) for position in outcome.hits)
            if outcome.failures:
                failures[item.content_pk] = dict(outcome.failures)
        return hits, failures


@dataclass(frozen=True)
class BatchOutcome:
    """What one batch did: the items evaluated (those already done by someone else are left out)."""

    evaluated: tuple[int, ...]
    hits: tuple[Hit, ...]
    failures: dict[int, dict[str, str]]


_COLUMNS = (
    ContentItem.pk,
    Actor.pk,
    ContentItem.external_id,
    ContentItem.type,
    ContentItem.text,
    ContentItem.language,
    ContentItem.country,
    ContentItem.surface,
    ContentItem.created_at,
    ContentItem.views,
    ContentItem.media_url,
    ContentItem.media_pdq,
    Actor.external_id,
    Actor.created_at,
    Actor.country,
    Actor.language,
    Actor.attributes,
)


def load_items(session: Session, content_pks: Sequence[int]) -> list[DetectionItem]:
    """The items with their authors, in the order of `content_pks` (columns, not ORM objects: a batch
    is hundreds of rows read once)."""
    if not content_pks:
        return []
    rows = session.execute(
        select(*_COLUMNS).join(Actor, Actor.pk == ContentItem.actor_pk).where(ContentItem.pk.in_(content_pks))
    ).all()
    by_pk = {row[0]: _item(*row) for row in rows}
    return [by_pk[pk] for pk in content_pks if pk in by_pk]


def _item(
    content_pk: int,
    actor_pk: int,
    content_id: str,
    kind: str,
    text: str | None,
    language: str | None,
    country: str | None,
    surface: str | None,
    created_at: datetime,
    views: int | None,
    media_url: str | None,
    media_pdq: str | None,
    actor_id: str,
    actor_created_at: datetime,
    actor_country: str | None,
    actor_language: str | None,
    attributes: dict[str, Any] | None,
) -> DetectionItem:
    urls = links_in(text or "")
    return DetectionItem(
        content_pk=content_pk,
        actor_pk=actor_pk,
        content_id=content_id,
        type=kind,
        text=text or "",
        language=language or "",
        country=country or "",
        surface=surface or "",
        created_at=created_at,
        views=views or 0,
        media_pdq=media_pdq or "",
        has_media=bool(media_url or media_pdq),
        actor_id=actor_id,
        actor_created_at=actor_created_at,
        actor_country=actor_country or "",
        actor_language=actor_language or "",
        attributes=attributes or {},
        urls=urls,
        domains=domains_of(urls),
    )


def take_from_queue(session: Session, content_pks: Sequence[int]) -> list[int]:
    """Delete these items from the detection queue; the ones this transaction deleted, in order."""
    if not content_pks:
        return []
    taken = set(
        session.scalars(
            delete(DetectionQueueItem)
            .where(DetectionQueueItem.content_pk.in_(content_pks))
            .returning(DetectionQueueItem.content_pk)
        )
    )
    return [pk for pk in content_pks if pk in taken]


def detect_batch(
    session: Session,
    content_pks: Sequence[int],
    detector: Detector,
    *,
    velocity: VelocityCounter,
    labels: LabelSource | None,
    now: datetime,
) -> BatchOutcome:
    """Evaluate the queued items among `content_pks` in the caller's transaction (see the module doc)."""
    taken = take_from_queue(session, content_pks)
    items = load_items(session, taken)
    if not items:
        return BatchOutcome((), (), {})
    detector.signals(items, velocity=velocity, labels=labels, scope=SignalScope(session, now))
    hits, failures = detector.evaluate(items)
    apply_effects(session, hits, policies=current_policies(session), now=now)
    hits_by_item: dict[int, int] = {}
    for hit in hits:
        hits_by_item[hit.item.content_pk] = hits_by_item.get(hit.item.content_pk, 0) + 1
    session.execute(
        insert(DetectionVerdict),
        [
            {
                "content_pk": item.content_pk,
                "evaluated_at": now,
                "signals": signal_record(item),
                "rule_errors": failures.get(item.content_pk, {}),
                "hits": hits_by_item.get(item.content_pk, 0),
            }
            for item in items
        ],
    )
    record_hits(session, hits, now)
    return BatchOutcome(tuple(item.content_pk for item in items), tuple(hits), failures)


def record_hits(session: Session, hits: Sequence[Hit], now: datetime) -> None:
    """Keep every rule hit, with the rule's version and what its effects did."""
    if hits:
        session.execute(
            insert(RuleHit),
            [
                {
                    "rule_name": hit.rule.name,
                    "rule_version": hit.rule.version,
                    "mode": str(hit.rule.mode),
                    "content_pk": hit.item.content_pk,
                    "actor_pk": hit.item.actor_pk,
                    "policy_id": hit.rule.policy,
                    "confidence": hit.rule.confidence,
                    "hit_at": now,
                    "occurred_at": hit.item.created_at,
                    "effects": hit.effects,
                    "job_pk": hit.job_pk,
                }
                for hit in hits
            ],
        )
