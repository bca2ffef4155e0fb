"""What a model said of one item, whichever kind of model said it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bastion.domain.models import ModelVerdict

MAX_REASONING = 4_000  # characters of a model's stated reasoning kept as evidence


@dataclass(frozen=True)
class Score:
    score: float  # the probability that the item violates the model's policy, 0..1
    verdict: ModelVerdict
    latency_ms: float
    reasoning: str | None = None


@dataclass(frozen=True)
class ModelInForce:
    """A model version as detection runs it: no ORM row, so a cached detector can keep it."""

    pk: int
    name: str
    version: int
    kind: str
    policy_id: str
    mode: str
    config: dict[str, Any]
    artefact_sha256: str | None

    @property
    def threshold(self) -> float:
        return float(self.config.get("threshold", 0.5))

    @property
    def timeout(self) -> float:
        return float(self.config.get("timeout_seconds", 2.0))


def verdict_at(score: float, threshold: float) -> ModelVerdict:
    return ModelVerdict.VIOLATING if score >= threshold else ModelVerdict.NOT_VIOLATING
