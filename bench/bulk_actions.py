"""Bulk actions on a network in a simulated store: what the cached detection report saves, side by side.

    .venv/bin/python bench/bulk_actions.py [--seed 1] [--repeat 3]

1. **Input** (not timed): the default simulation (small, 14 days) written through ingest into a SQLite
   store in a temporary folder and reviewed, as the tests' simulated stores are.
2. **Baseline**: a preview of `suspend` on the largest network with the detection report dropped first,
   as if every step detected anew (what the CLI does, one process per command).
3. **Ours**: the same preview with the report cached for the unchanged store (what the pages and the API
   do: opening a network, previewing and confirming share one run). Then one execute and one reversal,
   each timed once (they write, so they are not repeated).

Prints the median of `--repeat` runs of each preview and the ratio baseline / ours.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from bastion.auth.principal import Principal
from bastion.clock import FrozenClock
from bastion.detect.reference import install_reference
from bastion.domain.access import Role
from bastion.domain.investigate import BulkActionKind
from bastion.investigate import bulk_actions
from bastion.setup import initialise
from bastion.simulate import SimulationSpec, World
from bastion.simulate.reviewing import write_and_review
from bastion.store.database import Database

INVESTIGATOR = Principal(name="user:bench", roles=frozenset({Role.INVESTIGATOR}))


def _median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        world = World(SimulationSpec(seed=args.seed))
        database = Database(f"sqlite:///{Path(folder) / 'simulated.db'}")
        initialise(database, FrozenClock(world.spec.start))
        with database.transaction() as session:
            install_reference(session, principal="system:bench", now=world.spec.start)
        started = time.perf_counter()
        write_and_review(database, world)
        print(f"input: seed {args.seed} written and reviewed in {time.perf_counter() - started:.0f} s")
        now = world.spec.start + timedelta(days=world.spec.days)

        with database.transaction() as session:
            report = bulk_actions.current_networks(session, INVESTIGATOR)
        network = max(report.networks, key=lambda n: len(n.members))
        print(f"{len(report.networks)} networks among {report.actors:,} actors; acting on {network.id}")

        def preview() -> bulk_actions.BulkPlan:
            with database.transaction() as session:
                return bulk_actions.preview(session, INVESTIGATOR, network.id, BulkActionKind.SUSPEND, now=now)

        def fresh() -> None:
            bulk_actions._cache.clear()
            preview()

        baseline = _median_seconds(fresh, args.repeat)
        ours = _median_seconds(preview, args.repeat)
        plan = preview()
        started = time.perf_counter()
        with database.transaction() as session:
            bulk = bulk_actions.execute(session, INVESTIGATOR, network.id, plan.action, plan.token, now=now)
        executed = time.perf_counter() - started
        started = time.perf_counter()
        with database.transaction() as session:
            bulk_actions.reverse_bulk_action(session, INVESTIGATOR, bulk.pk, now=now)
        reversed_ = time.perf_counter() - started
        print(f"preview, detecting anew (baseline): {baseline * 1000:8.1f} ms (median of {args.repeat})")
        print(f"preview, report cached (ours):      {ours * 1000:8.1f} ms (median of {args.repeat})")
        print(f"ratio baseline / ours:              {baseline / ours:8.1f}x")
        print(f"execute ({len(plan.to_change)} accounts, report cached): {executed * 1000:.1f} ms")
        print(f"reverse ({len(plan.to_change)} accounts): {reversed_ * 1000:.1f} ms")
        database.dispose()


if __name__ == "__main__":
    main()
