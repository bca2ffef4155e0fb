"""The quality report's statistics, from small aggregates: agreement, Wilson intervals, flags, confusion.

Pure: no store, no engine. `bastion.quality.engine` aggregates millions of ratings (on DuckDB or pandas)
down to a few small tables, and everything here runs on those, with the well-kept libraries'
formulas: krippendorff for alpha, statsmodels for Fleiss' kappa and Wilson intervals, scikit-learn
for Cohen's kappa and the confusion matrix.

Two choices are ours and documented in docs/quality.md:
- Krippendorff's alpha is linear in items until its last step, so items are passed as their distinct
  label-count patterns with how many items share each: the library's own coincidence, expected
  coincidence and distance steps run on those, and its last line divides them. `krippendorff.alpha`
  on the full items x labels table holds items x labels x labels doubles three times over (gigabytes
  at 10M ratings); the figure is the same (tests compare both).
- Fleiss' kappa needs the same number of ratings on every item: it is computed for each group of items
  rated the same number of times and the groups' kappas are averaged, weighted by their items.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from krippendorff import krippendorff as _krippendorff
from sklearn.metrics import cohen_kappa_score, confusion_matrix
from statsmodels.stats.inter_rater import fleiss_kappa
from statsmodels.stats.proportion import proportion_confint

from bastion.quality.report import Agreement, ConfusedPair, Confusion, PairAgreement, Score, Thresholds

IntArray = npt.NDArray[np.int64]
_NEEDED_CEILING = 10**9


@dataclass(frozen=True)
class Tally:
    """The counts behind one score."""

    decisions: int = 0
    scored: int = 0
    correct: int = 0
    appeals: int = 0
    overturned: int = 0


def _finite(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def krippendorff_alpha(patterns: IntArray, items: IntArray) -> float | None:
    """Nominal alpha over items given as distinct label-count rows (`patterns`, items x labels) and how
    many items share each row. None when it is undefined (one label, or no item rated twice)."""
    rated_twice = patterns.sum(axis=1) >= 2
    patterns, items = patterns[rated_twice], items[rated_twice]
    if len(patterns) == 0 or patterns.shape[1] <= 1:
        return None
    coincidences = np.zeros((patterns.shape[1], patterns.shape[1]))
    for row, count in zip(patterns, items, strict=True):
        coincidences += count * _krippendorff._coincidences(row[np.newaxis, :])
    per_value = coincidences.sum(axis=0)
    expected = _krippendorff._random_coincidences(per_value)
    distances: npt.NDArray[np.float64] = _krippendorff._distances(
        np.arange(patterns.shape[1]), _krippendorff._nominal_metric, per_value.astype(np.int64)
    )
    disagreement = float((expected * distances).sum())
    if disagreement == 0:
        return None
    return _finite(1 - float((coincidences * distances).sum()) / disagreement)


def fleiss(patterns: IntArray, items: IntArray) -> float | None:
    """Fleiss' kappa per group of items with the same number of ratings, averaged weighted by items."""
    totals = patterns.sum(axis=1)
    kappas: list[tuple[float, int]] = []
    for size in np.unique(totals[totals >= 2]):
        chosen = totals == size
        table = np.repeat(patterns[chosen], items[chosen], axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            kappa = _finite(float(fleiss_kappa(table, method="fleiss")))
        if kappa is not None:
            kappas.append((kappa, int(items[chosen].sum())))
    if not kappas:
        return None
    return sum(k * n for k, n in kappas) / sum(n for _, n in kappas)


def percent_agreement(patterns: IntArray, items: IntArray) -> float | None:
    """The mean, over items rated at least twice, of the share of their pairs of ratings that agree."""
    totals = patterns.sum(axis=1)
    chosen = totals >= 2
    if not chosen.any():
        return None
    agreeing = (patterns[chosen] * (patterns[chosen] - 1)).sum(axis=1)
    pairs = totals[chosen] * (totals[chosen] - 1)
    return float((items[chosen] * agreeing / pairs).sum() / items[chosen].sum())


def agreement(patterns: IntArray, items: IntArray) -> Agreement:
    totals = patterns.sum(axis=1) if len(patterns) else np.zeros(0, dtype=np.int64)
    chosen = totals >= 2
    return Agreement(
        krippendorff_alpha=krippendorff_alpha(patterns, items),
        fleiss_kappa=fleiss(patterns, items),
        percent_agreement=percent_agreement(patterns, items),
        items=int(items[chosen].sum()),
        ratings=int((items[chosen] * totals[chosen]).sum()),
    )


def wilson(correct: int, scored: int, alpha: float) -> tuple[float, float]:
    """The Wilson score interval of `correct` out of `scored` (statsmodels), two-sided at `1 - alpha`."""
    low, high = proportion_confint(correct, scored, alpha=alpha, method="wilson")
    return float(low), float(high)


def below_bound_alpha(confidence: float) -> float:
    """The two-sided `alpha` whose Wilson interval's upper end is the one-sided upper bound at `confidence`:
    a flag says "below the bar, with this confidence", a one-sided claim."""
    return 2 * (1 - confidence)


def needed(accuracy: float, thresholds: Thresholds, confidence: float) -> int:
    """How many scored ratings at this accuracy it takes for the one-sided upper bound to fall below the
    threshold: the smallest such count, found by doubling then halving (the bound falls as counts grow)."""

    def flags(count: int) -> bool:
        alpha = below_bound_alpha(confidence)
        _, high = proportion_confint(accuracy * count, count, alpha=alpha, method="wilson")
        return count >= thresholds.min_decisions and float(high) < thresholds.accuracy

    low, high = 0, max(1, thresholds.min_decisions)
    while not flags(high):
        low, high = high, high * 2
        if high > _NEEDED_CEILING:
            return _NEEDED_CEILING
    while high - low > 1:
        middle = (low + high) // 2
        if flags(middle):
            high = middle
        else:
            low = middle
    return high


def score(key: str, tally: Tally, thresholds: Thresholds, confidence: float | None = None) -> Score:
    """One group's accuracy with its Wilson interval, whether it is flagged and, if not, what it lacks."""
    return scores([key], [tally], thresholds, None if confidence is None else [confidence])[0]


def scores(
    keys: Sequence[str], tallies: Sequence[Tally], thresholds: Thresholds, confidences: Sequence[float] | None = None
) -> list[Score]:
    """Each group's accuracy with its Wilson interval (statsmodels, all at once; two-sided at the
    thresholds' confidence), whether it is flagged (enough scored ratings, and the one-sided upper bound
    at its confidence below the threshold) and, if not but below the threshold, how many scored ratings
    it would take.

    `confidences`: each flag's, when a correction for several comparisons raises it (a reviewer's
    policies); by default the thresholds'."""
    levels = np.asarray(confidences if confidences is not None else [thresholds.confidence] * len(keys), dtype=float)
    scored = np.asarray([t.scored for t in tallies], dtype=np.int64)
    correct = np.asarray([t.correct for t in tallies], dtype=np.int64)
    lows = np.full(len(keys), np.nan)
    highs = np.full(len(keys), np.nan)
    bounds = np.full(len(keys), np.nan)
    some = scored > 0
    if some.any():
        shown = 1 - thresholds.confidence
        low, high = proportion_confint(correct[some], scored[some], alpha=shown, method="wilson")
        lows[some], highs[some] = low, high
        _, bound = proportion_confint(correct[some], scored[some], alpha=2 * (1 - levels[some]), method="wilson")
        bounds[some] = bound
    found = []
    for i, (key, tally) in enumerate(zip(keys, tallies, strict=True)):
        accuracy = low_bound = high_bound = None
        flagged = False
        missing = None
        if tally.scored:
            accuracy = tally.correct / tally.scored
            low_bound, high_bound = float(lows[i]), float(highs[i])
            flagged = tally.scored >= thresholds.min_decisions and float(bounds[i]) < thresholds.accuracy
            if not flagged and accuracy < thresholds.accuracy:
                missing = needed(accuracy, thresholds, float(levels[i]))
        found.append(
            Score(
                key=key,
                decisions=tally.decisions,
                scored=tally.scored,
                correct=tally.correct,
                accuracy=accuracy,
                accuracy_low=low_bound,
                accuracy_high=high_bound,
                flagged=flagged,
                needed=missing,
                appeals=tally.appeals,
                overturned=tally.overturned,
                overturn_rate=tally.overturned / tally.appeals if tally.appeals else None,
            )
        )
    return found


def confusion(answers: Sequence[str], labels: Sequence[str], counts: Sequence[int]) -> Confusion:
    """The answer x label matrix (scikit-learn) from the counts of each (answer, label) pair."""
    domain = sorted(set(answers) | set(labels))
    if not domain:
        return Confusion(labels=(), matrix=())
    with warnings.catch_warnings():  # one label only: the labels given make the shape right
        warnings.filterwarnings("ignore", message="A single label was found", category=UserWarning)
        matrix = confusion_matrix(
            list(answers), list(labels), labels=domain, sample_weight=np.asarray(counts, dtype=np.int64)
        )
    return Confusion(labels=tuple(domain), matrix=tuple(tuple(int(v) for v in row) for row in matrix))


def confused_pairs(matrix: Confusion) -> tuple[ConfusedPair, ...]:
    """Off-diagonal cells, both directions summed, most disagreements first, with their share of all."""
    cells = np.asarray(matrix.matrix, dtype=np.int64)
    if cells.size == 0:
        return ()
    total = int(cells.sum() - np.trace(cells))
    pairs = []
    for i in range(len(matrix.labels)):
        for j in range(i + 1, len(matrix.labels)):
            count = int(cells[i, j] + cells[j, i])
            if count:
                pairs.append(ConfusedPair(matrix.labels[i], matrix.labels[j], count, count / total))
    return tuple(sorted(pairs, key=lambda pair: (-pair.count, pair.a, pair.b)))


def pair_agreement(a: str, b: str, labels_a: Sequence[str], labels_b: Sequence[str]) -> PairAgreement:
    """Cohen's kappa (scikit-learn) of two raters over the items both rated; None when undefined."""
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = _finite(float(cohen_kappa_score(list(labels_a), list(labels_b))))
    return PairAgreement(a=a, b=b, kappa=kappa, items=len(labels_a))
