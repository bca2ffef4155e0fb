"""Erlang C: how many reviewers a queue needs to answer a share of its jobs within a target wait.

The queue is M/M/N: jobs arrive at random (Poisson, `arrivals_per_hour`), each takes an exponentially
distributed handle time with mean `handle_seconds`, N reviewers take them first come, first served. The
offered load is `a = λ·h` Erlangs; with N > a the queue is stable, and

    P(wait > 0)  = C(N, a)                       (Erlang's C formula)
    P(wait <= t) = 1 - C(N, a) · exp(-(N - a) · t / h)
    mean wait    = C(N, a) · h / (N - a)

C is computed from Erlang B by its recurrence (B(0) = 1, B(k) = a·B(k-1) / (k + a·B(k-1))) and
C = N·B / (N - a·(1 - B)): no factorials, so it stays exact for hundreds of reviewers.
`queue_simulation.py` checks the formula by running the same queue event by event.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bastion.errors import InvalidInput

MAX_REVIEWERS = 10_000


@dataclass(frozen=True)
class Staffing:
    """What N reviewers achieve on a queue: the chance a job waits, its service level, the mean wait."""

    reviewers: int
    load_erlangs: float
    occupancy: float  # a / N
    wait_probability: float  # C(N, a)
    service_level: float  # P(wait <= target)
    mean_wait_seconds: float


def _check(arrivals_per_hour: float, handle_seconds: float) -> None:
    if not math.isfinite(arrivals_per_hour) or arrivals_per_hour < 0:
        raise InvalidInput(f"arrivals_per_hour: must be a number of jobs of 0 or more, not {arrivals_per_hour}")
    if not math.isfinite(handle_seconds) or handle_seconds <= 0:
        raise InvalidInput(f"handle_seconds: must be a number of seconds above 0, not {handle_seconds}")


def offered_load(arrivals_per_hour: float, handle_seconds: float) -> float:
    """The work arriving, in Erlangs: reviewers it would keep busy all the time."""
    _check(arrivals_per_hour, handle_seconds)
    return arrivals_per_hour * handle_seconds / 3600.0


def _check_servers(reviewers: int, load_erlangs: float) -> None:
    if reviewers < 1:
        raise InvalidInput(f"reviewers: must be 1 or more, not {reviewers}")
    if load_erlangs < 0 or not math.isfinite(load_erlangs):
        raise InvalidInput(f"load_erlangs: must be 0 or more, not {load_erlangs}")


def erlang_b(reviewers: int, load_erlangs: float) -> float:
    """Erlang's B formula: the share of work turned away when `reviewers` serve `load_erlangs` and nobody waits."""
    _check_servers(reviewers, load_erlangs)
    blocking = 1.0
    for k in range(1, reviewers + 1):
        blocking = load_erlangs * blocking / (k + load_erlangs * blocking)
    return blocking


def erlang_c(reviewers: int, load_erlangs: float) -> float:
    """The chance a job has to wait, with `reviewers` serving `load_erlangs`; 1.0 when the queue is unstable."""
    _check_servers(reviewers, load_erlangs)
    if load_erlangs == 0:
        return 0.0
    if load_erlangs >= reviewers:
        return 1.0
    blocking = erlang_b(reviewers, load_erlangs)
    return reviewers * blocking / (reviewers - load_erlangs * (1.0 - blocking))


def staffing(reviewers: int, arrivals_per_hour: float, handle_seconds: float, target_seconds: float) -> Staffing:
    """Erlang C's figures for `reviewers` on this queue, with the service level at `target_seconds`."""
    load = offered_load(arrivals_per_hour, handle_seconds)
    if target_seconds < 0 or not math.isfinite(target_seconds):
        raise InvalidInput(f"target_seconds: must be 0 or more, not {target_seconds}")
    wait = erlang_c(reviewers, load)
    if load >= reviewers:
        return Staffing(reviewers, load, 1.0, 1.0, 0.0, math.inf)
    spare = reviewers - load
    level = 1.0 - wait * math.exp(-spare * target_seconds / handle_seconds)
    return Staffing(reviewers, load, load / reviewers, wait, level, wait * handle_seconds / spare)


def reviewers_needed(
    arrivals_per_hour: float, handle_seconds: float, target_seconds: float, service_level: float
) -> Staffing:
    """The fewest reviewers whose service level at `target_seconds` reaches `service_level` (0 to 1)."""
    if not 0.0 < service_level < 1.0:
        raise InvalidInput(f"service_level: must be a share between 0 and 1, not {service_level}")
    load = offered_load(arrivals_per_hour, handle_seconds)
    reviewers = max(1, math.floor(load) + 1)
    while reviewers <= MAX_REVIEWERS:
        found = staffing(reviewers, arrivals_per_hour, handle_seconds, target_seconds)
        if found.service_level >= service_level:
            return found
        reviewers += 1
    raise InvalidInput(f"arrivals_per_hour: more than {MAX_REVIEWERS:,} reviewers would be needed")
