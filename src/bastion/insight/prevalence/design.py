"""The sampling design of a prevalence round: strata by classifier score, allocation, and the draw.

Pure: arrays in, a plan and the drawn indices out; the random generator is injected.

- **Unit**: an impression. The store keeps sampled views, each standing for `weight` impressions; a
  view is drawn with probability proportional to its weight, with replacement, so each draw is an
  impression picked uniformly at random (and the count of violating draws in a stratum is binomial:
  `estimate.py`). A view drawn twice is labelled once and counted twice.
- **Strata**: the classifier score of the viewed item (the highest score a model in force gave it)
  cut at `SCORE_EDGES`; items no model scored form their own stratum, `unscored`. Violations gather
  in the high-score strata, which are small in impressions: sampling them more than their share is
  what narrows the interval against a simple random sample of the same size.
- **Allocation**: Neyman (n_h proportional to W_h S_h, with S_h = sqrt(q_h (1 - q_h)) and q_h the
  stratum's impression-weighted mean score, floored at `SPREAD_FLOOR` because a model's low scores are
  not to be trusted near zero; an unscored stratum is given q = 1/2, the most cautious guess), or
  proportional (n_h proportional to W_h); both with at least `MIN_PER_STRATUM` draws in every stratum
  (fewer when the round is too small for that). docs/insight.md compares the two.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.errors import FieldError, InvalidInput

SCORE_EDGES = (0.0, 0.1, 0.3, 0.6, 1.0)
UNSCORED = "unscored"
MIN_PER_STRATUM = 20
SPREAD_FLOOR = 0.01
UNSCORED_GUESS = 0.5

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Allocation(StrEnum):
    """How a round's sample size is shared among its strata."""

    NEYMAN = "neyman"
    PROPORTIONAL = "proportional"


@dataclass(frozen=True)
class Stratum:
    """One stratum of a round's design: its score range, its population and its share of the sample."""

    name: str
    low: float | None  # score range [low, high); the last range includes 1.0; None: the unscored stratum
    high: float | None
    views: int  # view records in the period in this stratum
    impressions: int  # W_h: the impressions they stand for
    mean_score: float | None  # impression-weighted mean score (the model's guess of the stratum's prevalence)
    sample: int  # n_h: draws allocated

    def document(self) -> dict[str, Any]:
        return asdict(self)


def stratum_names(edges: Sequence[float] = SCORE_EDGES) -> list[str]:
    """The strata's names in order: `score 0.0-0.1`, ..., then `unscored`."""
    return [f"score {lo:g}-{hi:g}" for lo, hi in itertools.pairwise(edges)] + [UNSCORED]


def stratum_index(scores: FloatArray, edges: Sequence[float] = SCORE_EDGES) -> IntArray:
    """Each view's stratum (an index into `stratum_names`): by score, NaN (no score) in the last."""
    cut = np.asarray(edges[1:-1], dtype=np.float64)
    index = np.searchsorted(cut, np.nan_to_num(scores, nan=0.0), side="right").astype(np.int64)
    index[np.isnan(scores)] = len(edges) - 1
    return index


def plan_strata(
    scores: FloatArray,
    weights: FloatArray,
    size: int,
    *,
    allocation: Allocation = Allocation.NEYMAN,
    minimum: int = MIN_PER_STRATUM,
    edges: Sequence[float] = SCORE_EDGES,
) -> list[Stratum]:
    """The strata of the period's views (their scores, NaN for none, and weights) and each one's draws.

    Strata with no impressions are left out."""
    if size < 1:
        raise InvalidInput("the round cannot be planned", [FieldError("size", f"must be at least 1, not {size}")])
    index = stratum_index(scores, edges)
    names = stratum_names(edges)
    found: list[tuple[int, int, float, float | None]] = []
    for h in range(len(names)):
        mask = index == h
        impressions = float(weights[mask].sum())
        if impressions <= 0:
            continue
        mean = None if h == len(names) - 1 else float(np.average(scores[mask], weights=weights[mask]))
        found.append((h, int(mask.sum()), impressions, mean))
    if not found:
        raise InvalidInput("the round cannot be planned", [FieldError("period", "no views were seen in the period")])
    population = [f[2] for f in found]
    if allocation is Allocation.NEYMAN:
        guess = [UNSCORED_GUESS if mean is None else max(SPREAD_FLOOR, min(0.5, mean)) for *_, mean in found]
        need = [w * math.sqrt(q * (1 - q)) for w, q in zip(population, guess, strict=True)]
    else:
        need = population
    sample = allocate(need, size, minimum=minimum)
    strata = []
    for (h, views, impressions, mean), n in zip(found, sample, strict=True):
        low = None if h == len(names) - 1 else float(edges[h])
        high = None if h == len(names) - 1 else float(edges[h + 1])
        strata.append(Stratum(names[h], low, high, views, int(impressions), mean, n))
    return strata


def allocate(need: Sequence[float], size: int, *, minimum: int = MIN_PER_STRATUM) -> list[int]:
    """Share `size` draws in proportion to `need`, each at least `minimum` (lowered to what fits), by
    largest remainders so that they add up to `size` exactly."""
    count = len(need)
    floor = min(minimum, size // count)
    spare = size - floor * count
    total = float(sum(need))
    ideal = [spare * n / total if total > 0 else spare / count for n in need]
    shares = [floor + int(x) for x in ideal]
    left = size - sum(shares)
    by_remainder = sorted(range(count), key=lambda i: (-(ideal[i] - int(ideal[i])), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares


def draw(rng: np.random.Generator, weights: FloatArray, count: int) -> IntArray:
    """`count` indices into `weights`, drawn with replacement with probability proportional to weight."""
    cumulative = np.cumsum(weights, dtype=np.float64)
    points = rng.random(count) * cumulative[-1]
    drawn: IntArray = np.searchsorted(cumulative, points, side="right").astype(np.int64)
    return drawn


def draw_round(
    rng: np.random.Generator,
    scores: FloatArray,
    weights: FloatArray,
    strata: Sequence[Stratum],
    *,
    edges: Sequence[float] = SCORE_EDGES,
) -> dict[str, IntArray]:
    """Each stratum's drawn views: indices into `scores` and `weights`, `sample` of them per stratum."""
    index = stratum_index(scores, edges)
    names = stratum_names(edges)
    drawn: dict[str, IntArray] = {}
    for stratum in strata:
        members = np.flatnonzero(index == names.index(stratum.name)).astype(np.int64)
        drawn[stratum.name] = np.asarray(members[draw(rng, weights[members], stratum.sample)], dtype=np.int64)
    return drawn
