"""Computing an item's signals: bank matches, velocity, labels and plug-in signals, for a whole batch.

The detector computes only what its rules read: a bank no rule names is not run, labels are not looked
up when no rule reads them. Velocity is the exception: every item is counted, whether or not a rule
reads the counters today, so that a rule loaded tomorrow sees true counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bastion.detect.context import DetectionItem, Match, empty_labels
from bastion.detect.fields import Group
from bastion.detect.normalise import fold
from bastion.detect.velocity import Observation, VelocityCounter


class BankMatch(Protocol):
    @property
    def count(self) -> int: ...


class KeywordBankLike(Protocol):
    def matches(self, folded: str) -> Any: ...  # has .count and .terms


class RegexBankLike(Protocol):
    def matches(self, text: str) -> Any: ...  # has .count and .patterns


class LabelSource(Protocol):
    def __call__(self, keys: Mapping[str, Sequence[str]], now: datetime) -> Mapping[tuple[str, str], frozenset[str]]:
        """The unexpired labels of these entities, by (entity type, value)."""
        ...


@dataclass(frozen=True)
class SignalScope:
    """Where a batch's signals are computed: the caller's transaction and its clock. In a replay (a
    backtest), a provider reads the store but must not write to it."""

    session: Session
    now: datetime
    replay: bool = False


class SignalProvider(Protocol):
    """A signal group (`signals.<name>.<field>`), registered through the `signal_providers` hook."""

    @property
    def name(self) -> str: ...
    @property
    def fields(self) -> Group: ...
    def compute(self, items: Sequence[DetectionItem], scope: SignalScope) -> Sequence[Mapping[str, Any]]:
        """One map of `fields` per item, in order. Writes, if any, go through `scope.session`, so that
        they commit with the batch's verdicts (and never in a replay)."""
        ...


def signal_providers(session: Session) -> list[SignalProvider]:
    """The registered signal groups for this store, in the order their areas registered."""
    from bastion.plugins import in_registration_order

    return [provider for group in in_registration_order("signal_providers", session=session) for provider in group]


def signal_generation(session: Session) -> tuple[object, ...]:
    """What every area says of its signal groups' state: changes when a detector must be built anew."""
    from bastion.plugins import in_registration_order

    return tuple(in_registration_order("detection_generation", session=session))


@dataclass(frozen=True)
class SignalPlan:
    """Which signals a rule set reads."""

    keyword_banks: Mapping[str, KeywordBankLike]
    regex_banks: Mapping[str, RegexBankLike]
    folded: bool  # the folded text is needed (a keyword bank, or a rule reading content.folded)
    labels: bool
    providers: Sequence[SignalProvider]


def compute_signals(
    items: Sequence[DetectionItem],
    plan: SignalPlan,
    *,
    velocity: VelocityCounter,
    labels: LabelSource | None,
    scope: SignalScope,
) -> None:
    """Fill in every item's signals, in place."""
    for item in items:
        if plan.folded:
            item.folded = fold(item.text)
        for name, keyword_bank in plan.keyword_banks.items():
            found = keyword_bank.matches(item.folded)
            if found.count:
                item.keyword[name] = Match(found.count, tuple(found.terms))
        for name, regex_bank in plan.regex_banks.items():
            found = regex_bank.matches(item.text)
            if found.count:
                item.regex[name] = Match(found.count, tuple(found.patterns))
    counts = velocity.observe([Observation(item.created_at, _velocity_keys(item)) for item in items])
    for item, counted in zip(items, counts, strict=True):
        item.velocity = counted
    if plan.labels and labels is not None:
        _attach_labels(items, labels, scope.now)
    for provider in plan.providers:
        for item, values in zip(items, provider.compute(items, scope), strict=True):
            item.plugin[provider.name] = values


def _velocity_keys(item: DetectionItem) -> dict[str, list[str]]:
    values = item.entity_values()
    return {entity: values[entity] for entity in ("actor", "ip", "device", "url")}


def _attach_labels(items: Sequence[DetectionItem], labels: LabelSource, now: datetime) -> None:
    keys: dict[str, set[str]] = {}
    for item in items:
        for entity, values in item.entity_values().items():
            keys.setdefault(entity, set()).update(values)
    found = labels({entity: sorted(values) for entity, values in keys.items()}, now)
    for item in items:
        item.labels = empty_labels()
        for entity, values in item.entity_values().items():
            names: set[str] = set()
            for value in values:
                names |= found.get((entity, value), frozenset())
            item.labels[entity] = sorted(names)


def signal_record(item: DetectionItem) -> dict[str, Any]:
    """What a verdict keeps of an item's signals: the matches, the counters, the labels it had."""
    record: dict[str, Any] = {}
    if item.keyword:
        record["keyword"] = {name: list(found.entries) for name, found in item.keyword.items()}
    if item.regex:
        record["regex"] = {name: list(found.entries) for name, found in item.regex.items()}
    if item.velocity:
        record["velocity"] = {name: value for name, value in item.velocity.items() if value}
    labels = {entity: names for entity, names in item.labels.items() if names}
    if labels:
        record["labels"] = labels
    for name, values in item.plugin.items():
        record[name] = dict(values)
    return record
