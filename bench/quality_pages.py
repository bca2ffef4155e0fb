"""What the quality pages cost over millions of ratings: computed, and kept, side by side in one run.

    .venv/bin/python bench/quality_pages.py [--ratings 1000000] [--raters 300] [--seed 11]

The ratings are `bench/quality.py`'s simulation (not timed). A page's first request computes the report
(the overview and the policy view), and a scorecard the reports of its eight weeks too (accuracy per
week); `QualityReports` keeps each for a minute, so the next request reads the kept one. Printed: wall
seconds of each, the ratio of computed to kept, and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bastion.clock import FrozenClock
from bastion.quality.scorecards import QualityReports
from quality import DAYS, START, simulate  # the engine benchmark's simulation (bench/quality.py)


def _timed(step: object) -> float:
    began = time.perf_counter()
    step()  # type: ignore[operator]
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--raters", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    ratings, planted = simulate(args.ratings, args.raters, args.seed)
    clock = FrozenClock(START + timedelta(days=DAYS))
    reports = QualityReports(None, clock, load=lambda *_: ratings)  # type: ignore[arg-type]
    overview = _timed(lambda: reports.report())
    overview_kept = _timed(lambda: reports.report())
    rater = planted[0]
    scorecard = _timed(lambda: (reports.report(), reports.drift(None, None, reviewer=rater)))
    scorecard_kept = _timed(lambda: (reports.report(), reports.drift(None, None, reviewer=rater)))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.ratings:,} ratings, {args.raters} raters")
    for name, computed, kept in (("overview", overview, overview_kept), ("weeks", scorecard, scorecard_kept)):
        print(f"{name:9}  computed {computed:7.2f} s   kept {kept * 1000:8.3f} ms   ratio {computed / kept:,.0f}x")
    print(f"a scorecard's weeks / the overview, computed: {scorecard / overview:.2f}x")
    print(f"peak RSS {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
