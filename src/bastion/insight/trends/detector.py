"""The spike and level-shift detector: one rule for every series, causal, aware of the daily and weekly rhythm.

Why it is built this way:

- **Causal.** The detection at row i uses rows up to i only (every rolling statistic is shifted by one
  row), so it can run on a live series and NAB's reward for early detection is earned honestly.
- **The rhythm comes from the timestamps.** The median spacing gives the rows per day and per week;
  the expected value of a row is the median of the last day (at least 7 rows) plus the median
  deviation of the same phase over the last four weeks (or days, while the series spans less than two
  weeks). The same phase is found by time, not by counting rows back: a series that misses rows or
  stops for hours (a sensor's) would otherwise compare a morning with an evening. On a regular series
  the two are the same rows. A 5-minute series and a daily one get the same treatment with no settings.
- **Residuals in robust units.** A row's residual is divided by the median absolute deviation of the
  residuals of the past week (at least a day of rows, around a centre known from a day's rows or 28,
  whichever is fewer), so noisy and quiet series are judged alike.
- **Three time scales.** The residual is computed on the raw rows and on trailing means of one hour and
  six hours: a sharp burst shows on the first, a slow surge or a lasting change of level on the last.
  Rises are watched on every scale; drops on the one-hour and six-hour ones: a single low row is what a
  late or partial sample looks like, a low hour is a dip or the start of an outage.
- **A detection is a record.** A row is detected when, on some scale, its residual exceeds every
  residual of that scale in the past week (at least 200 rows). Under a stationary series that happens
  by chance about once a week per scale, whatever the noise's distribution; an event that matters is
  bigger than anything of the past week. This rule replaces a threshold per series: nothing is tuned
  to a series, and the same rule was checked on NAB's realTweets and on synthetic series of other
  shapes (docs/insight.md, "Trends").
- **As rare with a short history.** Records start after a day of residuals; while fewer than a week's
  rows are behind a row, a record over k rows happens by chance once in k rows, not once a week, and a
  short series (a few days) would be all warm-up. So a record over k < week rows must also clear the
  gap between the Gaussian levels exceeded once in a week's rows and once in k rows (0.6 robust units
  for a 5-minute series with a day behind it, nothing once a week is). The warm-up is about two days
  (the robust scale's day, then the record's), not three.
- **One alert per event.** After a detection the detector stays quiet for a day (in rows).

The score of a detection (0..1) is one minus a Bonferroni-corrected Gaussian tail probability of its
robust residual over the week's rows: a ranking, not a calibrated probability (real residuals have
heavier tails than a Gaussian's).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import norm

from bastion.domain.insight import TrendKind
from bastion.errors import FieldError, InvalidInput

DAY_SECONDS = 86_400
SEASONAL_CYCLES = 4  # same-phase rows looked at for the rhythm
SCALES_HOURS = (0.0, 1.0, 6.0)  # the raw rows, one hour, six hours
DROP_SCALE_HOURS = 1.0  # drops are judged on this scale and the longer ones
MIN_LEVEL_ROWS = 7
MIN_SCALE_ROWS = 28
MIN_RECORD_ROWS = 200
MIN_ROWS = 3

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Detection:
    """A detected change at one row of a series."""

    index: int
    score: float  # 0..1, higher is surer
    kind: TrendKind  # spike or level_shift
    observed: float  # the row's value (the scale's trailing mean for a slow change)
    expected: float  # what the rhythm expected there
    rows: int = 1  # the rows of the time scale it was found on (the trailing mean's width)


@dataclass(frozen=True)
class Rhythm:
    """The series' spacing and the rows in a day and a week, inferred from its timestamps."""

    step_seconds: float
    day_rows: int
    week_rows: int

    @property
    def season_rows(self) -> int:
        return self.week_rows


