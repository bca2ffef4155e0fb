"""What a quality engine makes of the ratings (`Aggregates`), and the definitions both engines share.

Two engines aggregate the ratings, however many, into these few small tables: `engine_duckdb.py` (the
default) and `engine_pandas.py` (the baseline the benchmark compares it with); `engine.py` turns the
tables into the report. Both must give the same report (a hypothesis test holds them to it), so what
they must agree on is defined here once: how many disagreements and rater pairs are kept, a day in
the ratings' time unit, and how a pair's labels are lined up.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bastion.quality.statistics import IntArray

EVIDENCE = 5  # newest disagreements shown per reviewer
PAIRS = 10  # rater pairs with the most shared items, for Cohen's kappa
PAIR_MIN_ITEMS = 20  # a pair sharing fewer items has no kappa worth showing
DAY_US = 86_400_000_000  # a day in microseconds, the unit of the ratings' times


@dataclass(frozen=True)
class Aggregates:
    """Everything the report needs of the ratings, small whatever the ratings' size."""

    labels: tuple[str, ...]  # the columns of `patterns`
    patterns: IntArray  # distinct label counts of the items rated twice or more
    pattern_items: IntArray  # how many items have each pattern
    tallies: pd.DataFrame  # dim, key, sub, decisions, scored, correct, appeals, overturned
    vendors: dict[str, str | None]  # each rater's vendor
    confusion: pd.DataFrame  # answer, label, n
    disagreements: pd.DataFrame  # rater, decision_pk, item, label, answer, decided_at, source
    pairs: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]  # a, b, their labels item by item
    daily: bool  # periods are days (the span is under two weeks), else weeks from Monday


def pair_labels(
    pairs: list[tuple[str, str]], newest: pd.DataFrame
) -> tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]:
    """For each pair, the newest label each gave on the items both rated, item by item."""
    found = []
    for a, b in pairs:
        both = newest[newest["rater"] == a].merge(newest[newest["rater"] == b], on="item").sort_values("item")
        found.append((a, b, tuple(both["label_x"]), tuple(both["label_y"])))
    return tuple(found)
