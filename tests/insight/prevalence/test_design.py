"""The sampling design: strata by score, allocation with a minimum, and the draw proportional to weight."""

from __future__ import annotations

import numpy as np
import pytest

from bastion.errors import InvalidInput
from bastion.insight.prevalence.design import (
    UNSCORED,
    Allocation,
    allocate,
    draw,
    draw_round,
    plan_strata,
    stratum_index,
    stratum_names,
)


def test_strata_by_score_and_unscored() -> None:
    scores = np.array([0.0, 0.0999, 0.1, 0.3, 0.59, 0.6, 1.0, np.nan])
    assert stratum_index(scores).tolist() == [0, 0, 1, 2, 2, 3, 3, 4]
    assert stratum_names() == ["score 0-0.1", "score 0.1-0.3", "score 0.3-0.6", "score 0.6-1", UNSCORED]


@pytest.mark.parametrize(
    ("need", "size", "minimum", "expected"),
    [
        ([1.0, 1.0, 2.0], 100, 0, [25, 25, 50]),
        ([1000.0, 1.0, 1.0], 100, 10, [80, 10, 10]),
        ([1.0, 1.0, 1.0], 10, 20, [4, 3, 3]),  # the minimum lowered to what fits, remainders to the first
        ([0.0, 0.0], 7, 2, [4, 3]),
    ],
)
def test_allocation_adds_up_with_a_minimum(need: list[float], size: int, minimum: int, expected: list[int]) -> None:
    assert allocate(need, size, minimum=minimum) == expected


def test_neyman_samples_the_high_scores_more_than_their_share() -> None:
    scores = np.array([0.01] * 900 + [0.8] * 90 + [np.nan] * 10)
    weights = np.ones(1000)
    neyman = {s.name: s for s in plan_strata(scores, weights, 200)}
    proportional = {s.name: s for s in plan_strata(scores, weights, 200, allocation=Allocation.PROPORTIONAL)}
    assert set(neyman) == {"score 0-0.1", "score 0.6-1", UNSCORED}  # strata with no views left out
    assert sum(s.sample for s in neyman.values()) == sum(s.sample for s in proportional.values()) == 200
    assert neyman["score 0.6-1"].sample > proportional["score 0.6-1"].sample
    assert proportional["score 0-0.1"].sample == 20 + round(140 * 0.9)
    assert neyman["score 0-0.1"].impressions == 900 and neyman["score 0-0.1"].mean_score == pytest.approx(0.01)
    assert neyman[UNSCORED].mean_score is None and neyman[UNSCORED].low is None


def test_draws_follow_the_weights() -> None:
    rng = np.random.default_rng(3)
    weights = np.array([1.0, 0.0, 3.0, 6.0])
    drawn = draw(rng, weights, 20_000)
    shares = np.bincount(drawn, minlength=4) / 20_000
    assert shares[1] == 0.0
    assert shares.tolist() == pytest.approx([0.1, 0.0, 0.3, 0.6], abs=0.015)


def test_a_round_draws_each_stratum_from_its_own_views() -> None:
    rng = np.random.default_rng(5)
    scores = np.array([0.05, 0.05, 0.7, np.nan, 0.2])
    weights = np.array([10.0, 30.0, 5.0, 2.0, 1.0])
    strata = plan_strata(scores, weights, 40, minimum=5)
    drawn = draw_round(rng, scores, weights, strata)
    assert {name: len(indices) for name, indices in drawn.items()} == {s.name: s.sample for s in strata}
    assert set(drawn["score 0-0.1"].tolist()) <= {0, 1} and set(drawn[UNSCORED].tolist()) == {3}


def test_a_round_needs_a_size_and_views() -> None:
    with pytest.raises(InvalidInput) as raised:
        plan_strata(np.array([0.5]), np.array([1.0]), 0)
    assert raised.value.errors[0].path == "size"
    with pytest.raises(InvalidInput, match="no views were seen"):
        plan_strata(np.array([]), np.array([]), 10)
