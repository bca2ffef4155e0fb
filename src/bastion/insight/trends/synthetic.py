"""Labelled synthetic series of shapes the detector was not built on, to check it away from NAB's tweets.

Five kinds, each with three anomalies planted at random in the last 80 % of the series, one per third of
it: a burst (x2.5 for an eighth of a day), a lasting change of level (x1.6 or x0.6) and an outage (x0.3
for a quarter of a day), in an order that depends on the seed. Windows are NAB's: 10 % of the series'
length shared among its anomalies, centred on each.

- `traffic_5min`: page views every 5 minutes, daily and weekly multiplicative rhythm, Poisson counts;
- `ad_clicks_hourly`: hourly clicks with a strong daily rhythm and overdispersed (negative binomial) counts;
- `cpu_1min`: a server's CPU % every minute, a mild daily rhythm, heavy-tailed (Student t) noise, clipped;
- `latency_10min`: a wandering (random-walk) level with Gaussian noise, no rhythm;
- `signups_daily`: daily counts over two years with a weekend lift and slow growth.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from bastion.insight.trends.nab import LabelledSeries

KINDS = ("traffic_5min", "ad_clicks_hourly", "cpu_1min", "latency_10min", "signups_daily")
_SHAPE = {  # rows, seconds between rows
    "traffic_5min": (8 * 2016, 300),
    "ad_clicks_hourly": (24 * 120, 3600),
    "cpu_1min": (12_000, 60),
    "latency_10min": (10_000, 600),
    "signups_daily": (730, 86_400),
}
START = datetime(2024, 1, 1)


def series(kind: str, seed: int) -> LabelledSeries:
    """One labelled synthetic series of `kind`, reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    rows, step = _SHAPE[kind]
    seconds = np.arange(rows) * step
    day_rows = 86_400 / step
    daily = 2 * np.pi * seconds / 86_400
    weekly = 2 * np.pi * seconds / (7 * 86_400)
    if kind == "traffic_5min":
        base = 40 * (1 + 0.6 * np.sin(daily)) * (1 + 0.25 * np.sin(weekly))
    elif kind == "ad_clicks_hourly":
        base = 200 * (1 + 0.8 * np.sin(daily - 1)) * (1 + 0.3 * np.cos(weekly))
    elif kind == "cpu_1min":
        base = 35 + 5 * np.sin(daily)
    elif kind == "latency_10min":
        base = 100 + np.cumsum(rng.normal(0, 0.3, rows))
    else:
        days = np.arange(rows)
        base = 1000 * (1 + 0.3 * (days % 7 >= 5)) * (1 + days / 2000)
    factor = np.ones(rows)
    order = [("burst", "shift", "outage"), ("outage", "burst", "shift"), ("shift", "outage", "burst")][seed % 3]
    edges = np.linspace(0.2 * rows, 0.95 * rows, 4).astype(int)
    starts = []
    for third, anomaly in enumerate(order):
        low, high = int(edges[third]), int(edges[third + 1])
        start = int(rng.integers(low + (high - low) // 4, high - (high - low) // 4))
        starts.append(start)
        if anomaly == "burst":
            factor[start : start + max(1, int(day_rows / 8))] *= 2.5
        elif anomaly == "shift":
            factor[start:] *= 1.6 if seed % 2 else 0.6
        else:
            factor[start : start + max(2, int(day_rows / 4))] *= 0.3
    level = base * factor
    if kind in ("traffic_5min", "signups_daily"):
        values = rng.poisson(level).astype(float)
    elif kind == "ad_clicks_hourly":
        values = rng.negative_binomial(5, 5 / (5 + level)).astype(float)
    elif kind == "cpu_1min":
        values = np.clip(level + rng.standard_t(4, rows) * 2 + (factor - 1) * 35, 0, 100)
    else:
        values = level + rng.normal(0, 1, rows) + (factor - 1) * 10
    timestamps = [START + timedelta(seconds=int(s)) for s in seconds]
    width = int(0.1 * rows / len(starts))
    windows = [(timestamps[max(0, s - width // 2)], timestamps[min(rows - 1, s + width // 2)]) for s in starts]
    return LabelledSeries(
        name=f"{kind}-{seed}", timestamps=timestamps, values=[float(v) for v in values], windows=windows
    )


def corpus(seeds: tuple[int, ...] = (1, 2, 3)) -> list[LabelledSeries]:
    """Every kind under every seed: 15 labelled series by default."""
    return [series(kind, seed) for kind in KINDS for seed in seeds]


SHORT_KINDS = ("level_drop", "level_rise", "dip", "spike", "flat")
SHORT_STEP_SECONDS = 300


def short_irregular(kind: str, seed: int) -> LabelledSeries:
    """A short (1,000 to 2,500 rows), irregularly sampled series with a daily rhythm and one planted change.

    The sampling is about every five minutes, jittered, with one row in ten missing (a gap of two to five
    steps) and three gaps of hours, as a sensor that drops out writes it. The level follows a daily rhythm
    with Gaussian noise and a few heavy-tailed outliers. The change, planted between 30 % and 85 % of the
    rows, is one of: a lasting drop of the level (x0.7), a lasting rise (x1.3), a dip (x0.4 for half an
    hour to two hours), a spike (x1.8 for ten to thirty minutes) or a flat stretch (the value stuck for
    three to eight hours). `kind="none"` plants nothing (its window list is empty).
    """
    rng = np.random.default_rng([seed, ([*SHORT_KINDS, "none"]).index(kind)])
    rows = int(rng.integers(1000, 2501))
    gaps = SHORT_STEP_SECONDS * rng.uniform(0.8, 1.2, rows - 1)
    missing = rng.random(rows - 1) < 0.1
    gaps[missing] *= rng.integers(2, 6, int(missing.sum()))
    gaps[rng.choice(rows - 1, 3, replace=False)] += rng.uniform(2, 12, 3) * 3600
    seconds = np.concatenate([[0.0], np.cumsum(gaps)])
    daily = 2 * np.pi * (seconds / 86_400 + rng.uniform())
    level = 50 * (1 + 0.3 * np.sin(daily))
    noise = rng.normal(0, 2.5, rows)
    outliers = rng.random(rows) < 0.01
    noise[outliers] += rng.standard_t(3, int(outliers.sum())) * 5
    start = int(rng.integers(int(0.3 * rows), int(0.85 * rows)))
    after = seconds - seconds[start]
    values = level + noise
    if kind == "level_drop":
        values[start:] = 0.7 * level[start:] + noise[start:]
    elif kind == "level_rise":
        values[start:] = 1.3 * level[start:] + noise[start:]
    elif kind == "dip":
        span = (after >= 0) & (after < rng.uniform(0.5, 2) * 3600)
        values[span] = 0.4 * level[span] + noise[span]
    elif kind == "spike":
        span = (after >= 0) & (after < rng.uniform(10, 30) * 60)
        values[span] = 1.8 * level[span] + noise[span]
    elif kind == "flat":
        span = (after >= 0) & (after < rng.uniform(3, 8) * 3600)
        values[span] = round(float(values[start]), 1)
    timestamps = [START + timedelta(seconds=int(s)) for s in seconds]
    width = int(0.1 * rows)
    windows = (
        []
        if kind == "none"
        else [(timestamps[max(0, start - width // 2)], timestamps[min(rows - 1, start + width // 2)])]
    )
    return LabelledSeries(
        name=f"short_{kind}-{seed}", timestamps=timestamps, values=[float(v) for v in values], windows=windows
    )


def short_corpus(seeds: tuple[int, ...] = (1, 2, 3, 4)) -> list[LabelledSeries]:
    """Every short kind under every seed, and as many short series with nothing planted."""
    return [short_irregular(kind, seed) for kind in (*SHORT_KINDS, "none") for seed in seeds]
