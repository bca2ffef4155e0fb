"""The detector on short, irregularly sampled series (a few days of a sensor's readings), and on NAB's
artificial series (the development set bench/nab.py --dev scores)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bastion.insight.trends import nab
from bastion.insight.trends.detector import detect

T0 = datetime(2024, 3, 1)
STEP = 300  # about every five minutes
ARTIFICIAL = Path(__file__).parent / "data" / "nab_artificial"


def irregular_times(rows: int, rng: np.random.Generator, *, outages: int = 2) -> np.ndarray:
    """Seconds since T0: jittered five-minute steps, one row in ten missing, and `outages` gaps of hours."""
    gaps = STEP * rng.uniform(0.8, 1.2, rows - 1)
    missing = rng.random(rows - 1) < 0.1
    gaps[missing] *= rng.integers(2, 5, int(missing.sum()))
    gaps[rng.choice(rows - 1, outages, replace=False)] += rng.uniform(3, 10, outages) * 3600
    return np.concatenate([[0.0], np.cumsum(gaps)])


def stamps(seconds: np.ndarray) -> list[datetime]:
    return [T0 + timedelta(seconds=float(s)) for s in seconds]


def daily_level(seconds: np.ndarray) -> np.ndarray:
    return 50 * (1 + 0.3 * np.sin(2 * np.pi * seconds / 86_400))


def test_a_level_drop_on_a_short_irregular_series_is_found_within_hours() -> None:
    # Twelve sensor-like series of four to seven days, each dropping to 70 % of its level at 60 % of its rows
    # (past the warm-up of about two days). The detector of 2026-12-03 found none of the twelve in the three
    # hours after the drop; now 7 are. Of the other five, three drops come less than a day after a chance
    # detection (one alert per event: the detector is then quiet for a day) and two are found later or not.
    found_in_time = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        rows = int(rng.integers(1200, 2000))
        seconds = irregular_times(rows, rng)
        level = daily_level(seconds)
        start = int(0.6 * rows)
        level[start:] *= 0.7
        values = level + rng.normal(0, 2.5, rows)
        found = detect(stamps(seconds), list(values))
        within = [d for d in found if start <= d.index and seconds[d.index] - seconds[start] <= 3 * 3600]
        if within:
            assert within[0].observed < within[0].expected
            found_in_time += 1
    assert found_in_time >= 6


def test_a_flat_noisy_short_series_raises_at_most_the_record_rules_chance_detections() -> None:
    # A record happens by chance about once a week per scale; a short series used to add its warm-up's
    # records (any row beats a day of history one time in 288): 1.8 detections per series before the
    # allowance, 0.9 with it over these 30 series.
    per_series = []
    for seed in range(30):
        rng = np.random.default_rng(seed)
        rows = int(rng.integers(1000, 2501))
        seconds = irregular_times(rows, rng, outages=0)
        per_series.append(len(detect(stamps(seconds), list(50 + rng.normal(0, 2.5, rows)))))
    assert np.mean(per_series) <= 1.2
    assert per_series.count(0) >= 9


def test_a_flat_noiseless_series_raises_nothing() -> None:
    rng = np.random.default_rng(3)
    seconds = irregular_times(1500, rng)
    assert detect(stamps(seconds), [42.0] * 1500) == []


def test_the_daily_rhythm_stays_in_phase_across_missing_rows_and_outages() -> None:
    # The same phase is found by time: counted in rows, "a day back" lands hours off after the missing rows
    # and the outages, the rhythm's misfit then swamps the noise and a dip of an hour goes unseen.
    rng = np.random.default_rng(11)
    seconds = irregular_times(2400, rng, outages=3)
    level = daily_level(seconds)
    start = 2000
    dip = (seconds >= seconds[start]) & (seconds < seconds[start] + 3600)
    level[dip] *= 0.5
    values = level + rng.normal(0, 1.0, len(seconds))
    found = [d for d in detect(stamps(seconds), list(values)) if dip[d.index]]
    assert found, "the dip was not found"
    expected_level = daily_level(seconds)[found[0].index]
    assert abs(found[0].expected - expected_level) < 0.1 * expected_level


def artificial(name: str) -> nab.LabelledSeries:
    windows = json.loads((ARTIFICIAL / "windows.json").read_text(encoding="utf-8"))[name]
    rows = list(csv.DictReader(io.StringIO(gzip.decompress((ARTIFICIAL / f"{name}.gz").read_bytes()).decode())))
    return nab.LabelledSeries(
        name,
        [nab.parse_nab_timestamp(r["timestamp"]) for r in rows],
        [float(r["value"]) for r in rows],
        [(nab.parse_nab_timestamp(a), nab.parse_nab_timestamp(b)) for a, b in windows],
    )


@pytest.mark.parametrize(
    "name",
    [
        "art_daily_flatmiddle.csv",
        "art_daily_jumpsdown.csv",
        "art_daily_jumpsup.csv",
        "art_daily_nojump.csv",
        "art_increase_spike_density.csv",
        "art_load_balancer_spikes.csv",
    ],
)
def test_nab_artificial_anomalies_are_found_in_their_windows(name: str) -> None:
    series = artificial(name)
    score = nab.score_file(
        series.timestamps, [d.index for d in detect(series.timestamps, series.values)], series.windows
    )
    assert score.true_positives == 1 and score.false_negatives == 0


def test_nab_artificial_series_without_anomalies_stay_near_the_chance_rate() -> None:
    # Five two-week series, four scale-directions... a record rule's chance is about one a week per scale.
    names = [
        "art_daily_no_noise.csv",
        "art_daily_perfect_square_wave.csv",
        "art_daily_small_noise.csv",
        "art_flatline.csv",
        "art_noisy.csv",
    ]
    detections = {name: len(detect(artificial(name).timestamps, artificial(name).values)) for name in names}
    assert detections["art_flatline.csv"] == 0 and detections["art_daily_perfect_square_wave.csv"] == 0
    assert sum(detections.values()) <= 5 * 2 * 2, detections
