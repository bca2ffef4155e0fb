"""What an insight dashboard costs: the overview and one page per kind on a simulated store, against
the floor of one `compute` of the same headline metrics, side by side in one run.

    .venv/bin/python bench/dashboards.py [--days 2] [--seed 1] [--repeat 3]

Simulates `--days` of the default platform (seed `--seed`) with the reference rules and the simulated
reviewers at work (not timed), then times, each `--repeat` times after one warm-up, in this process:

- floor: `compute` of the fourteen headline columns over 7 days on one open engine;
- each dashboard (overview, a policy, a market, a queue) over 7 days: the figures of the window and the
  one before, its splits and its daily series, `service.dashboard`;
- the weekly report rendered to HTML (`weekly_report` + `render`, no recommendations service).

Prints the best wall and CPU seconds of each and the ratio of its CPU time to the floor's. The cost is
Ibis compiling each query to SQL (about 45 ms of CPU per query here), not DuckDB running it: a page
runs about 45 metric queries.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bastion.clock import FrozenClock
from bastion.detect.reference import install_reference
from bastion.insight.dashboards.service import HEADLINE, dashboard
from bastion.insight.metrics import compute, open_store
from bastion.insight.weekly import render, weekly_report
from bastion.setup import initialise
from bastion.simulate import SimulationSpec, World
from bastion.simulate.reviewing import write_and_review
from bastion.store.database import Database


def best(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    run()  # warm: the engine's first attach and Ibis's first compile
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.disable(logging.INFO)
    folder = Path(tempfile.mkdtemp(prefix="bench-dashboards-"))
    database = Database(f"sqlite:///{folder / 'store.db'}")
    spec = SimulationSpec(seed=args.seed, days=args.days)
    initialise(database, FrozenClock(spec.start))
    with database.transaction() as session:
        install_reference(session, principal="system", now=spec.start)
    write_and_review(database, World(spec))
    now = spec.start + timedelta(days=spec.days)
    since = now - timedelta(days=7)

    def floor() -> None:
        with open_store(database) as backend:
            compute(backend, list(HEADLINE), since=since, until=now)

    runs: list[tuple[str, Callable[[], object]]] = [("floor: one compute of the headline", floor)]

    def page(kind: str, subject: str | None) -> Callable[[], object]:
        return lambda: dashboard(database, kind, subject, days=7, now=now)

    for kind, subject in (("overview", None), ("policy", "spam"), ("market", "BR"), ("queue", "general")):
        runs.append((f"dashboard {kind}", page(kind, subject)))
    ending = (now - timedelta(days=1)).date()
    runs.append(
        ("weekly report", lambda: render(weekly_report(database, week_ending=ending, now=now, recommendations=[])))
    )
    base = None
    print(f"{'':40} {'wall s':>8} {'cpu s':>8} {'x floor (cpu)':>14}")
    for name, run in runs:
        wall, cpu = best(run, args.repeat)
        base = base or cpu
        print(f"{name:40} {wall:8.2f} {cpu:8.2f} {cpu / base:14.1f}")


if __name__ == "__main__":
    main()
