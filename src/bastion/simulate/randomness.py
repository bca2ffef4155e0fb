"""Seeded random streams and the few distributions the simulator draws from.

Every stream is a `random.Random` of its own, seeded from the spec's seed and the stream's name
(a str seed is hashed with SHA-512 by `random`, so it is stable across processes, unlike `hash()`).
Giving each concern its own stream keeps a change in one (say, reports) from reshuffling another.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate


def substream(seed: int, name: str) -> random.Random:
    """An independent, reproducible random stream for one concern of one simulation."""
    return random.Random(f"bastion-simulate/{seed}/{name}")


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw; exact (Knuth) for small means, a rounded normal beyond 30."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def round_randomly(rng: random.Random, expected: float) -> int:
    """`expected` rounded down or up at random so that the mean is `expected`."""
    whole = int(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


class WeightedChoice:
    """Draws items with fixed weights in O(log n), for large populations."""

    __slots__ = ("_cumulative", "_items", "_total")

    def __init__(self, items: Sequence[int], weights: Sequence[float]) -> None:
        if len(items) != len(weights) or not items:
            raise ValueError("WeightedChoice needs as many weights as items, and at least one")
        self._items = items
        self._cumulative = list(accumulate(weights))
        self._total = self._cumulative[-1]

    def draw(self, rng: random.Random) -> int:
        """One item, drawn in proportion to its weight."""
        index = bisect_right(self._cumulative, rng.random() * self._total)
        return self._items[min(index, len(self._items) - 1)]

    def __len__(self) -> int:
        return len(self._items)


def pick_weighted(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    """One option of a short (name, weight) list."""
    total = sum(weight for _, weight in options)
    point = rng.random() * total
    for name, weight in options:
        point -= weight
        if point < 0:
            return name
    return options[-1][0]
