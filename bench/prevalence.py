"""Prevalence rounds on the simulator: interval methods and allocations side by side, seed by seed.

For each seed, draws ROUNDS rounds of SIZE draws (stratified by the built-in classifier's score, Neyman
allocation with every interval method, proportional allocation with the default one) and as many simple
random samples of the same size from the views of the second week of a small simulated run
(`tests/insight/prevalence/simulated.py`), labels every drawn view with its item's true policy, and
prints, per seed, allocation and interval method, how often the 95 % interval (or upper limit) covered
the planted prevalence of every policy, how often it missed below and above, the share of upper
limits, and the mean width of the stratified intervals over the simple random samples' (same method).
Not timed: the figures are coverage and width, kept in docs/insight.md.

    .venv/bin/python bench/prevalence.py                               # seeds 1, 7, 8 and 11; 2,000 draws
    .venv/bin/python bench/prevalence.py --seeds 7 --size 1000 --rounds 400
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.insight.prevalence.simulated import SimulatedViews, simulated_views  # noqa: E402

from bastion.insight.prevalence.design import Allocation, draw_round, plan_strata  # noqa: E402
from bastion.insight.prevalence.estimate import IntervalMethod, StratumCount, estimate_prevalence  # noqa: E402


def compare(
    views: SimulatedViews, size: int, allocation: Allocation, rounds: int, seed: int, methods: list[IntervalMethod]
) -> list[str]:
    rng = np.random.default_rng(seed)
    strata = plan_strata(views.scores, views.weights, size, allocation=allocation)
    policies = sorted(views.true_prevalence)
    violating = {p: views.violating(p) for p in policies}
    total = float(views.weights.sum())
    tally = {m: {"covered": 0, "below": 0, "above": 0, "width": 0.0, "srs": 0.0, "limits": 0} for m in methods}
    for _ in range(rounds):
        drawn = draw_round(rng, views.scores, views.weights, strata)
        srs = rng.choice(len(views.weights), size=size, p=views.weights / total)
        for p in policies:
            truth = views.true_prevalence[p]
            counts = [
                StratumCount(s.name, s.impressions, s.sample, int(violating[p][drawn[s.name]].sum())) for s in strata
            ]
            alone = [StratumCount("all", total, size, int(violating[p][srs].sum()))]
            for method, t in tally.items():
                e = estimate_prevalence(counts, method=method)
                s = estimate_prevalence(alone, method=method)
                t["covered"] += e.covers(truth)
                t["below"] += truth < e.low
                t["above"] += truth > e.high
                t["limits"] += e.upper_limit
                t["width"] += e.high - e.low
                t["srs"] += s.high - s.low
    n = rounds * len(policies)
    return [
        f"| {seed} | {size:,} | {allocation.value} | {m.value} | {t['covered'] / n:.3f} | {t['below'] / n:.3f} | "
        f"{t['above'] / n:.3f} | {t['limits'] / n:.2f} | {t['width'] / t['srs']:.3f} |"
        for m, t in tally.items()
    ]


def seeds(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=seeds, default=[1, 7, 8, 11], help="simulation seeds, comma-separated")
    parser.add_argument("--size", type=int, default=2_000, help="draws in a round")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    print("| seed | size | allocation | interval | coverage | truth below | truth above | upper limits | width / SRS |")
    print("|---|---|---|---|---|---|---|---|---|")
    for seed in args.seeds:
        views = simulated_views(seed)
        for allocation in Allocation:
            methods = list(IntervalMethod) if allocation is Allocation.NEYMAN else [IntervalMethod.JEFFREYS_EFFECTIVE]
            for line in compare(views, args.size, allocation, args.rounds, seed, methods):
                print(line, flush=True)


if __name__ == "__main__":
    main()
