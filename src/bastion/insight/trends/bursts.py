"""Bursts in the store's segment series: every window of every length, tested against the segment's own
rate outside it, corrected for every window of every segment scanned.

Why a scan and not the detector (`detector.py`) on each segment:

- **Counts are thin.** A segment (policy x country x language) holds a few events a day; the detector's
  record rule needs a week of history and robust scales that a series of zeros and ones does not have.
  Counting is what the data is, so the test is a count test.
- **The segment is its own baseline.** A window's count k of the segment's total K is tested against
  the share of the segment's *exposure* the window holds, p: under "nothing changed", k is binomial
  (K, p) — the exact conditional test of two Poisson rates, the window's against the rest's. The whole
  scanned span is the baseline, before and after the window, so an event on the scan's first days is
  judged like any other (no warm-up week that hides it).
- **The exposure carries the rhythm.** It is the same metric's every other segment, smoothed: their
  level over a centred day times their daily profile by hour. The platform's daily and weekly rhythm,
  and the review lag that leaves the last hours' content undecided, are in it; the segment's own level
  is not, nor the others' hour-to-hour noise (which, in thin counts, would make a quiet hour look
  like an impossible one). Not the same country's other segments:
  an event spills into them (reporters pick the wrong policy, reviewers confuse neighbouring ones), and
  a baseline that rises with the event hides it.
- **Corrected for everything looked at.** Windows are `WIDTHS_HOURS` long, each length starting every
  quarter of it. A window is a candidate when it holds at least `MIN_BURST_EVENTS` events and more than
  the rest predicts; its p-value is multiplied by the number of windows tested in its segment
  (Bonferroni). A segment's candidates are taken best first, each one's overlapping windows then
  dropped, at most `MAX_BURSTS`. Across segments, the best candidates of each are corrected together by
  Benjamini-Hochberg at a false discovery rate of `FAMILY_ALPHA` (5 %): the bursts that stand are those at or
  under its cut-off.

Pure: arrays in, bursts out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import binom

WIDTHS_HOURS = (3, 6, 12, 24, 48, 96)
FAMILY_ALPHA = 0.05
MIN_BURST_EVENTS = 8
MAX_BURSTS = 3
# Every period keeps this small share of the exposure, so no window is impossible under the baseline.
EXPOSURE_FLOOR = 0.02

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Burst:
    """A window [start, end) of periods whose count stands out from the segment's rate outside it."""

    start: int
    end: int
    observed: int  # the segment's events in the window
    expected: float  # the events the rest of the segment's series predicts there
    p_value: float  # corrected for the segment's windows (Bonferroni), at most 1

    @property
    def excess(self) -> float:
        return max(0.0, self.observed - self.expected)


def windows_tested(periods: int, period_hours: float = 1.0) -> int:
    """How many windows a segment of `periods` periods is tested on (what the correction counts)."""
    return sum(len(range(0, periods - w + 1, _step(w))) for w in widths(periods, period_hours))


def widths(periods: int, period_hours: float = 1.0) -> list[int]:
    """The window lengths, in periods, that fit in the series (distinct, at least one period)."""
    found = sorted({max(1, round(hours / period_hours)) for hours in WIDTHS_HOURS})
    return [w for w in found if w <= periods]


def _step(width: int) -> int:
    """Windows of a length start every quarter of it: a burst is never more than an eighth off one."""
    return max(1, width // 4)


def exposure(others: Sequence[float] | Floats, period_hours: float = 1.0) -> Floats:
    """The segment's expected share of its events per period, from the metric's other segments: their
    level (a centred day's mean: the week's rhythm, the review lag at the end) times their share of the
    day by hour (the daily rhythm, from the whole span), with a small floor. Smoothed so, the baseline
    carries the rhythm and not the others' own hour-to-hour noise."""
    values = np.asarray(others, dtype=np.float64)
    periods, total = len(values), float(values.sum())
    if total <= 0:
        return np.full(periods, 1.0 / max(periods, 1))
    day = max(1, round(24 / period_hours))
    level = np.asarray(pd.Series(values).rolling(day, center=True, min_periods=1).mean().to_numpy(), dtype=np.float64)
    rhythm = np.ones(periods)
    if day > 1 and periods >= day:
        phase = np.arange(periods) % day
        by_phase = np.bincount(phase, weights=values, minlength=day) / np.bincount(phase, minlength=day)
        mean = by_phase.mean()
        if mean > 0:
            rhythm = by_phase[phase] / mean
    shaped = level * rhythm
    if shaped.sum() <= 0:
        shaped = values
    return np.asarray((1 - EXPOSURE_FLOOR) * shaped / shaped.sum() + EXPOSURE_FLOOR / periods, dtype=np.float64)


def bursts(counts: Sequence[int], share: Floats, period_hours: float = 1.0) -> list[Burst]:
    """The segment's candidate bursts, best first, each with its p-value corrected for the windows tested
    in the segment (Bonferroni); `share` is its exposure per period (summing to 1). Which of them stand
    is decided across segments (`significant`)."""
    y = np.asarray(counts, dtype=np.int64)
    total = int(y.sum())
    if total < MIN_BURST_EVENTS or len(y) == 0:
        return []
    tests = windows_tested(len(y), period_hours)
    counted = np.concatenate(([0], np.cumsum(y)))
    exposed = np.concatenate(([0.0], np.cumsum(share)))
    candidates: list[tuple[float, int, int, int, float]] = []
    for width in widths(len(y), period_hours):
        starts = np.arange(0, len(y) - width + 1, _step(width))
        inside = counted[starts + width] - counted[starts]
        p = np.clip(exposed[starts + width] - exposed[starts], 1e-12, 1 - 1e-12)
        expected = (total - inside) * p / (1 - p)
        worth = (inside >= MIN_BURST_EVENTS) & (inside > expected)
        if not worth.any():
            continue
        tails = binom.sf(inside[worth] - 1, total, p[worth])
        for start, count, tail, baseline in zip(
            starts[worth].tolist(), inside[worth].tolist(), tails.tolist(), expected[worth].tolist(), strict=True
        ):
            candidates.append((float(tail), -int(count), int(start), width, float(baseline)))
    found: list[Burst] = []
    for tail, minus_count, start, width, baseline in sorted(candidates):
        end = start + width
        if any(start < b.end and b.start < end for b in found):
            continue
        found.append(Burst(start, end, -minus_count, round(baseline, 3), min(1.0, tail * tests)))
        if len(found) == MAX_BURSTS:
            break
    return found


def significant(candidates: Sequence[Sequence[Burst]], alpha: float = FAMILY_ALPHA) -> list[list[Burst]]:
    """The bursts that stand, per segment: Benjamini-Hochberg over the segments' best bursts at false
    discovery rate `alpha`; a segment that passes keeps every burst of its at or under the cut-off."""
    # Every segment tested counts, those without a candidate at a p-value of 1.
    best = [found[0].p_value if found else 1.0 for found in candidates]
    if not best:
        return []
    ordered = np.sort(np.asarray(best))
    passing = np.flatnonzero(ordered <= alpha * np.arange(1, len(ordered) + 1) / len(ordered))
    if len(passing) == 0:
        return [[] for _ in candidates]
    cut = float(ordered[passing[-1]])
    return [[b for b in found if b.p_value <= cut] if found and found[0].p_value <= cut else [] for found in candidates]
