"""Near-duplicate clusters: which shingles and threshold separate the planted networks, what a placement
costs beside plain datasketch, and what the signal costs the detection pipeline on a real store.

    .venv/bin/python bench/neardup.py [--seed 1] [--scale-items 100000] [--skip-store]

Everything runs on the simulator's default world (seed 1, small, 14 days: 10,233 posts in time order,
three planted networks), in one run:

1. **Choices.** Word 1- and 2-grams and character 4- and 5-grams of the folded text, at LSH thresholds
   0.4-0.8, 64 permutations: purity and recall against the planted networks (`bastion.match.neardup_truth`),
   the clusters each network fell into, the share of all items in a cluster of two or more, and the CPU
   time of placing each item.
2. **Ours against plain datasketch**, same texts, same choices (word 1-grams, 0.5): ours computes a batch's
   signatures in one NumPy pass and indexes only each cluster's first eight members; the baseline makes
   one `MinHash` per text (`update_batch`) and indexes every item in a `MinHashLSH`, ranking all candidates.
   CPU time per item for each, the ratio, and both ways' purity and recall (they must agree).
3. **Scale.** `--scale-items` items (the world's texts again and again, each copy with two words of its
   own) placed through ours: CPU time per item at the end and the memory the index holds per item.
4. **In the pipeline** (unless `--skip-store`): the world written into two SQLite stores, then detection
   run over every item with the default signal providers (ours: near-duplicates on) and with none
   (baseline), in batches of 500, CPU time per item for each and the difference.
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from datasketch import MinHash, MinHashLSH  # type: ignore[import-untyped]

from bastion.detect.normalise import fold
from bastion.match import neardup
from bastion.match.neardup import ClusterIndex, signatures
from bastion.match.neardup_truth import TruthCheck, check_clusters
from bastion.simulate import RecordKind, SimulationSpec, World

_WORD = re.compile(r"\w+")
Item = tuple[int, str, datetime, str | None]  # key, text, posted, network


def world_items(seed: int) -> tuple[list[Item], World]:
    world = World(SimulationSpec(seed=seed))
    items: list[Item] = []
    for kind, payload, truth in world.labelled_records():
        if kind == RecordKind.CONTENT:
            assert truth is not None
            network = truth.source.split(":", 1)[1] if truth.source.startswith("network:") else None
            items.append(
                (len(items) + 1, payload.get("text", ""), datetime.fromisoformat(payload["created_at"]), network)
            )
    return items, world


def truth_of(items: list[Item]) -> tuple[dict[int, str], Counter[str]]:
    network_of = {key: network for key, _, _, network in items if network}
    return network_of, Counter(network_of.values())


def word_grams(n: int) -> Callable[[str], list[bytes]]:
    def shingle(text: str) -> list[bytes]:
        words = _WORD.findall(fold(text))
        if len(set(words)) < neardup.MIN_SHINGLES:
            return []
        return [" ".join(words[i : i + n]).encode() for i in range(len(words) - n + 1)]

    return shingle


def char_grams(n: int) -> Callable[[str], list[bytes]]:
    def shingle(text: str) -> list[bytes]:
        words = _WORD.findall(fold(text))
        if len(set(words)) < neardup.MIN_SHINGLES:
            return []
        joined = " ".join(words)
        return list({joined[i : i + n].encode() for i in range(len(joined) - n + 1)})

    return shingle


def minhash_of(shingled: list[bytes]) -> np.ndarray | None:
    if not shingled:
        return None
    minhash = MinHash(num_perm=neardup.PERMUTATIONS, seed=neardup.SEED, scheme=neardup.SCHEME)
    minhash.update_batch(set(shingled))
    return np.asarray(minhash.hashvalues, dtype=np.uint32)


def place_all(index: ClusterIndex, items: list[Item], values: list[np.ndarray | None]) -> float:
    start = time.process_time()
    for (key, _, posted, _), value in zip(items, values, strict=True):
        index.place(key, value, posted)
    return time.process_time() - start


def scored(groups: dict[int, list[int]], items: list[Item]) -> TruthCheck:
    network_of, posts = truth_of(items)
    return check_clusters(groups.values(), network_of, posts)


def choices(items: list[Item]) -> None:
    print("\n1. Shingles and threshold (64 permutations, eight exemplars a cluster)\n")
    print("| shingles | threshold | purity | recall | clusters per network | items in clusters | µs to place |")
    print("|---|---:|---:|---:|---|---:|---:|")
    for name, shingle in (
        ("words", word_grams(1)),
        ("word pairs", word_grams(2)),
        ("characters, 4", char_grams(4)),
        ("characters, 5", char_grams(5)),
    ):
        values = [minhash_of(shingle(text)) for _, text, _, _ in items]
        for threshold in (0.4, 0.5, 0.6, 0.7, 0.8):
            index = ClusterIndex(threshold=threshold)
            seconds = place_all(index, items, values)
            groups = index.members_by_cluster()
            check = scored(groups, items)
            spread = ", ".join(str(n.clusters) for n in check.networks)
            clustered = sum(len(g) for g in groups.values()) / len(items)
            print(
                f"| {name} | {threshold} | {check.purity:.3f} | {check.recall:.3f} | {spread} | {clustered:.0%} "
                f"| {seconds / len(items) * 1e6:.0f} |"
            )


class PlainDatasketch:
    """The baseline: one MinHash per text, every item in the LSH, every candidate ranked."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.lsh = MinHashLSH(threshold=threshold, num_perm=neardup.PERMUTATIONS)
        self.minhashes: dict[int, MinHash] = {}
        self.cluster_of: dict[int, int] = {}

    def place(self, key: int, text: str) -> int:
        shingled = neardup.shingles(text)
        cluster = key
        if shingled:
            minhash = MinHash(num_perm=neardup.PERMUTATIONS, seed=neardup.SEED, scheme=neardup.SCHEME)
            minhash.update_batch(shingled)
            best, score = None, 0.0
            for candidate in self.lsh.query(minhash):
                similarity = minhash.jaccard(self.minhashes[candidate])
                if similarity > score:
                    best, score = candidate, similarity
            if best is not None and score >= self.threshold:
                cluster = self.cluster_of[best]
            self.lsh.insert(key, minhash, check_duplication=False)
            self.minhashes[key] = minhash
        self.cluster_of[key] = cluster
        return cluster

    def groups(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for key, cluster in self.cluster_of.items():
            found.setdefault(cluster, []).append(key)
        return {cluster: keys for cluster, keys in found.items() if len(keys) > 1}


def side_by_side(items: list[Item]) -> None:
    print("\n2. Ours against plain datasketch (words, threshold 0.5), CPU time per item\n")
    texts = [text for _, text, _, _ in items]
    start = time.process_time()
    index = ClusterIndex()
    for begin in range(0, len(items), 500):
        batch = items[begin : begin + 500]
        for (key, _, posted, _), value in zip(batch, signatures(texts[begin : begin + 500]), strict=True):
            index.place(key, value, posted)
    ours = time.process_time() - start
    start = time.process_time()
    plain = PlainDatasketch(neardup.THRESHOLD)
    for key, text, _, _ in items:
        plain.place(key, text)
    baseline = time.process_time() - start
    mine, theirs = scored(index.members_by_cluster(), items), scored(plain.groups(), items)
    print("| way | µs an item | items/s | purity | recall |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds, check in (("ours", ours, mine), ("plain datasketch", baseline, theirs)):
        print(
            f"| {name} | {seconds / len(items) * 1e6:.1f} | {len(items) / seconds:,.0f} | {check.purity:.3f} "
            f"| {check.recall:.3f} |"
        )
    print(f"\nours / baseline, items per CPU second: {baseline / ours:.2f}")


def resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


def at_scale(items: list[Item], total: int) -> None:
    print(f"\n3. Scale: {total:,} items through ours\n")
    rng = random.Random(7)
    batches: list[tuple[list[Item], list[str]]] = []
    for begin in range(0, total, 500):
        batch = [items[(begin + i) % len(items)] for i in range(min(500, total - begin))]
        texts = [f"{text} w{rng.randrange(10**6)} v{rng.randrange(10**6)}" if text else "" for _, text, _, _ in batch]
        batches.append((batch, texts))
    gc.collect()
    before = resident_bytes()
    index = ClusterIndex()
    start = time.process_time()
    key = 0
    last = 0.0
    for number, (batch, texts) in enumerate(batches):
        batch_start = time.process_time()
        for item, value in zip(batch, signatures(texts), strict=True):
            key += 1
            index.place(key, value, item[2])
        if number >= len(batches) - 20:
            last += time.process_time() - batch_start
    seconds = time.process_time() - start
    gc.collect()
    grown = resident_bytes() - before
    last_items = sum(len(b) for b, _ in batches[-20:])
    print("| items | µs an item, all | µs an item, last 10,000 | memory the index added | bytes an item | in the LSH |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {total:,} | {seconds / total * 1e6:.1f} | {last / last_items * 1e6:.1f} | {grown / 2**20:,.0f} MiB "
        f"| {grown / total:,.0f} | {index.indexed_members():,} |"
    )


def in_pipeline(world: World) -> None:
    from functools import partial

    from sqlalchemy import func, select

    from bastion.clock import FrozenClock
    from bastion.detect.labels import labels_of
    from bastion.detect.pipeline import detect_batch
    from bastion.detect.service import build_detector
    from bastion.detect.velocity import StoreVelocity
    from bastion.setup import initialise
    from bastion.simulate.writer import write_platform
    from bastion.store.database import Database
    from bastion.store.schema import DetectionQueueItem, NearDuplicateMember

    print("\n4. In the detection pipeline on SQLite (no rules; every signal computed and stored), CPU time\n")
    results: dict[str, tuple[float, float, int, int]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, providers in (("ours: near-duplicates on", None), ("baseline: no signal providers", [])):
            database = Database(f"sqlite:///{folder}/{len(results)}.db")
            clock = FrozenClock(world.spec.start)
            initialise(database, clock)
            write_platform(database, World(world.spec).records(), clock=clock)
            with database.transaction() as session:
                queued = list(
                    session.scalars(select(DetectionQueueItem.content_pk).order_by(DetectionQueueItem.content_pk))
                )
                detector = build_detector(session, providers=providers)
            cpu, wall = time.process_time(), time.perf_counter()
            for begin in range(0, len(queued), 500):
                with database.transaction() as session:
                    detect_batch(
                        session,
                        queued[begin : begin + 500],
                        detector,
                        velocity=StoreVelocity(session),
                        labels=partial(labels_of, session),
                        now=clock(),
                    )
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            with database.transaction() as session:
                members = int(session.scalar(select(func.count()).select_from(NearDuplicateMember)) or 0)
            results[name] = (cpu, wall, members, len(queued))
            database.dispose()
    print("| way | items | CPU µs an item | wall s | memberships stored |")
    print("|---|---:|---:|---:|---:|")
    for name, (cpu, wall, members, items) in results.items():
        print(f"| {name} | {items:,} | {cpu / items * 1e6:.0f} | {wall:.1f} | {members:,} |")
    (ours, _, _, items), (baseline, _, _, _) = results.values()
    print(f"\nnear-duplicates add {(ours - baseline) / items * 1e6:.0f} µs of CPU an item in the pipeline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale-items", type=int, default=100_000)
    parser.add_argument("--skip-store", action="store_true")
    args = parser.parse_args()
    items, world = world_items(args.seed)
    network_of, posts = truth_of(items)
    print(f"default world, seed {args.seed}: {len(items):,} items, {len(network_of)} posts of {len(posts)} networks")
    choices(items)
    side_by_side(items)
    at_scale(items, args.scale_items)
    if not args.skip_store:
        in_pipeline(world)


if __name__ == "__main__":
    main()
