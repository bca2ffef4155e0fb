"""QA sampling plans: which decisions of a queue go to blind re-review, and why. Pure: no database.

A plan has a base random rate, stratum rates (by the decision's label, the policy family, the reviewer,
the vendor) and targets (low detection confidence, new reviewers, high severity, overturned on appeal).
Each decision draws one number `u` in [0, 1) from a keyed hash of the plan's queue and the decision;
every reason that applies offers its rate, and the decision is sampled when `u` falls below one of them.
The reason recorded is the highest-priority reason whose rate is above `u`, so:

- a decision is sampled with the largest rate that applies to it (never more, never twice);
- a run replays exactly (the same decisions, the same reasons), which makes a crash recoverable (sample
  again: nothing changes for what was already sampled) and tests deterministic;
- raising a rate only adds decisions: a sample under a plan stays a sample under a more generous one.

The hash is keyed by the plan's queue, not its version, so a preview predicts exactly what the plan,
once saved, would have pulled from the same decisions.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bastion.domain.policy import harm_type
from bastion.domain.quality import SampleReason
from bastion.errors import FieldError, InvalidInput

NO_VIOLATION = "none"
SAMPLED_QUEUE_KINDS = ("review", "escalation")  # QA verdicts and appeal verdicts are never sampled
STRATA = ("decision", "policy_family", "reviewer", "vendor")  # what a stratum rate may be keyed by
TARGETS = ("overturned", "high_severity", "low_confidence", "new_reviewer")
# The order in which reasons are recorded when several apply: the most telling first.
PRIORITY = (
    SampleReason.OVERTURNED,
    SampleReason.HIGH_SEVERITY,
    SampleReason.LOW_CONFIDENCE,
    SampleReason.NEW_REVIEWER,
    SampleReason.STRATUM,
    SampleReason.RANDOM,
)
# Each target's bar: its key in the plan, and whether it is a fraction (0..1) or a whole number.
TARGET_BARS: dict[str, tuple[str, str]] = {
    "high_severity": ("at_least", "severity"),
    "low_confidence": ("below", "fraction"),
    "new_reviewer": ("fewer_than", "count"),
}


@dataclass(frozen=True)
class Target:
    rate: float
    bar: float | None = None  # `at_least` a severity, `below` a confidence, `fewer_than` decisions; none for overturned


@dataclass(frozen=True)
class QaPlanSpec:
    """One queue's plan as it is in force: what it samples, and where it sends what it samples."""

    queue: str
    qa_queue: str
    rate: float
    strata: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    targets: Mapping[str, Target] = field(default_factory=dict)
    active: bool = True

    def strata_document(self) -> dict[str, dict[str, float]]:
        return {name: dict(rates) for name, rates in self.strata.items()}

    def targets_document(self) -> dict[str, dict[str, float]]:
        documents: dict[str, dict[str, float]] = {}
        for name, target in self.targets.items():
            document = {"rate": target.rate}
            if target.bar is not None:
                document[TARGET_BARS[name][0]] = target.bar
            documents[name] = document
        return documents


@dataclass(frozen=True)
class DecisionFacts:
    """What a plan looks at of one decision."""

    decision_pk: int
    decided_at: datetime
    label: str  # the policy found, or "none"
    reviewer: str
    vendor: str | None
    severity: int  # of the job, 1..4
    confidence: float | None  # of the detection that opened the job; none for a job opened by reports
    reviewer_decisions_before: int  # the reviewer's decisions before this one
    overturned: bool = False  # overturned on appeal (known only once the appeal is decided)


def draw(queue: str, decision_pk: int) -> float:
    """The decision's number in [0, 1) under the plan of `queue`: a keyed hash, the same on every run."""
    digest = hashlib.blake2b(str(decision_pk).encode(), digest_size=8, key=f"qa-plan:{queue}".encode()).digest()
    return int.from_bytes(digest, "big") / 2**64


