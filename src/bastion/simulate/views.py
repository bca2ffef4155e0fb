"""Reach: how many impressions an item gets (heavy-tailed), when, and how they are sampled.

Views are sampled impressions: an item with `I` impressions yields `ceil(I / unit)` view records (at
most `max_samples`), whose weights sum to exactly `I`. Prevalence is the weighted share of views.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from bastion.simulate.timeline import DAY, HOUR

# Share of followers an ordinary post reaches, before the (log-normal) luck of the feed.
FOLLOWER_REACH = 0.08
VIRAL_CHANCE = 0.003
MAX_IMPRESSIONS = 50_000_000
MAX_DELAY = 7 * DAY
# Most impressions come in the first hours; a long tail over the next days.
FAST_MEAN = 2 * HOUR
SLOW_MEAN = 18 * HOUR
FAST_SHARE = 0.7
# Spread of a planted event's post's reach around its planned multiple of a typical audience.
EVENT_SPREAD = 0.5


def impressions(rng: random.Random, followers: int, content_type: str) -> int:
    """Total impressions of a new item by an author with `followers` followers."""
    if content_type == "message":
        return 1 + (1 if rng.random() < 0.3 else 0)
    if content_type == "comment":
        reach = rng.lognormvariate(1.6, 1.1) + followers * 0.002
    else:
        reach = (4 + followers * FOLLOWER_REACH) * rng.lognormvariate(0.0, 1.2)
    if rng.random() < VIRAL_CHANCE:
        reach *= rng.uniform(10, 80)
    return min(MAX_IMPRESSIONS, int(reach))


def typical_audience(followers: Sequence[int]) -> float:
    """Impressions of a typical post: one by an author with the median number of followers, with the
    median luck of the feed (the log-normal's median is 1). Below the mean post's, which the heavy tails
    of followers, luck and virality pull far up."""
    ordered = sorted(followers)
    median = ordered[len(ordered) // 2] if ordered else 0
    return 4 + median * FOLLOWER_REACH


def event_impressions(rng: random.Random, typical: float, multiple: float) -> int:
    """Total impressions of a planted event's post: `multiple` typical audiences, give or take (a
    log-normal spread with median 1, no viral tail)."""
    return max(1, round(typical * multiple * rng.lognormvariate(0.0, EVENT_SPREAD)))


def sample_weights(total: int, unit: int, max_samples: int) -> list[int]:
    """Weights of the view records standing for `total` impressions; they sum to `total`."""
    if total <= 0:
        return []
    count = min(max_samples, math.ceil(total / unit))
    base, extra = divmod(total, count)
    return [base + 1] * extra + [base] * (count - extra)


def view_delay(rng: random.Random) -> int:
    """Seconds between an item's creation and one of its impressions."""
    mean = FAST_MEAN if rng.random() < FAST_SHARE else SLOW_MEAN
    return min(MAX_DELAY, int(rng.expovariate(1.0 / mean)))
