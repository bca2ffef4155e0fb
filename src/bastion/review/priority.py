"""Priority: an explainable score from severity, confidence, reach, reports and age against the SLA.

Pure. The stored `claim_rank` orders jobs exactly as the full score does at any moment: within a
queue the age term grows at the same rate for every job, so base - w_age * created / sla sorts the
same way as base + w_age * (now - created) / sla, and it can be indexed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from bastion.review.config import PriorityWeights


@dataclass(frozen=True)
class PriorityInputs:
    severity: int  # 1..4, of the policy the job is about (1 when unknown)
    confidence: float  # 0..1, of the rule or classifier that made the job (0 for user reports)
    views: int
    followers: int
    weighted_reports: float  # reports, each weighted by its reporter's trust


def priority_terms(inputs: PriorityInputs, weights: PriorityWeights) -> dict[str, float]:
    """Each term of the score, already weighted; their sum is the base priority."""
    reach = min(1.0, math.log10(1 + max(0, inputs.views) + max(0, inputs.followers)) / 6)
    return {
        "severity": round(weights.severity * max(1, min(4, inputs.severity)) / 4, 4),
        "confidence": round(weights.confidence * max(0.0, min(1.0, inputs.confidence)), 4),
        "reach": round(weights.reach * reach, 4),
        "reports": round(weights.reports * (1 - math.exp(-max(0.0, inputs.weighted_reports) / 3)), 4),
    }


def base_priority(terms: dict[str, float]) -> float:
    return round(sum(terms.values()), 4)


def age_term(created_at: datetime, now: datetime, sla_hours: float, weights: PriorityWeights) -> float:
    """The share of the SLA used so far, weighted; keeps growing past 1 when the SLA is missed."""
    elapsed = max(0.0, (now - created_at).total_seconds())
    return round(weights.age * elapsed / (sla_hours * 3600), 4)


def claim_rank(base: float, created_at: datetime, sla_hours: float, weights: PriorityWeights) -> float:
    return base - weights.age * created_at.timestamp() / (sla_hours * 3600)


def reporter_trust(upheld: int, decided: int) -> float:
    """How often a reporter's reports were found violating, with a uniform prior (Laplace)."""
    return (upheld + 1) / (decided + 2)


UNKNOWN_REPORTER_TRUST = reporter_trust(0, 0)  # anonymous, or nothing of theirs decided yet: 0.5
