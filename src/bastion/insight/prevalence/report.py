"""A labelled round's estimate of prevalence per policy, for the CLI, the API and the page alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bastion.clock import as_utc
from bastion.domain.policy import covers
from bastion.insight.prevalence.estimate import PrevalenceEstimate, StratumCount, estimate_prevalence
from bastion.insight.prevalence.rounds import labelled_samples, strata_of
from bastion.policy.service import current_policies


@dataclass(frozen=True)
class PolicyPrevalence:
    """One policy's prevalence in the round's period (violations of the policies below it included)."""

    policy: str
    title: str
    estimate: PrevalenceEstimate

    @property
    def shown(self) -> str:
        """As a report words it: `0.52% (0.31%-0.80%)`, or `at most 0.10%`."""
        e = self.estimate
        if e.upper_limit:
            return f"at most {e.high:.2%}"
        return f"{e.prevalence:.2%} ({e.low:.2%}-{e.high:.2%})"


@dataclass(frozen=True)
class RoundEstimate:
    name: str
    period_start: datetime
    period_end: datetime
    draws: int
    items: int
    confidence: float
    policies: list[PolicyPrevalence]


def round_estimate(session: Session, name: str) -> RoundEstimate:
    """Prevalence per policy of a round whose every item is labelled (the round's policy and those below
    it, or every live policy), each with its 95 % interval or upper limit."""
    row, samples = labelled_samples(session, name)
    strata = strata_of(row)
    live = current_policies(session)
    scope = (row.design or {}).get("policy")
    policies = [pid for pid in live if scope is None or covers(scope, pid)]
    results = []
    for pid in policies:
        found = {s.name: 0 for s in strata}
        for sample in samples:
            if covers(pid, sample.policy):
                found[sample.stratum] += sample.draws
        counts = [StratumCount(s.name, s.impressions, s.sample, found[s.name]) for s in strata]
        results.append(PolicyPrevalence(pid, live[pid].policy.title, estimate_prevalence(counts)))
    return RoundEstimate(
        name=row.name,
        period_start=as_utc(row.period_start),
        period_end=as_utc(row.period_end),
        draws=sum(s.sample for s in strata),
        items=len(samples),
        confidence=results[0].estimate.confidence if results else 0.95,
        policies=results,
    )
