"""Prevalence from a stratified sample of views: the design-based estimate and its 95 % interval.

Pure: counts in, an estimate out. The design (`design.py`) draws, in each stratum h, n_h views with
replacement, each with probability proportional to its impressions. Every draw is then one impression
picked uniformly among the stratum's W_h impressions, so the number of violating draws y_h is exactly
Binomial(n_h, p_h), p_h being the stratum's prevalence in impressions. The estimate is

    p = sum_h (W_h / W) * y_h / n_h

unbiased under the design; its variance is estimated as sum_h (W_h / W)^2 * p_h (1 - p_h) / n_h.

The interval (`JEFFREYS_EFFECTIVE`, the default) is Jeffreys' interval for a proportion on the
design's effective sample size (Kish; Korn and Graubard 1998): m = q(1-q) / sum_h (W_h/W)^2 q_h(1-q_h)/n_h,
the size of a simple random sample as precise as the stratified one, with q_h = (y_h + 1/2)/(n_h + 1)
the strata's Jeffreys-smoothed rates and q = sum_h (W_h/W) q_h; then x = p m violating draws in it,
and the interval is the quantiles of Beta(x + 1/2, m - x + 1/2). The smoothing keeps a stratum where
nothing was found from adding no variance (with raw rates a few finds in a small high-score stratum
make m huge and the upper end too low; nothing found at all gives no m). With one stratum m = n and
this is statsmodels' `proportion_confint(method="jeffreys")`.

The others, kept for the comparison (docs/insight.md measures all of them over 200 simulated rounds
on four seeds): a Beta centred on p with the strata's Jeffreys variances (`JEFFREYS_BETA`, the first
choice: covers 96-98 %, its upper limits too cautious for rare policies); the same centred on the
Jeffreys means (`JEFFREYS_POSTERIOR`: adds half a violating view to every stratum, lower bounds too
high); Korn-Graubard (Clopper-Pearson on the effective sample size, capped at n: as wide as simple
random sampling); the normal interval (`WALD`: fails at small counts).

Too rare to estimate: with fewer than `MIN_VIOLATING` violating draws the estimate is reported, as
Meta's enforcement report does, as an upper limit only: the one-sided 95 % bound (the 95 % quantile of
the same distribution; with nothing found, lower is 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy import stats

from bastion.errors import FieldError, InvalidInput

CONFIDENCE = 0.95
# Fewer violating draws than this and the estimate is an upper limit (a rate from a handful of finds
# moves by half with one more find).
MIN_VIOLATING = 10


class IntervalMethod(StrEnum):
    """How the interval around a stratified estimate is computed."""

    JEFFREYS_EFFECTIVE = "jeffreys_effective"  # Jeffreys on the design's effective sample size (the default)
    JEFFREYS_EFFECTIVE_RAW = (
        "jeffreys_effective_raw"  # the same from the raw rates (n when they vary not): upper ends too low
    )
    JEFFREYS_BETA = (
        "jeffreys_beta"  # a Beta centred on the estimate, with the strata's Jeffreys variances: too cautious
    )
    JEFFREYS_POSTERIOR = "jeffreys_posterior"  # the same, centred on the Jeffreys mean: lower bounds too high
    KORN_GRAUBARD = "korn_graubard"  # Clopper-Pearson on the design's effective sample size
    WALD = "wald"  # the normal interval: shown for comparison only, it fails at small counts


@dataclass(frozen=True)
class StratumCount:
    """One stratum of a round as labelled: its impressions, its draws, the draws found violating."""

    name: str
    impressions: float  # W_h: impressions of the stratum's population of views
    draws: int  # n_h: views drawn (a view drawn twice counts twice)
    violating: int  # y_h: draws labelled violating the policy (or a policy below it)


@dataclass(frozen=True)
class PrevalenceEstimate:
    """Prevalence of one policy in a period's impressions, with its interval.

    When `upper_limit` is true, too few violating views were found to estimate it: report only that
    prevalence is at most `high` (one-sided, at the same confidence); `low` is 0.
    """

    prevalence: float
    low: float
    high: float
    upper_limit: bool
    standard_error: float
    draws: int
    violating: int
    confidence: float
    method: IntervalMethod

    def covers(self, true_prevalence: float) -> bool:
        """Whether the interval (or the upper limit) holds `true_prevalence`."""
        return self.low <= true_prevalence <= self.high


def estimate_prevalence(
    strata: Sequence[StratumCount],
    *,
    confidence: float = CONFIDENCE,
    method: IntervalMethod = IntervalMethod.JEFFREYS_EFFECTIVE,
    min_violating: int = MIN_VIOLATING,
) -> PrevalenceEstimate:
    """The stratified estimate of prevalence and its interval (or upper limit) from the strata's counts."""
    _check(strata, confidence)
    kept = [s for s in strata if s.impressions > 0]
    total = sum(s.impressions for s in kept)
    share = np.array([s.impressions / total for s in kept], dtype=np.float64)
    n = np.array([s.draws for s in kept], dtype=np.float64)
    y = np.array([s.violating for s in kept], dtype=np.float64)
    rate = y / n
    prevalence = float(np.sum(share * rate))
    variance = float(np.sum(share**2 * rate * (1 - rate) / n))
    draws, violating = int(n.sum()), int(y.sum())
    upper_limit = violating < min_violating
    alpha = 1 - confidence
    tails = (0.0, 1 - alpha) if upper_limit else (alpha / 2, 1 - alpha / 2)
    if method is IntervalMethod.JEFFREYS_EFFECTIVE:
        low, high = _jeffreys_effective(share, n, y, prevalence, tails)
    elif method is IntervalMethod.JEFFREYS_EFFECTIVE_RAW:
        low, high = _jeffreys_effective(share, n, y, prevalence, tails, smoothed=False)
    elif method is IntervalMethod.JEFFREYS_BETA:
        low, high = _jeffreys_beta(share, n, y, tails, centre=prevalence if violating else None)
    elif method is IntervalMethod.JEFFREYS_POSTERIOR:
        low, high = _jeffreys_beta(share, n, y, tails)
    elif method is IntervalMethod.KORN_GRAUBARD:
        low, high = _korn_graubard(prevalence, variance, draws, len(kept), tails)
    else:
        z = float(stats.norm.ppf(tails[1]))
        low, high = prevalence - z * math.sqrt(variance), prevalence + z * math.sqrt(variance)
    if upper_limit or violating == 0:
        low = 0.0
    low, high = max(0.0, min(low, prevalence)), min(1.0, max(high, prevalence))
    return PrevalenceEstimate(
        prevalence=prevalence,
        low=low,
        high=high,
        upper_limit=upper_limit,
        standard_error=math.sqrt(variance),
        draws=draws,
        violating=violating,
        confidence=confidence,
        method=method,
    )


