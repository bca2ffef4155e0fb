"""The acceptance: 200 rounds on the simulator's views, labelled by its truth, against its planted prevalence.

The rounds test the design and the estimator, not the labellers: each drawn view is labelled with its
item's true policy. Pure numpy over the views of one simulated run (`simulated.py`).
"""

from __future__ import annotations

import numpy as np
import pytest

from bastion.insight.prevalence.design import Allocation, draw_round, plan_strata
from bastion.insight.prevalence.estimate import StratumCount, estimate_prevalence
from tests.insight.prevalence.simulated import SimulatedViews, simulated_views

ROUNDS = 200
SIZE = 2_000
SEED = 7


@pytest.fixture(scope="module")
def views() -> SimulatedViews:
    return simulated_views(SEED)


def test_the_frame_holds_the_planted_prevalence(views: SimulatedViews) -> None:
    total = views.weights.sum()
    for policy, truth in views.true_prevalence.items():
        assert views.weights[views.violating(policy)].sum() / total == pytest.approx(truth, abs=1e-12), policy


def _rounds(views: SimulatedViews, allocation: Allocation) -> tuple[float, float, dict[str, float]]:
    """Coverage over every policy and round, the mean width of the stratified intervals over the mean
    width of simple random samples' of the same size, and coverage per policy."""
    rng = np.random.default_rng(SEED)
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
    return coverage, float(np.mean(widths) / np.mean(simple)), {p: float(np.mean(c)) for p, c in covered.items()}


def test_two_hundred_rounds_cover_the_planted_prevalence(views: SimulatedViews) -> None:
    coverage, ratio, by_policy = _rounds(views, Allocation.NEYMAN)
    figures = f"coverage {coverage:.3f}, width stratified/simple {ratio:.3f}; by policy {by_policy}"
    assert 0.93 <= coverage <= 0.97, figures
    assert ratio < 0.9, figures
    assert min(by_policy.values()) >= 0.85, figures


def test_neyman_is_narrower_than_proportional(views: SimulatedViews) -> None:
    neyman_coverage, neyman, _ = _rounds(views, Allocation.NEYMAN)
    proportional_coverage, proportional, _ = _rounds(views, Allocation.PROPORTIONAL)
    figures = (
        f"width ratio to simple random sampling: Neyman {neyman:.3f} (coverage {neyman_coverage:.3f}), "
        f"proportional {proportional:.3f} (coverage {proportional_coverage:.3f})"
    )
    assert neyman < proportional, figures
    assert 0.93 <= proportional_coverage <= 0.975, figures
