"""The stratified estimator: a known answer worked by hand, statsmodels' single-sample intervals, a
brute-force simulation of its bias, variance and coverage, upper limits, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from bastion.errors import InvalidInput
from bastion.insight.prevalence.estimate import (
    MIN_VIOLATING,
    IntervalMethod,
    StratumCount,
    estimate_prevalence,
)


def test_two_strata_worked_by_hand() -> None:
    # 900 impressions with 1 violating of 50 drawn, 100 impressions with 10 of 50 drawn.
    estimate = estimate_prevalence([StratumCount("low", 900, 50, 1), StratumCount("high", 100, 50, 10)])
    assert estimate.prevalence == pytest.approx(0.9 * 1 / 50 + 0.1 * 10 / 50)  # 0.038
    design_variance = 0.81 * 0.02 * 0.98 / 50 + 0.01 * 0.2 * 0.8 / 50  # 0.00034952
    assert estimate.standard_error == pytest.approx(math.sqrt(design_variance))
    # The interval: Jeffreys on the effective sample size, from the smoothed rates 1.5/51 and 10.5/51.
    q_low, q_high = 1.5 / 51, 10.5 / 51
    q = 0.9 * q_low + 0.1 * q_high
    effective = q * (1 - q) / (0.81 * q_low * (1 - q_low) / 50 + 0.01 * q_high * (1 - q_high) / 50)
    found = 0.038 * effective
    low, high = stats.beta.ppf([0.025, 0.975], found + 0.5, effective - found + 0.5)
    assert (estimate.low, estimate.high) == pytest.approx((low, high))
    assert 0.0 < estimate.low < 0.038 < estimate.high < 0.1
    assert not estimate.upper_limit
    assert (estimate.draws, estimate.violating) == (100, 11)


def test_two_strata_worked_by_hand_jeffreys_beta() -> None:
    # The former default: a Beta with mean 0.038 and the strata's Jeffreys variances,
    # Beta(1.5, 49.5) and Beta(10.5, 40.5).
    estimate = estimate_prevalence(
        [StratumCount("low", 900, 50, 1), StratumCount("high", 100, 50, 10)], method=IntervalMethod.JEFFREYS_BETA
    )
    jeffreys = 0.81 * (1.5 * 49.5 / (51**2 * 52)) + 0.01 * (10.5 * 40.5 / (51**2 * 52))
    common = 0.038 * 0.962 / jeffreys - 1
    low, high = stats.beta.ppf([0.025, 0.975], 0.038 * common, 0.962 * common)
    assert (estimate.low, estimate.high) == pytest.approx((low, high))


@pytest.mark.parametrize(("found", "drawn"), [(12, 400), (30, 100), (57, 60)])
def test_one_stratum_is_statsmodels_jeffreys(found: int, drawn: int) -> None:
    estimate = estimate_prevalence([StratumCount("all", 5_000, drawn, found)])
    assert (estimate.low, estimate.high) == pytest.approx(proportion_confint(found, drawn, method="jeffreys"))


def test_nothing_found_is_a_jeffreys_upper_limit_on_the_designs_effective_size() -> None:
    # Nothing found: the smoothed rates 0.5/301 and 0.5/101 still give the design an effective size.
    estimate = estimate_prevalence([StratumCount("low", 9_000, 300, 0), StratumCount("high", 1_000, 100, 0)])
    q_low, q_high = 0.5 / 301, 0.5 / 101
    q = 0.9 * q_low + 0.1 * q_high
    effective = q * (1 - q) / (0.81 * q_low * (1 - q_low) / 300 + 0.01 * q_high * (1 - q_high) / 100)
    assert 300 < effective < 400
    assert estimate.high == pytest.approx(stats.beta.ppf(0.95, 0.5, effective + 0.5))


@pytest.mark.parametrize(("found", "drawn"), [(12, 400), (30, 100), (57, 60)])
def test_one_stratum_korn_graubard_is_clopper_pearson(found: int, drawn: int) -> None:
    estimate = estimate_prevalence([StratumCount("all", 5_000, drawn, found)], method=IntervalMethod.KORN_GRAUBARD)
    assert (estimate.low, estimate.high) == pytest.approx(proportion_confint(found, drawn, method="beta"))


def test_one_stratum_wald_is_the_normal_interval() -> None:
    estimate = estimate_prevalence([StratumCount("all", 5_000, 300, 45)], method=IntervalMethod.WALD)
    assert (estimate.low, estimate.high) == pytest.approx(proportion_confint(45, 300, method="normal"))


def test_too_few_violations_give_an_upper_limit() -> None:
    none_found = estimate_prevalence([StratumCount("low", 9_000, 300, 0), StratumCount("high", 1_000, 100, 0)])
    assert none_found.upper_limit and none_found.prevalence == 0.0 and none_found.low == 0.0
    assert 0.0 < none_found.high < 0.02
    few = estimate_prevalence([StratumCount("low", 9_000, 300, 1), StratumCount("high", 1_000, 100, 3)])
    assert few.upper_limit and few.low == 0.0 and few.high > few.prevalence
    enough = estimate_prevalence([StratumCount("low", 9_000, 300, 2), StratumCount("high", 1_000, 100, MIN_VIOLATING)])
    assert not enough.upper_limit and enough.low > 0.0


@st.composite
def strata_counts(draw: st.DrawFn) -> list[StratumCount]:
    strata = []
    for h in range(draw(st.integers(1, 6))):
        n = draw(st.integers(1, 3_000))
        strata.append(StratumCount(str(h), draw(st.integers(1, 10**9)), n, draw(st.integers(0, n))))
    return strata


@given(strata_counts(), st.sampled_from(list(IntervalMethod)))
def test_every_interval_holds_its_estimate_within_zero_and_one(
    strata: list[StratumCount], method: IntervalMethod
) -> None:
    estimate = estimate_prevalence(strata, method=method)
    assert 0.0 <= estimate.low <= estimate.prevalence <= estimate.high <= 1.0
    assert estimate.upper_limit == (estimate.violating < MIN_VIOLATING)
    assert estimate.draws == sum(s.draws for s in strata)


def test_everything_found_is_an_interval_below_one() -> None:
    everything = estimate_prevalence([StratumCount("a", 100, 30, 30), StratumCount("b", 50, 20, 20)])
    assert everything.prevalence == 1.0 and 0.8 < everything.low < 1.0 and everything.high == 1.0


def test_strata_without_impressions_are_left_out() -> None:
    with_empty = estimate_prevalence([StratumCount("a", 500, 40, 12), StratumCount("empty", 0, 0, 0)])
    alone = estimate_prevalence([StratumCount("a", 500, 40, 12)])
    assert with_empty == alone


def test_brute_force_simulation_of_the_design() -> None:
    """Binomial draws in three strata: the estimate is unbiased, the variance formula right on average,
    and the interval covers the truth about 95 % of the time (the upper limit included)."""
    rng = np.random.default_rng(12)
    impressions = np.array([80_000.0, 15_000.0, 5_000.0])
    rates = np.array([0.004, 0.03, 0.4])
    draws = np.array([500, 300, 200])
    truth = float(np.sum(impressions / impressions.sum() * rates))
    rounds = 4_000
    found = rng.binomial(draws, rates, size=(rounds, 3))
    estimates = [
        estimate_prevalence([StratumCount(str(h), impressions[h], int(draws[h]), int(row[h])) for h in range(3)])
        for row in found
    ]
    values = np.array([e.prevalence for e in estimates])
    assert abs(values.mean() - truth) < 4 * values.std() / math.sqrt(rounds)
    assert np.mean([e.standard_error**2 for e in estimates]) == pytest.approx(values.var(), rel=0.1)
    coverage = np.mean([e.covers(truth) for e in estimates])
    assert 0.93 <= coverage <= 0.97, f"coverage {coverage:.3f} of the truth {truth:.4f}"


def test_bad_counts_are_refused_naming_the_stratum() -> None:
    with pytest.raises(InvalidInput) as raised:
        estimate_prevalence([StratumCount("low", 100, 10, 2), StratumCount("high", 50, 5, 7)])
    assert [e.path for e in raised.value.errors] == ["strata[1].violating"]
    assert "'high': 7 violating of 5 drawn" in str(raised.value)
    with pytest.raises(InvalidInput) as raised:
        estimate_prevalence([StratumCount("low", 100, 0, 0)])
    assert [e.path for e in raised.value.errors] == ["strata[0].draws"]
    with pytest.raises(InvalidInput, match="no stratum has any impressions"):
        estimate_prevalence([])
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        estimate_prevalence([StratumCount("a", 10, 5, 1)], confidence=95)