def offered_rates(plan: QaPlanSpec, facts: DecisionFacts) -> dict[SampleReason, float]:
    """Every reason that applies to the decision, with the rate it offers."""
    offers: dict[SampleReason, float] = {}
    targets = plan.targets
    overturned = targets.get("overturned")
    if overturned is not None and facts.overturned:
        offers[SampleReason.OVERTURNED] = overturned.rate
    severe = targets.get("high_severity")
    if severe is not None and severe.bar is not None and facts.severity >= severe.bar:
        offers[SampleReason.HIGH_SEVERITY] = severe.rate
    unsure = targets.get("low_confidence")
    if unsure is not None and unsure.bar is not None and facts.confidence is not None and facts.confidence < unsure.bar:
        offers[SampleReason.LOW_CONFIDENCE] = unsure.rate
    new = targets.get("new_reviewer")
    if new is not None and new.bar is not None and facts.reviewer_decisions_before < new.bar:
        offers[SampleReason.NEW_REVIEWER] = new.rate
    keys: dict[str, str | None] = {
        "decision": facts.label,
        "policy_family": harm_type(facts.label) if facts.label != NO_VIOLATION else NO_VIOLATION,
        "reviewer": facts.reviewer,
        "vendor": facts.vendor,
    }
    stratum = max(
        (rates[key] for name, rates in plan.strata.items() if (key := keys.get(name)) is not None and key in rates),
        default=None,
    )
    if stratum is not None:
        offers[SampleReason.STRATUM] = stratum
    offers[SampleReason.RANDOM] = plan.rate
    return offers


def sample_reason(plan: QaPlanSpec, facts: DecisionFacts) -> SampleReason | None:
    """Why the plan samples this decision (the highest-priority reason whose rate is above the
    decision's draw), or None when it does not."""
    if not plan.active:
        return None
    u = draw(plan.queue, facts.decision_pk)
    offers = offered_rates(plan, facts)
    return next((reason for reason in PRIORITY if reason in offers and u < offers[reason]), None)


@dataclass(frozen=True)
class PreviewDay:
    day: date
    decisions: int
    sampled: int
    by_reason: dict[str, int]


@dataclass(frozen=True)
class Preview:
    """How many items per day the plan would have pulled from these decisions, by reason."""

    queue: str
    days: list[PreviewDay]
    decisions: int
    sampled: int
    by_reason: dict[str, int]
    per_day: float  # sampled items per day, averaged over the days previewed


def preview(plan: QaPlanSpec, decisions: Iterable[DecisionFacts], days: Sequence[date]) -> Preview:
    """Run the plan over past decisions, day by day (`days`: every day of the window, so quiet days count)."""
    seen: Counter[date] = Counter()
    pulled: dict[date, Counter[str]] = {day: Counter() for day in days}
    for facts in decisions:
        day = facts.decided_at.date()
        seen[day] += 1
        reason = sample_reason(plan, facts)
        if reason is not None:
            pulled.setdefault(day, Counter())[reason.value] += 1
    rows = [
        PreviewDay(day, seen[day], sum(pulled[day].values()), dict(sorted(pulled[day].items())))
        for day in sorted(pulled)
    ]
    total: Counter[str] = Counter()
    for row in rows:
        total.update(row.by_reason)
    sampled = sum(total.values())
    return Preview(
        queue=plan.queue,
        days=rows,
        decisions=sum(seen.values()),
        sampled=sampled,
        by_reason={reason.value: total[reason.value] for reason in PRIORITY},
        per_day=round(sampled / len(rows), 2) if rows else 0.0,
    )


# --- validation -------------------------------------------------------------------------------------


def _rate(value: object, path: str, errors: list[FieldError]) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        errors.append(FieldError(path, f"a rate is a number from 0 to 1, got {value!r}"))
        return None
    return float(value)


