"""The burst scan over thin hourly counts: a planted burst found where it is, even on the first days,
among many quiet segments; a quiet hour of the others no hole in the baseline; stationary segments with
a daily rhythm give (almost) nothing; Benjamini-Hochberg across segments."""

from __future__ import annotations

import numpy as np

from bastion.insight.trends.bursts import MIN_BURST_EVENTS, Burst, bursts, exposure, significant

HOURS = 14 * 24
RHYTHM = 1 + 0.6 * np.sin(2 * np.pi * np.arange(HOURS) / 24)


def _others(rng: np.random.Generator, rate: float = 30.0) -> np.ndarray:
    """The rest of the platform: many events an hour, with the daily rhythm."""
    return rng.poisson(rate * RHYTHM).astype(np.float64)


def test_exposure_carries_the_rhythm_not_the_noise_and_sums_to_one() -> None:
    rng = np.random.default_rng(1)
    others = _others(rng)
    share = exposure(others)
    assert abs(share.sum() - 1.0) < 1e-9
    peak, trough = share[np.arange(HOURS) % 24 == 6].mean(), share[np.arange(HOURS) % 24 == 18].mean()
    assert 3.0 < peak / trough < 5.0  # the sine's 1.6 against 0.4
    # One hour of the others with nothing in it is not a hole in the baseline.
    others[100] = 0
    assert exposure(others)[100] > 0.5 / HOURS
    assert np.allclose(exposure(np.zeros(HOURS)), 1 / HOURS)


def _quiet(rng: np.random.Generator, share: np.ndarray, segments: int) -> list[list[Burst]]:
    return [bursts(list(rng.poisson(rng.uniform(0.02, 2.0) * RHYTHM)), share) for _ in range(segments)]


def test_a_burst_is_found_where_it_is_even_on_the_first_days() -> None:
    rng = np.random.default_rng(2)
    share = exposure(_others(rng))
    for start in (20, 200):  # the scan's first day, and later
        counts = rng.poisson(0.1 * RHYTHM)
        counts[start : start + 36] += rng.poisson(1.0, 36)  # about 36 more events over a day and a half
        standing = significant([bursts(list(counts), share), *_quiet(rng, share, 150)])
        assert standing[0], start
        best = standing[0][0]
        assert best.start < start + 36 and start < best.end
        assert best.observed >= MIN_BURST_EVENTS and best.observed > 3 * best.expected
        assert 0 < best.p_value < 0.01
        assert sum(len(found) for found in standing[1:]) <= 1


def test_stationary_segments_give_almost_no_burst() -> None:
    rng = np.random.default_rng(3)
    share = exposure(_others(rng))
    standing = significant(_quiet(rng, share, 150))
    assert sum(len(found) for found in standing) <= 1


def test_benjamini_hochberg_across_segments() -> None:
    def burst(p: float) -> list[Burst]:
        return [Burst(0, 3, 10, 1.0, p)]

    # Cut-offs 0.01 x rank / 4: the second best passes at 0.005, so the best does too; 0.02 does not.
    standing = significant([burst(0.004), burst(0.02), [], burst(0.001)], alpha=0.01)
    assert [len(found) for found in standing] == [1, 0, 0, 1]
    assert significant([burst(0.5), []]) == [[], []]


def test_a_thin_segment_is_not_judged() -> None:
    share = exposure(np.ones(HOURS))
    counts = [0] * HOURS
    counts[50] = MIN_BURST_EVENTS - 1
    assert bursts(counts, share) == []
