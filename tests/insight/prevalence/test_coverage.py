"""The acceptance: 200 rounds on the simulator's views, labelled by its truth, against its planted prevalence,
on three simulations (seed 1, the default, and seeds 7 and 8, whose policies are rarer).

The rounds test the design and the estimator, not the labellers: each drawn view is labelled with its
item's true policy. Pure numpy over the views of one simulated run per seed (`simulated.py`), built once
per seed and shared by the tests of this module, as are the rounds of each seed and allocation.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pytest

from bastion.insight.prevalence.design import Allocation, draw_round, plan_strata
from bastion.insight.prevalence.estimate import StratumCount, estimate_prevalence
from tests.insight.prevalence.simulated import SimulatedViews, simulated_views

ROUNDS = 200
SIZE = 2_000
SEEDS = (1, 7, 8)


@dataclass(frozen=True)
class Rounds:
    coverage: float  # over every policy and round
    ratio: float  # mean width of the stratified intervals over that of simple random samples of the same size
    by_policy: dict[str, float]

    def __str__(self) -> str:
        worst = min(self.by_policy, key=self.by_policy.__getitem__)
        lowest = f"lowest {worst} {self.by_policy[worst]:.3f}"
        return f"coverage {self.coverage:.3f}, width stratified/simple {self.ratio:.3f}; {lowest}"


@functools.cache
def views_of(seed: int) -> SimulatedViews:
    return simulated_views(seed)


@functools.cache
def rounds_of(seed: int, allocation: Allocation) -> Rounds:
    views = views_of(seed)
    rng = np.random.default_rng(seed)
    strata = plan_strata(views.scores, views.weights, SIZE, allocation=allocation)
    policies = sorted(views.true_prevalence)
    violating = {p: views.violating(p) for p in policies}
    total = float(views.weights.sum())
    covered: dict[str, list[bool]] = {p: [] for p in policies}
    widths: list[float] = []
    simple: list[float] = []
    for _ in range(ROUNDS):
        drawn = draw_round(rng, views.scores, views.weights, strata)
        srs = rng.choice(len(views.weights), size=SIZE, p=views.weights / total)
        for p in policies:
            counts = [
                StratumCount(s.name, s.impressions, s.sample, int(violating[p][drawn[s.name]].sum())) for s in strata
            ]
            estimate = estimate_prevalence(counts)
            covered[p].append(estimate.covers(views.true_prevalence[p]))
            widths.append(estimate.high - estimate.low)
            alone = estimate_prevalence([StratumCount("all", total, SIZE, int(violating[p][srs].sum()))])
            simple.append(alone.high - alone.low)
    coverage = float(np.mean([c for cs in covered.values() for c in cs]))
    return Rounds(
        coverage, float(np.mean(widths) / np.mean(simple)), {p: float(np.mean(c)) for p, c in covered.items()}
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_the_frame_holds_the_planted_prevalence(seed: int) -> None:
    views = views_of(seed)
    total = views.weights.sum()
    for policy, truth in views.true_prevalence.items():
        assert views.weights[views.violating(policy)].sum() / total == pytest.approx(truth, abs=1e-12), policy


@pytest.mark.parametrize("seed", SEEDS)
def test_two_hundred_rounds_cover_the_planted_prevalence(seed: int) -> None:
    neyman = rounds_of(seed, Allocation.NEYMAN)
    assert 0.93 <= neyman.coverage <= 0.97, neyman
    assert neyman.ratio < 1, neyman
    assert min(neyman.by_policy.values()) >= 0.85, neyman


@pytest.mark.parametrize("seed", SEEDS)
def test_neyman_is_narrower_than_proportional(seed: int) -> None:
    neyman, proportional = rounds_of(seed, Allocation.NEYMAN), rounds_of(seed, Allocation.PROPORTIONAL)
    figures = f"Neyman: {neyman}; proportional: {proportional}"
    assert neyman.ratio < proportional.ratio, figures
    # Proportional allocation is an option, not the program's design; it is held to the same band
    # (94.2-95.4 % on these seeds: docs/performance.md).
    assert 0.93 <= proportional.coverage <= 0.97, figures
