"""The queue run job by job: a check on Erlang C with the same parameters.

Jobs arrive at random (exponential gaps at `arrivals_per_hour`); each is taken first come, first served
by whichever of the N reviewers is free first, and keeps them for a handle time drawn from `handle_time`
(exponential with the mean by default, as Erlang C assumes; or handle times observed in the store, which
Erlang C does not assume). With FCFS and identical reviewers, a job starts at the later of its arrival
and the earliest moment a reviewer is free: a heap of the reviewers' free times is the whole simulation.
The first `warm_up` share of the jobs is left out of the figures, so the empty queue at the start does
not flatter them.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bastion.errors import InvalidInput


@dataclass(frozen=True)
class SimulatedQueue:
    """What the simulated queue did: jobs counted, the share started within the target, the mean wait."""

    jobs: int
    service_level: float
    mean_wait_seconds: float


def exponential(mean_seconds: float) -> Callable[[random.Random], float]:
    """Exponential handle times with this mean."""
    return lambda rng: rng.expovariate(1.0 / mean_seconds)


def observed(handle_seconds: Sequence[float]) -> Callable[[random.Random], float]:
    """Handle times drawn from those observed (with replacement)."""
    if not handle_seconds:
        raise InvalidInput("handle_seconds: at least one observed handle time is needed")
    values = list(handle_seconds)
    return lambda rng: rng.choice(values)


def simulate_queue(
    reviewers: int,
    arrivals_per_hour: float,
    handle_time: Callable[[random.Random], float],
    target_seconds: float,
    *,
    rng: random.Random,
    jobs: int = 50_000,
    warm_up: float = 0.1,
) -> SimulatedQueue:
    """Run `jobs` arrivals through `reviewers` reviewers and measure the share that waited at most the target."""
    if reviewers < 1:
        raise InvalidInput(f"reviewers: must be 1 or more, not {reviewers}")
    if not math.isfinite(arrivals_per_hour) or arrivals_per_hour <= 0:
        raise InvalidInput(f"arrivals_per_hour: must be above 0, not {arrivals_per_hour}")
    if jobs < 10:
        raise InvalidInput(f"jobs: at least 10 are needed to measure anything, not {jobs}")
    gap_mean = 3600.0 / arrivals_per_hour
    free_at = [0.0] * reviewers  # a heap: when each reviewer is next free
    skip = int(jobs * warm_up)
    now = 0.0
    within = 0
    waited = 0.0
    for number in range(jobs):
        now += rng.expovariate(1.0 / gap_mean)
        earliest = heapq.heappop(free_at)
        start = max(now, earliest)
        heapq.heappush(free_at, start + handle_time(rng))
        if number >= skip:
            wait = start - now
            waited += wait
            within += wait <= target_seconds
    counted = jobs - skip
    return SimulatedQueue(counted, within / counted, waited / counted)
