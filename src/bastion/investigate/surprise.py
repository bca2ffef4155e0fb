"""How unusual a cluster's sharing is against chance, in decimal digits: -log10 of a tail probability.

Pure, with `math.lgamma` only, so that a tail of 1e-200 is still a number and not a zero.
"""

from __future__ import annotations

import math

LN10 = math.log(10)


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _log_sum(terms: list[float]) -> float:
    top = max(terms)
    return top + math.log(sum(math.exp(t - top) for t in terms))


def shared_value_surprise(population: int, carriers: int, members: int, members_carrying: int) -> float:
    """-log10 P(X >= members_carrying), X hypergeometric: how many of `members` actors drawn at random from
    `population` would carry a value that `carriers` actors carry. Two carriers or fewer surprise nobody."""
    n, k, m = population, min(carriers, population), min(members, population)
    if members_carrying < 2 or n <= 0:
        return 0.0
    top = min(k, m)
    if members_carrying > top:
        return 0.0
    total = _log_choose(n, m)
    # Below m - (n - k) carriers among the members is impossible: there are not enough others to draw.
    low = max(members_carrying, m - (n - k))
    terms = [_log_choose(k, x) + _log_choose(n - k, m - x) - total for x in range(low, top + 1)]
    return max(0.0, -_log_sum(terms) / LN10)


def binomial_surprise(trials: int, successes: int, chance: float) -> float:
    """-log10 P(X >= successes), X binomial(trials, chance)."""
    if successes <= 0 or trials <= 0:
        return 0.0
    if chance <= 0.0:
        return 300.0
    if chance >= 1.0:
        return 0.0
    log_p, log_q = math.log(chance), math.log1p(-chance)
    terms = [
        _log_choose(trials, x) + x * log_p + (trials - x) * log_q for x in range(min(successes, trials), trials + 1)
    ]
    return max(0.0, -_log_sum(terms) / LN10)


def poisson_surprise(expected: float, at_least: int) -> float:
    """-log10 P(X >= at_least), X Poisson with mean `expected`."""
    if at_least <= 0:
        return 0.0
    if expected <= 0.0:
        return 300.0
    log_mean = math.log(expected)
    terms = [x * log_mean - expected - math.lgamma(x + 1) for x in range(at_least, at_least + 200)]
    return max(0.0, -_log_sum(terms) / LN10)
