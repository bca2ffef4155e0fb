"""Benchmark: velocity counters, in memory per observation and in the store per batch.

Side by side in one run, on the same generated stream (a fixed seed; actors, IPs, devices and links
drawn with a long tail, items in time order with some arriving late):
  - memory:   `MemoryVelocity.observe` in batches of 500 ("ours") against counting each entity value
              into a plain dict (no windows: "baseline", the floor of touching every value once);
  - store:    after a day of history (100,000 items), live batches of 500 items a minute, each
              `StoreVelocity(session).observe` in one transaction ("ours"), against the same
              transactions running only the upsert of the batch's buckets ("baseline": the write alone,
              without the read of the windows).
Prints microseconds per observation (CPU time in memory, so that other processes on a busy machine
count less; wall time for the store, whose waits are part of its cost) and the ratios; checks that the
store's answers equal memory's for the same stream, and exits 1 when they do not.

    .venv/bin/python bench/velocity.py                       # 200,000 in memory; 20,000 live in SQLite
    .venv/bin/python bench/velocity.py --postgres            # and a throwaway PostgreSQL server
    .venv/bin/python bench/velocity.py --memory 1000000 --store 50000
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support.postgres, for --postgres

from bastion.clock import FrozenClock  # noqa: E402
from bastion.detect.velocity import MemoryVelocity, Observation, StoreVelocity, entity_key, minute_of  # noqa: E402
from bastion.setup import initialise  # noqa: E402
from bastion.store.database import Database  # noqa: E402

SEED = 20261203
ZIPF_SIZES = (2_000, 5_000, 10_000, 20_000)
BATCH = 500
START = datetime(2026, 11, 2, tzinfo=UTC)


def stream(count: int, seconds: float = 2 * 86_400, start: datetime = START, seed: int = SEED) -> list[Observation]:
    """`count` items over `seconds` from `start`: 20,000 actors, 5,000 IPs, 10,000 devices, 2,000 links,
    each drawn with a long tail (a few busy, most quiet: Zipf); 2% of items arrive up to an hour late."""
    rng = random.Random(seed)
    seconds_apart = seconds / max(count, 1)
    weights = {size: list(accumulate(1 / (rank + 1) ** 1.1 for rank in range(size))) for size in ZIPF_SIZES}

    def tail(size: int) -> int:
        """Rank r drawn with weight 1/r^1.1 (Zipf): the busiest of 20,000 actors posts about 1 item in 8."""
        cumulative = weights[size]
        return bisect_left(cumulative, rng.random() * cumulative[-1])

    observations = []
    for n in range(count):
        late = rng.uniform(0, 3_600) if rng.random() < 0.02 else 0.0
        links = [f"https://site{tail(2_000)}.example/p/{rng.randrange(50)}" for _ in range(rng.choice((0, 0, 1, 1, 2)))]
        observations.append(
            Observation(
                start + timedelta(seconds=n * seconds_apart - late),
                {
                    "actor": [f"a_{tail(20_000)}"],
                    "ip": [f"198.51.{(ip := tail(5_000)) // 256}.{ip % 256}"] if rng.random() < 0.9 else [],
                    "device": [f"dev-{tail(10_000)}"] if rng.random() < 0.7 else [],
                    "url": links,
                },
            )
        )
    return observations


def batches(observations: Sequence[Observation]) -> Iterator[Sequence[Observation]]:
    for start in range(0, len(observations), BATCH):
        yield observations[start : start + BATCH]


def plain_counts(observations: Sequence[Observation]) -> float:
    counts: dict[str, Counter[str]] = {entity: Counter() for entity in ("actor", "ip", "device", "url")}
    started = time.process_time()
    for batch in batches(observations):
        for observation in batch:
            for entity, values in observation.keys.items():
                table = counts[entity]
                for value in values:
                    table[value] += 1
    return time.process_time() - started


def memory_counts(observations: Sequence[Observation]) -> tuple[float, list[dict[str, int]]]:
    counter = MemoryVelocity()
    answers: list[dict[str, int]] = []
    started = time.process_time()
    for batch in batches(observations):
        answers += counter.observe(batch)
    return time.process_time() - started, answers


def store_counts(database: Database, observations: Sequence[Observation]) -> tuple[float, list[dict[str, int]]]:
    answers: list[dict[str, int]] = []
    started = time.perf_counter()
    for batch in batches(observations):
        with database.transaction() as session:
            answers += StoreVelocity(session).observe(batch)
    return time.perf_counter() - started, answers


def upserts_only(database: Database, observations: Sequence[Observation]) -> float:
    """The same buckets written by the same upsert, one transaction a batch, without reading windows."""
    store = StoreVelocity.__new__(StoreVelocity)
    started = time.perf_counter()
    for batch in batches(observations):
        added: Counter[tuple[str, str, int]] = Counter()
        for observation in batch:
            minute = minute_of(observation.at)
            for entity, values in observation.keys.items():
                for value in dict.fromkeys(v for v in values if v):
                    added[(entity, entity_key(value), minute)] += 1
        with database.transaction() as session:
            store.session = session
            store._add(sorted(added.items()))
    return time.perf_counter() - started


@contextmanager
def fresh_stores(backend: str, folder: Path) -> Iterator[tuple[Database, Database]]:
    clock = FrozenClock(START)
    if backend == "sqlite":
        pair = (Database(f"sqlite:///{folder}/ours.db"), Database(f"sqlite:///{folder}/baseline.db"))
        for database in pair:
            initialise(database, clock)
        yield pair
        for database in pair:
            database.dispose()
        return
    from tests.support.postgres import PostgresServer

    with PostgresServer(settings={"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}) as server:
        for name in ("velocity_ours", "velocity_baseline"):
            server.create_database(name)
        pair = (Database(server.url("velocity_ours")), Database(server.url("velocity_baseline")))
        for database in pair:
            initialise(database, clock)
        yield pair
        for database in pair:
            database.dispose()


def per_item(seconds: float, count: int) -> str:
    return f"{seconds / count * 1e6:8.2f} µs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", type=int, default=200_000, help="observations counted in memory")
    parser.add_argument("--store", type=int, default=20_000, help="observations counted in the store, live")
    parser.add_argument("--history", type=int, default=100_000, help="observations in the store's day before")
    parser.add_argument("--postgres", action="store_true", help="also a throwaway PostgreSQL server")
    options = parser.parse_args()

    in_memory = stream(options.memory)
    baseline = plain_counts(in_memory)
    ours, _ = memory_counts(in_memory)
    print(f"memory, {len(in_memory):,} observations in batches of {BATCH}")
    print(f"  ours      MemoryVelocity.observe   {per_item(ours, len(in_memory))} an observation")
    print(f"  baseline  a plain dict increment   {per_item(baseline, len(in_memory))} an observation")
    print(f"  ratio     {ours / baseline:.1f}x the baseline; {len(in_memory) / ours:,.0f} observations/s")

    # The store: a day of history (written untimed, by the upsert alone), then live batches of 500 items
    # a minute, as a worker takes them from its queue.
    history = stream(options.history, seconds=86_400)
    live = stream(options.store, seconds=60 * options.store / BATCH, start=START + timedelta(days=1), seed=SEED + 1)
    expected = memory_counts([*history, *live])[1][len(history) :]
    failed = False
    for backend in ("sqlite", "postgresql") if options.postgres else ("sqlite",):
        with tempfile.TemporaryDirectory() as folder, fresh_stores(backend, Path(folder)) as (mine, theirs):
            upserts_only(mine, history)
            upserts_only(theirs, history)
            ours, answers = store_counts(mine, live)
            baseline = upserts_only(theirs, live)
        batches_run = -(-len(live) // BATCH)
        print(
            f"store ({backend}), {len(live):,} observations after a day of {len(history):,}, "
            f"{batches_run} transactions of {BATCH} a minute"
        )
        for name, what, seconds in (
            ("ours", "StoreVelocity.observe", ours),
            ("baseline", "the upsert alone", baseline),
        ):
            batch_ms = seconds / batches_run * 1e3
            print(f"  {name:<9} {what:<24} {batch_ms:8.2f} ms a batch, {per_item(seconds, len(live))}")
        print(f"  ratio     {ours / baseline:.1f}x the baseline")
        same = answers == expected
        print(f"  check     the store's answers equal memory's: {'PASS' if same else 'FAIL'}")
        failed |= not same
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