def infer_rhythm(timestamps: Sequence[datetime]) -> Rhythm:
    """Infer the spacing (the median gap between rows) and the rows per day and per week."""
    if len(timestamps) < 2:
        raise _invalid("timestamps", "a series needs at least two rows to have a spacing")
    seconds = np.array([t.timestamp() for t in timestamps], dtype=np.float64)
    gaps = np.diff(seconds)
    step = float(np.median(gaps))  # a few rows may repeat or go back a moment (a clock set back): not the median
    if step <= 0:
        raise _invalid(
            "timestamps", "the rows do not run forward in time (the median gap is not positive): sort them oldest first"
        )
    day = max(1, round(DAY_SECONDS / step))
    return Rhythm(step_seconds=step, day_rows=day, week_rows=max(1, round(7 * DAY_SECONDS / step)))


def detect(timestamps: Sequence[datetime], values: Sequence[float]) -> list[Detection]:
    """The spikes and level shifts of a series, each found using only the rows up to it."""
    if len(timestamps) != len(values):
        raise _invalid("values", "a series needs one value per timestamp")
    if len(values) < MIN_ROWS:
        return []
    rhythm = infer_rhythm(timestamps)
    seconds = np.array([t.timestamp() for t in timestamps], dtype=np.float64)
    y = pd.Series(np.asarray(values, dtype=np.float64)).ffill().fillna(0.0).to_numpy()
    record_rows = max(rhythm.week_rows, MIN_RECORD_ROWS)
    record_least = min(record_rows, max(rhythm.day_rows, MIN_LEVEL_ROWS))
    best = np.full(len(y), -np.inf)
    fired_scale = np.zeros(len(y))
    fired_rows = np.ones(len(y), dtype=np.int64)
    observed = np.full(len(y), np.nan)
    expected = np.full(len(y), np.nan)
    zscore = np.zeros(len(y))
    for hours in SCALES_HOURS:
        width = max(1, round(hours * 3600 / rhythm.step_seconds))
        smooth = pd.Series(y).rolling(width, min_periods=width).mean().to_numpy()
        baseline = _expected(smooth, rhythm, seconds)
        residual = smooth - baseline
        z = residual / np.maximum(_robust_scale(residual, rhythm), 1e-9)
        # The named scale, or its rows' span (a daily series' rows are all longer than an hour).
        watch_drops = hours >= DROP_SCALE_HOURS or width * rhythm.step_seconds >= DROP_SCALE_HOURS * 3600
        directions = (z, -z) if watch_drops else (z,)
        for signed in directions:
            past = pd.Series(signed).shift(1).rolling(record_rows, min_periods=record_least)
            record = past.max().to_numpy() + _allowance(past.count().to_numpy(), record_rows)
            excess = np.where(np.isnan(signed) | np.isnan(record), -np.inf, signed - record)
            better = excess > best
            best = np.where(better, excess, best)
            fired_scale = np.where(better, hours, fired_scale)
            fired_rows = np.where(better, width, fired_rows)
            observed = np.where(better, smooth, observed)
            expected = np.where(better, baseline, expected)
            zscore = np.where(better, np.abs(signed), zscore)
    detections: list[Detection] = []
    quiet_until = -1
    for i in np.flatnonzero(best > 0):
        if i <= quiet_until:
            continue
        quiet_until = int(i) + rhythm.day_rows
        kind = TrendKind.LEVEL_SHIFT if fired_scale[i] == SCALES_HOURS[-1] else TrendKind.SPIKE
        detections.append(
            Detection(
                index=int(i),
                score=_score(float(zscore[i]), record_rows),
                kind=kind,
                observed=float(observed[i]),
                expected=float(expected[i]),
                rows=int(fired_rows[i]),
            )
        )
    return detections


