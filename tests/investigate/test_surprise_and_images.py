"""The chance model behind a network's score, and near-duplicate images, pure."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binom, hypergeom, poisson  # type: ignore[import-untyped]

from bastion.investigate.images import image_clusters
from bastion.investigate.surprise import binomial_surprise, poisson_surprise, shared_value_surprise


@given(
    population=st.integers(10, 3_000),
    carriers=st.integers(2, 200),
    members=st.integers(2, 60),
    carrying=st.integers(2, 60),
)
def test_shared_value_surprise_is_the_hypergeometric_tail(
    population: int, carriers: int, members: int, carrying: int
) -> None:
    carriers, members = min(carriers, population), min(members, population)
    tail = hypergeom.sf(carrying - 1, population, carriers, members)
    expected = 0.0 if carrying > min(carriers, members) or tail <= 0 else max(0.0, -math.log10(tail))
    if tail > 1e-250:
        assert shared_value_surprise(population, carriers, members, carrying) == pytest.approx(expected, abs=1e-6)


def test_surprise_grows_with_how_many_members_carry_and_falls_with_how_common() -> None:
    assert shared_value_surprise(1000, 12, 12, 12) > shared_value_surprise(1000, 12, 12, 6) > 0
    assert shared_value_surprise(1000, 12, 12, 12) > shared_value_surprise(1000, 500, 12, 12)
    assert shared_value_surprise(1000, 12, 12, 1) == 0.0


def test_a_tail_too_small_for_floats_is_still_a_number() -> None:
    assert shared_value_surprise(1_000_000, 120, 120, 120) > 300


@given(trials=st.integers(1, 80), successes=st.integers(1, 80), chance=st.floats(0.001, 0.999))
def test_binomial_surprise_is_the_binomial_tail(trials: int, successes: int, chance: float) -> None:
    tail = binom.sf(successes - 1, trials, chance)
    if tail > 1e-250:
        expected = max(0.0, -math.log10(tail)) if successes <= trials else 0.0
        assert binomial_surprise(trials, successes, chance) == pytest.approx(expected, abs=1e-6)


@given(expected=st.floats(0.0001, 30.0), at_least=st.integers(1, 40))
def test_poisson_surprise_is_the_poisson_tail(expected: float, at_least: int) -> None:
    tail = poisson.sf(at_least - 1, expected)
    if tail > 1e-250:
        assert poisson_surprise(expected, at_least) == pytest.approx(max(0.0, -math.log10(tail)), abs=1e-6)


def _flip(value: int, bits: int, rng: random.Random) -> str:
    for position in rng.sample(range(256), bits):
        value ^= 1 << position
    return f"{value:064x}"


def test_near_duplicate_images_share_a_key_and_others_do_not() -> None:
    rng = random.Random(3)
    base, other = rng.getrandbits(256), rng.getrandbits(256)
    copies = [_flip(base, rng.randint(0, 4), rng) for _ in range(20)]
    strangers = [_flip(other, 2, rng)] + [f"{rng.getrandbits(256):064x}" for _ in range(20)]
    keys = image_clusters([*copies, *strangers, "not-a-hash", "z" * 64])
    assert len({keys[c] for c in copies}) == 1
    assert keys[copies[0]] not in {keys[s] for s in strangers}
    assert len({keys[s] for s in strangers}) == len(set(strangers))
    assert "not-a-hash" not in keys and "z" * 64 not in keys