def parse_plan(
    document: Mapping[str, Any],
    *,
    queues: Mapping[str, str],
    policies: Iterable[str] | None = None,
) -> QaPlanSpec:
    """A plan from its document (`queue`, `qa_queue`, `rate`, `strata`, `targets`, `active`), every problem
    named by its field. `queues`: the queues of the review configuration and their kinds; `policies`:
    the policy ids a `decision` stratum may name (with "none"), when known."""
    errors: list[FieldError] = []
    known = set(document) - {"queue", "qa_queue", "rate", "strata", "targets", "active"}
    errors += [FieldError(key, "is not a field of a QA plan") for key in sorted(known)]
    queue = document.get("queue")
    if not isinstance(queue, str) or queue not in queues:
        errors.append(FieldError("queue", f"no queue named {queue!r} in the review configuration"))
    elif queues[queue] not in SAMPLED_QUEUE_KINDS:
        errors.append(
            FieldError(
                "queue", f"{queue!r} is a queue of kind {queues[queue]}: only review and escalation queues are sampled"
            )
        )
    qa_queue = document.get("qa_queue")
    if not isinstance(qa_queue, str) or qa_queue not in queues:
        errors.append(FieldError("qa_queue", f"no queue named {qa_queue!r} in the review configuration"))
    elif queues[qa_queue] != "qa":
        errors.append(
            FieldError("qa_queue", f"{qa_queue!r} is a queue of kind {queues[qa_queue]}, not a QA queue (kind: qa)")
        )
    rate = _rate(document.get("rate"), "rate", errors)
    active = document.get("active", True)
    if not isinstance(active, bool):
        errors.append(FieldError("active", f"is true or false, got {active!r}"))
    strata = _strata(document.get("strata") or {}, None if policies is None else set(policies), errors)
    targets = _targets(document.get("targets") or {}, errors)
    if errors:
        raise InvalidInput("the QA plan is not valid", errors)
    assert isinstance(queue, str) and isinstance(qa_queue, str) and rate is not None and isinstance(active, bool)
    return QaPlanSpec(queue, qa_queue, rate, strata, targets, active)


def _strata(document: object, policies: set[str] | None, errors: list[FieldError]) -> dict[str, dict[str, float]]:
    if not isinstance(document, Mapping):
        errors.append(FieldError("strata", "is an object: {stratum: {value: rate}}"))
        return {}
    strata: dict[str, dict[str, float]] = {}
    for name, rates in document.items():
        path = f"strata.{name}"
        if name not in STRATA:
            errors.append(FieldError(path, f"unknown stratum: use {', '.join(STRATA)}"))
            continue
        if not isinstance(rates, Mapping):
            errors.append(FieldError(path, "is an object: {value: rate}"))
            continue
        strata[name] = {}
        for key, value in rates.items():
            if name == "decision" and policies is not None and key != NO_VIOLATION and key not in policies:
                errors.append(FieldError(f"{path}.{key}", f"no policy {key!r}: name a policy id or 'none'"))
            elif name == "policy_family" and policies is not None and not any(harm_type(p) == key for p in policies):
                errors.append(FieldError(f"{path}.{key}", f"no policy family {key!r}: name a top-level policy id"))
            rate = _rate(value, f"{path}.{key}", errors)
            if rate is not None:
                strata[name][str(key)] = rate
    return strata


def _targets(document: object, errors: list[FieldError]) -> dict[str, Target]:
    if not isinstance(document, Mapping):
        errors.append(FieldError("targets", "is an object: {target: {rate, bar}}"))
        return {}
    targets: dict[str, Target] = {}
    for name, spec in document.items():
        path = f"targets.{name}"
        if name not in TARGETS:
            errors.append(FieldError(path, f"unknown target: use {', '.join(TARGETS)}"))
            continue
        if not isinstance(spec, Mapping):
            errors.append(FieldError(path, "is an object with a rate"))
            continue
        bar_key, kind = TARGET_BARS.get(name, ("", ""))
        extra = set(spec) - {"rate", bar_key}
        errors += [FieldError(f"{path}.{key}", "is not a field of this target") for key in sorted(extra)]
        rate = _rate(spec.get("rate"), f"{path}.rate", errors)
        bar = _bar(spec.get(bar_key), f"{path}.{bar_key}", kind, errors) if bar_key else None
        if rate is not None and (bar is not None or not bar_key):
            targets[name] = Target(rate, bar)
    return targets


def _bar(value: object, path: str, kind: str, errors: list[FieldError]) -> float | None:
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if kind == "fraction" and (number is None or not 0 < number <= 1):
        errors.append(FieldError(path, f"a confidence from 0 to 1 (above 0), got {value!r}"))
    elif kind == "severity" and (number is None or number not in (1, 2, 3, 4)):
        errors.append(FieldError(path, f"a severity from 1 to 4, got {value!r}"))
    elif kind == "count" and (number is None or not float(number).is_integer() or number < 1):
        errors.append(FieldError(path, f"a whole number of decisions, 1 or more, got {value!r}"))
    else:
        return float(number) if number is not None else None
    return None
