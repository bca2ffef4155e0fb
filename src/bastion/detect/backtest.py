"""Backtests: a rule set run over stored history, to see what it would have hit before it ships.

The items posted in the period are replayed in the order they were posted, through the same signals
and engine as live detection, with velocity counted afresh in memory (from a day before the period, so
that the longest window is full when the period starts). Labels are not replayed: a rule reading
labels sees none. Nothing is written and nothing is acted on.

Each rule's hits are compared with what review decided about the same items (`metrics/outcomes.py`):
precision is the share of its decided hits found violating (within the rule's policy family when it
names a policy), recall the share of the period's decided violating items it hit; both with Wilson
95 % intervals. Overlap counts the hits that a live rule in force hit too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bastion.detect.context import DetectionItem
from bastion.detect.pipeline import Detector, load_items
from bastion.detect.signals import SignalScope
from bastion.domain.detect import RuleMode
from bastion.review.outcomes import review_outcomes, same_family
from bastion.store.schema import ContentItem

WARM_UP = timedelta(days=1)  # the longest velocity window
BATCH = 2_000
SAMPLE = 5  # hit ids kept per rule, to look at


@dataclass(frozen=True)
class Rate:
    """A share with its Wilson 95 % interval; None when nothing was counted."""

    count: int
    total: int
    value: float | None
    low: float | None
    high: float | None


def wilson(count: int, total: int) -> Rate:
    if total == 0:
        return Rate(0, 0, None, None, None)
    from statsmodels.stats.proportion import proportion_confint  # slow to import: only when counting

    low, high = proportion_confint(count, total, alpha=0.05, method="wilson")
    return Rate(count, total, count / total, float(low), float(high))


@dataclass(frozen=True)
class TestedRule:
    """A rule of the file under test, run whatever its mode (a backtest acts on nothing)."""

    name: str
    when: str
    policy: str | None
    written_mode: str
    mode: RuleMode = RuleMode.SHADOW


@dataclass
class RuleTally:
    name: str
    mode: str
    policy: str | None
    hits: list[int] = field(default_factory=list)  # content pks
    sample: list[str] = field(default_factory=list)  # content ids
    overlapping: int = 0  # hits that at least one live rule hit too
    overlap: dict[str, int] = field(default_factory=dict)  # live rule -> hits in common


@dataclass(frozen=True)
class RuleReport:
    name: str
    mode: str
    policy: str | None
    hits: int
    decided: int
    precision: Rate
    recall: Rate
    overlap_with_live: int
    overlap_by_rule: dict[str, int]
    sample: list[str]


@dataclass(frozen=True)
class BacktestReport:
    since: datetime
    until: datetime
    items: int
    decided: int
    rules: list[RuleReport]
    broken: dict[str, str]


def history(session: Session, since: datetime, until: datetime) -> Iterator[list[int]]:
    """The keys of the items posted in [since, until), oldest first, a batch at a time."""
    after: tuple[datetime, int] | None = None
    while True:
        query = select(ContentItem.pk, ContentItem.created_at).where(
            ContentItem.created_at >= since, ContentItem.created_at < until
        )
        if after is not None:
            query = query.where(
                or_(
                    ContentItem.created_at > after[0],
                    and_(ContentItem.created_at == after[0], ContentItem.pk > after[1]),
                )
            )
        rows = session.execute(query.order_by(ContentItem.created_at, ContentItem.pk).limit(BATCH)).all()
        if not rows:
            return
        yield [int(pk) for pk, _ in rows]
        after = (rows[-1][1], int(rows[-1][0]))


def backtest(
    session: Session,
    detector: Detector,
    *,
    velocity: Any,
    since: datetime,
    until: datetime,
) -> BacktestReport:
    """Run `detector` over the period: its `TestedRule`s are tallied, its other rules (the live rules in
    force) give the overlap. `velocity` is a fresh in-memory counter."""
    rules = detector.engine.rules
    tallies = {
        position: RuleTally(rule.name, rule.written_mode, rule.policy)
        for position, rule in enumerate(rules)
        if isinstance(rule, TestedRule)
    }
    items_seen = 0
    every_item: list[int] = []
    for pks in history(session, since - WARM_UP, until):
        items = load_items(session, pks)
        detector.signals(items, velocity=velocity, labels=None, scope=SignalScope(session, until, replay=True))
        for item in (i for i in items if i.created_at >= since):
            items_seen += 1
            every_item.append(item.content_pk)
            _tally(item, detector, tallies)
    outcomes = review_outcomes(session, every_item)
    reports = []
    for tally in tallies.values():
        decided = [outcomes[pk] for pk in tally.hits if pk in outcomes]
        violating = sum(1 for o in decided if same_family(o.policy_id, tally.policy))
        in_scope = sum(1 for o in outcomes.values() if same_family(o.policy_id, tally.policy))
        reports.append(
            RuleReport(
                tally.name,
                tally.mode,
                tally.policy,
                len(tally.hits),
                len(decided),
                wilson(violating, len(decided)),
                wilson(violating, in_scope),
                tally.overlapping,
                dict(sorted(tally.overlap.items(), key=lambda kv: (-kv[1], kv[0]))),
                tally.sample,
            )
        )
    return BacktestReport(since, until, items_seen, len(outcomes), reports, dict(detector.engine.broken))


def _tally(item: DetectionItem, detector: Detector, tallies: dict[int, RuleTally]) -> None:
    hits = detector.engine.run(detector.builder.variables(item)).hits
    tested = [position for position in hits if position in tallies]
    if not tested:
        return
    live = [detector.engine.rules[position].name for position in hits if position not in tallies]
    for position in tested:
        tally = tallies[position]
        tally.hits.append(item.content_pk)
        if len(tally.sample) < SAMPLE:
            tally.sample.append(item.content_id)
        others = [name for name in live if name != tally.name]  # not the rule's own version in force
        for name in others:
            tally.overlap[name] = tally.overlap.get(name, 0) + 1
        tally.overlapping += 1 if others else 0
