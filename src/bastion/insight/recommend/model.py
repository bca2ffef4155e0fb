"""What a recommendation is: a kind, a subject, the evidence behind it, its expected effect, and the
action that carries it out.

Every provider states its `impact` in one unit, **items per week**: moderation outcomes a week that the
change would set right (a job answered within its SLA instead of late, a decision right instead of
wrong, a report not filed in bad faith, a violating item caught). Each provider's module says how its
figure is computed; ranking compares these figures across kinds (`ranking.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

IMPACT_UNIT = "items per week"
DEFAULT_DAYS = 14  # the window recommendations are found in: this many days up to now
MAX_DAYS = 366


class RecommendationKind(StrEnum):
    STAFF_QUEUE = "staff_queue"
    CALIBRATE_REVIEWER = "calibrate_reviewer"
    CALIBRATE_VENDOR = "calibrate_vendor"
    CLARIFY_POLICY = "clarify_policy"
    INVESTIGATE_REPORTING = "investigate_reporting"
    RULE_THRESHOLD = "rule_threshold"
    ADD_TERM = "add_term"
    INVESTIGATE_SPIKE = "investigate_spike"


class ActionKind(StrEnum):
    """What the button on a recommendation's page does."""

    DRAFT_BANK_ENTRY = "draft_bank_entry"  # the term added to a keyword bank in a new version
    SHADOW_RULE = "shadow_rule"  # a new version of the rule, its threshold changed, in shadow mode
    CALIBRATION_EXERCISE = "calibration_exercise"  # an exercise on recent items for the reviewers named


@dataclass(frozen=True)
class Point:
    """One point of an evidence series: a period's label and its value."""

    label: str
    value: float


@dataclass(frozen=True)
class Evidence:
    """The numbers behind a recommendation, a few example ids, and a small series for its chart."""

    figures: dict[str, float | int | str]
    examples: tuple[str, ...] = ()
    series_title: str = ""
    series: tuple[Point, ...] = ()


@dataclass(frozen=True)
class Action:
    """What acting on a recommendation makes, and with what (a bank and a term, a rule and a threshold, ...)."""

    kind: ActionKind
    label: str  # the button's words
    params: dict[str, str | float | list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """A provider's proposal, before ranking."""

    kind: RecommendationKind
    subject: str
    title: str
    impact: float  # items per week, see the module docstring
    expected_effect: str
    evidence: Evidence
    action: Action | None = None

    @property
    def key(self) -> str:
        """Stable across runs for the same kind and subject, so acting on one is remembered."""
        return recommendation_key(self.kind, self.subject)


@dataclass(frozen=True)
class ActedOn:
    """Someone acted on the recommendation: who, when, and what it made."""

    by: str
    at: str
    result: dict[str, str | int | float | list[str]]


@dataclass(frozen=True)
class Recommendation:
    """A ranked candidate (rank 1 first), with whether it was acted on."""

    rank: int
    key: str
    kind: RecommendationKind
    title: str
    subject: str
    impact: float
    impact_unit: str
    expected_effect: str
    evidence: Evidence
    action: Action | None
    acted: ActedOn | None = None


_UNSAFE = re.compile(r"[^a-z0-9._:=-]+")


def recommendation_key(kind: RecommendationKind, subject: str) -> str:
    """`kind--subject`, folded to a URL-safe slug (lower case; other characters become `-`)."""
    slug = _UNSAFE.sub("-", subject.lower()).strip("-")[:200]
    return f"{kind.value}--{slug}"


def as_json(found: Recommendation) -> dict[str, object]:
    """A recommendation as `bastion recommend --format json` and `GET /api/v1/recommendations` write it."""
    return {
        "rank": found.rank,
        "key": found.key,
        "kind": found.kind.value,
        "title": found.title,
        "subject": found.subject,
        "impact": found.impact,
        "impact_unit": found.impact_unit,
        "expected_effect": found.expected_effect,
        "evidence": {
            "figures": dict(found.evidence.figures),
            "examples": list(found.evidence.examples),
            "series_title": found.evidence.series_title,
            "series": [{"label": p.label, "value": p.value} for p in found.evidence.series],
        },
        "action": None
        if found.action is None
        else {"kind": found.action.kind.value, "label": found.action.label, "params": dict(found.action.params)},
        "acted": None
        if found.acted is None
        else {"by": found.acted.by, "at": found.acted.at, "result": dict(found.acted.result)},
    }
