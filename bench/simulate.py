"""Benchmark: simulating a platform at a given scale, written through the ingest path.

Side by side in one run, each in its own process (so peak memory is its own):
  - ours:      `World(spec).records()` written with `write_platform` into a fresh store;
  - baseline:  the same records generated and thrown away (the generator's own cost).
The difference is what writing through validation, reference checks, dedup, the event log and the
audit log costs. Prints records/s, wall time and peak resident memory, and the ratios. Then checks
that ours wrote every record the baseline generated, none of them twice, and that the store holds
those rows; exits 1 when a check fails or peak memory is over the limit.

    .venv/bin/python bench/simulate.py                # medium scale, SQLite
    .venv/bin/python bench/simulate.py --scale small
    .venv/bin/python bench/simulate.py --database-url postgresql+psycopg://user@host/db
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

MEMORY_LIMIT_MB = 1024
TABLES = {"actors": "actors", "content": "content_items", "reports": "reports", "views": "views"}


def _peak_rss_mb() -> float:
    """This process's own high-water mark (VmHWM). Not ru_maxrss: Linux carries that across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _ours(scale: str, seed: int, days: int, url: str, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from bastion.clock import system_clock
    from bastion.setup import initialise
    from bastion.simulate import SimulationSpec, World
    from bastion.simulate.writer import write_platform
    from bastion.store.database import Database

    database = Database(url)
    initialise(database, system_clock)
    spec = SimulationSpec.parse(seed=seed, scale=scale, days=days)
    started = time.perf_counter()
    summary = write_platform(database, World(spec).records(), clock=system_clock)
    elapsed = time.perf_counter() - started
    peak = _peak_rss_mb()
    stored = {}
    with database.engine.connect() as connection:
        for kind, table in TABLES.items():
            stored[kind] = connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
    database.dispose()
    out.put(
        {
            "records": summary.total,
            "seconds": elapsed,
            "peak_mb": peak,
            "written": summary.written,
            "duplicates": summary.duplicates,
            "stored": stored,
        }
    )


def _baseline(scale: str, seed: int, days: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from bastion.simulate import SimulationSpec, World

    spec = SimulationSpec.parse(seed=seed, scale=scale, days=days)
    started = time.perf_counter()
    count = sum(1 for _ in World(spec).records())
    elapsed = time.perf_counter() - started
    out.put({"records": count, "seconds": elapsed, "peak_mb": _peak_rss_mb()})


def _run(target: object, *args: object) -> dict[str, object]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return dict(result)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        print(f"simulate benchmark: scale {args.scale}, {args.days} days, seed {args.seed}, store {url.split(':')[0]}")
        baseline = _run(_baseline, args.scale, args.seed, args.days)
        ours = _run(_ours, args.scale, args.seed, args.days, url)
    rows = [("generate only (baseline)", baseline), ("generate + ingest (ours)", ours)]
    print(f"{'':28}{'records':>12}{'seconds':>10}{'records/s':>12}{'peak MB':>10}")
    for name, result in rows:
        rate = float(result["records"]) / float(result["seconds"])  # type: ignore[arg-type]
        print(f"{name:28}{result['records']:>12,}{result['seconds']:>10.1f}{rate:>12,.0f}{result['peak_mb']:>10.0f}")
    ratio = float(ours["seconds"]) / float(baseline["seconds"])  # type: ignore[arg-type]
    print(f"writing through ingest takes {ratio:.1f}x the generator's own time")
    print(f"written: {json.dumps(ours['written'])}")
    within = float(ours["peak_mb"]) < MEMORY_LIMIT_MB  # type: ignore[arg-type]
    print(f"peak memory {'PASS' if within else 'FAIL'}: {float(ours['peak_mb']):.0f} MB (limit {MEMORY_LIMIT_MB} MB)")  # type: ignore[arg-type]
    checks = {
        f"ours wrote every generated record ({baseline['records']:,})": ours["records"] == baseline["records"],
        "no record was a duplicate": ours["duplicates"] == 0,
        "the store holds what was written, per kind": ours["stored"] == ours["written"],
    }
    for name, passed in checks.items():
        print(f"{'ok  ' if passed else 'FAIL'} {name}")
    return 0 if within and all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