def _invalid(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", [FieldError(field, reason)])


def _expected(y: Floats, rhythm: Rhythm, seconds: Floats) -> Floats:
    """What each row should be from the rows before it: the last day's median plus its phase's usual deviation."""
    series = pd.Series(y)
    level_rows = max(rhythm.day_rows, MIN_LEVEL_ROWS)
    level = series.shift(1).rolling(level_rows, min_periods=max(2, level_rows // 4)).median()
    deviation = (series - level).to_numpy()
    # Weekly rhythm once two weeks exist (with daily spacing: the week); daily before that.
    span = seconds[-1] - seconds[0] if len(seconds) else 0.0
    period = 7 * DAY_SECONDS if span >= 2 * 7 * DAY_SECONDS else DAY_SECONDS
    if period <= rhythm.step_seconds:
        return np.asarray(level.to_numpy(), dtype=np.float64)
    past = np.vstack([_same_phase(deviation, seconds, k * period, rhythm) for k in range(1, SEASONAL_CYCLES + 1)])
    seen = ~np.isnan(past)
    filled = np.where(seen, past, 0.0)
    # The median of the same phase's deviations, where at least one is known.
    ordered = np.sort(np.where(seen, filled, np.inf), axis=0)
    counts = seen.sum(axis=0)
    season = np.zeros(len(y))
    for count in range(1, SEASONAL_CYCLES + 1):
        rows = counts == count
        low, high = ordered[(count - 1) // 2, rows], ordered[count // 2, rows]
        season[rows] = (low + high) / 2
    return np.asarray(level.to_numpy() + season, dtype=np.float64)


def _same_phase(values: Floats, seconds: Floats, lag_seconds: float, rhythm: Rhythm) -> Floats:
    """Each row's value `lag_seconds` earlier: the earlier row nearest that moment in time, not a count of rows
    back (a series that misses rows or stops for hours would otherwise compare a morning with an evening).
    Unknown (NaN) where no earlier row lies within a step or 1/96 of the lag of that moment."""
    clock = np.maximum.accumulate(seconds)  # a clock set back: the stream's time so far
    target = clock - lag_seconds
    after = np.searchsorted(clock, target, side="left")
    before = np.clip(after - 1, 0, len(clock) - 1)
    after = np.clip(after, 0, len(clock) - 1)
    nearest = np.where(np.abs(clock[after] - target) < np.abs(clock[before] - target), after, before)
    tolerance = max(rhythm.step_seconds, lag_seconds / 96)
    rows = np.arange(len(clock))
    usable = (nearest < rows) & (np.abs(clock[nearest] - target) <= tolerance)
    return np.where(usable, values[nearest], np.nan)


def _robust_scale(residual: Floats, rhythm: Rhythm) -> Floats:
    """The past week's median absolute deviation of the residuals, as a standard deviation."""
    series = pd.Series(residual)
    rows = max(rhythm.week_rows, MIN_SCALE_ROWS)
    least = max(rhythm.day_rows, MIN_LEVEL_ROWS)
    centre = series.shift(1).rolling(rows, min_periods=min(least, MIN_SCALE_ROWS)).median()
    spread = (series - centre).abs().shift(1).rolling(rows, min_periods=least).median()
    return np.asarray(spread.to_numpy() * 1.4826, dtype=np.float64)


def _allowance(seen: Floats, rows: int) -> Floats:
    """What a record over `seen` rows must add to be as rare as a record over `rows`: the difference between the
    Gaussian levels exceeded once in `rows` and once in `seen` rows (0 once the history is whole)."""
    seen = np.clip(np.nan_to_num(seen, nan=1.0), 1.0, rows)
    return np.asarray(norm.isf(1.0 / (rows + 1)) - norm.isf(1.0 / (seen + 1)), dtype=np.float64)


def _score(z: float, rows: int) -> float:
    """One minus the Gaussian two-sided tail of z, Bonferroni-corrected over `rows` rows, in 0..1."""
    tail = 2.0 * float(norm.sf(z)) * rows
    return round(max(0.0, min(1.0, 1.0 - tail)), 6) if math.isfinite(tail) else 0.0