def _jeffreys_beta(
    share: np.ndarray, n: np.ndarray, y: np.ndarray, tails: tuple[float, float], centre: float | None = None
) -> tuple[float, float]:
    """Quantiles of the Beta with the strata's Jeffreys variance, centred on `centre` (the design's
    estimate) or, when None, on the Jeffreys mean (nothing found: the estimate 0 would be a point)."""
    a, b = y + 0.5, n - y + 0.5
    mean = float(np.sum(share * a / (a + b)))
    variance = float(np.sum(share**2 * a * b / ((a + b) ** 2 * (a + b + 1))))
    if centre is not None and centre * (1 - centre) > variance:
        mean = centre  # else (everything found, or nearly) no Beta has that mean and variance: keep Jeffreys'
    common = mean * (1 - mean) / variance - 1
    low, high = stats.beta.ppf(tails, mean * common, (1 - mean) * common)
    return float(low), float(high)


def _jeffreys_effective(
    share: np.ndarray,
    n: np.ndarray,
    y: np.ndarray,
    prevalence: float,
    tails: tuple[float, float],
    *,
    smoothed: bool = True,
) -> tuple[float, float]:
    """Jeffreys' interval, Beta(x + 1/2, m - x + 1/2), on the design's effective sample size m (the size
    of a simple random sample with the stratified estimate's variance, Kish; Korn and Graubard) and
    x = p m found in it.

    m comes from the strata's Jeffreys-smoothed rates (y_h + 1/2) / (n_h + 1): the raw rates give a
    stratum where nothing was found no variance, so a few finds in a small high-score stratum would
    make m far too large (upper limits too low), and nothing found at all no m. With one stratum,
    m = n: statsmodels' Jeffreys interval for x of n. `smoothed=False`, the raw rates (and m = n when
    their variance is zero), is kept for the comparison."""
    rate = (y + 0.5) / (n + 1) if smoothed else y / n
    mean = float(np.sum(share * rate))
    variance = float(np.sum(share**2 * rate * (1 - rate) / n))
    effective = mean * (1 - mean) / variance if variance > 0 else float(n.sum())
    found = prevalence * effective
    low, high = stats.beta.ppf(tails, found + 0.5, effective - found + 0.5)
    return float(low), float(high)


def _korn_graubard(
    prevalence: float, variance: float, draws: int, strata: int, tails: tuple[float, float]
) -> tuple[float, float]:
    # Effective sample size: the size of a simple random sample with the same variance (Korn and
    # Graubard 1998), shrunk for the degrees of freedom the strata use; the whole sample when the
    # variance estimate is zero (nothing, or everything, found).
    effective = prevalence * (1 - prevalence) / variance if variance > 0 else float(draws)
    freedom = max(1, draws - strata)
    ratio = float(stats.t.ppf(tails[1], max(1, draws - 1)) / stats.t.ppf(tails[1], freedom)) ** 2
    effective = min(float(draws), effective * ratio)
    found = prevalence * effective
    low = float(stats.beta.ppf(tails[0], found, effective - found + 1)) if found > 0 else 0.0
    high = float(stats.beta.ppf(tails[1], found + 1, effective - found)) if found < effective else 1.0
    return low, high


def _check(strata: Sequence[StratumCount], confidence: float) -> None:
    errors: list[FieldError] = []
    if not 0 < confidence < 1:
        errors.append(FieldError("confidence", f"must be between 0 and 1, not {confidence}"))
    if not any(s.impressions > 0 for s in strata):
        errors.append(FieldError("strata", "no stratum has any impressions: there is nothing to estimate"))
    for i, s in enumerate(strata):
        where = f"strata[{i}]"
        if s.impressions < 0:
            errors.append(FieldError(f"{where}.impressions", f"stratum {s.name!r} has negative impressions"))
        if s.impressions > 0 and s.draws < 1:
            errors.append(FieldError(f"{where}.draws", f"stratum {s.name!r} has impressions but no view drawn"))
        if not 0 <= s.violating <= s.draws:
            errors.append(
                FieldError(f"{where}.violating", f"stratum {s.name!r}: {s.violating} violating of {s.draws} drawn")
            )
    if errors:
        raise InvalidInput("the prevalence sample cannot be estimated", errors)
