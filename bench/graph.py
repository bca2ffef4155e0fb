"""Network detection at medium scale, beside a naive all-pairs comparison of actors on a sample.

    .venv/bin/python bench/graph.py [--scale medium] [--seed 1] [--sample 5000]

1. **Input** (not timed as detection): the simulator's world (medium: about 60,000 actors and a million
   posts over 14 days) generated in memory, not written to a store (writing it through ingest takes about
   five minutes more and is `bench/simulate.py`'s business). Each post's text is placed by the project's own
   near-duplicate index (`bastion.match.neardup.ClusterIndex`, what detection does on ingest), so the text
   clusters are the ones a store would hold; clusters of one item, and clusters with more authors than can
   tie anyone (`max_carriers`), are left out, as the store's reader leaves them out. The detector's input
   (actors and the posts with a text cluster or an image) is pickled.
2. **Ours**: `detect_networks` on the whole input in a process of its own: wall and CPU seconds of the
   detection alone, and peak memory (the process's peak resident size, and what it held once the input was
   loaded). Recall and precision against the planted networks, and the benign clusters reported.
3. **Naive** on a sample (`--sample` actors: every planted member and benign-cluster member, the rest drawn
   at random): every pair of actors compared (shared values, co-timed near-duplicates), the same tie rule,
   connected components. Its time extrapolated to the whole population as (N / sample)²; ours is run on
   the same sample too, and both must report the same networks. Prints the ratio naive (extrapolated) / ours.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import networkx as nx

from bastion.investigate.images import image_clusters
from bastion.investigate.network_reader import actor_traits
from bastion.investigate.networks import (
    CONTENT_ATTRIBUTES,
    TIE_ATTRIBUTES,
    DetectionSettings,
    detect_networks,
)
from bastion.investigate.surprise import poisson_surprise
from bastion.investigate.traits import ATTRIBUTE_KIND, ActorTraits, Post
from bastion.match.neardup import ClusterIndex, signatures
from bastion.simulate import RecordKind, SimulationSpec, World
from bastion.simulate.spec import Scale

BATCH = 500


def build_input(scale: str, seed: int) -> tuple[list[ActorTraits], list[Post], dict[str, Any]]:
    world = World(SimulationSpec(seed=seed, scale=Scale(scale)))
    actors: list[ActorTraits] = []
    raw: list[tuple[str, datetime, int, str | None]] = []  # author, posted, content number, image
    texts: list[tuple[int, str, datetime]] = []
    index = ClusterIndex()

    def place() -> None:
        for (key, _, posted), value in zip(texts, signatures([t for _, t, _ in texts]), strict=True):
            index.place(key, value, posted)
        texts.clear()

    for kind, payload in world.records():
        if kind == RecordKind.ACTORS:
            actors.append(
                actor_traits(payload["id"], datetime.fromisoformat(payload["created_at"]), payload["attributes"])
            )
        elif kind == RecordKind.CONTENT:
            posted = datetime.fromisoformat(payload["created_at"])
            key = len(raw) + 1
            media = payload.get("media") or {}
            raw.append((payload["actor_id"], posted, key, media.get("pdq")))
            if payload.get("text"):
                texts.append((key, payload["text"], posted))
                if len(texts) >= BATCH:
                    place()
    place()
    sizes: dict[int, int] = {}
    authors: dict[int, set[str]] = {}
    cluster_of: dict[int, int] = {}
    for author, posted, key, _ in raw:
        if key in index:
            cluster = index.placement(key, posted).cluster
            cluster_of[key] = cluster
            sizes[cluster] = sizes.get(cluster, 0) + 1
            authors.setdefault(cluster, set()).add(author)
    # As the store's reader does: clusters of one item, and clusters with more authors than can tie anyone,
    # are left out.
    most = DetectionSettings().max_carriers
    kept = {c for c, size in sizes.items() if size >= 2 and len(authors[c]) <= most}
    crowded = sum(size for c, size in sizes.items() if size >= 2 and len(authors[c]) > most)
    del authors
    posts: list[Post] = []
    for author, posted, key, pdq in raw:
        cluster = cluster_of.get(key)
        text_cluster = str(cluster) if cluster is not None and cluster in kept else None
        if text_cluster is not None or pdq is not None:
            posts.append(Post(author, posted, text_cluster, pdq))
    return actors, posts, world.truth() | {"content_items": len(raw), "crowded_posts": crowded}


def run_ours(path: Path, min_score: float) -> dict[str, Any]:
    """In this process: load the input, detect, and report time and memory."""
    started = _resident_mb("VmRSS")
    with path.open("rb") as handle:
        actors, posts = pickle.load(handle)  # noqa: S301 (written by this benchmark a moment ago)
    loaded = _resident_mb("VmRSS")
    wall, cpu = time.perf_counter(), time.process_time()
    found = detect_networks(actors, posts, DetectionSettings(min_score=min_score))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = _resident_mb("VmHWM")
    return {
        "wall": wall,
        "cpu": cpu,
        "started_mb": started,
        "loaded_mb": loaded,
        "peak_mb": peak,
        "networks": [list(n.members) for n in found],
        "scores": [n.score for n in found],
    }


def _resident_mb(field: str) -> float:
    """This process's resident memory now (VmRSS) or at its peak (VmHWM), from /proc. (`ru_maxrss` would
    carry over the parent's peak through fork and exec.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def naive_networks(actors: list[ActorTraits], posts: list[Post], settings: DetectionSettings) -> list[set[str]]:
    """Every pair compared: the values both carry (of the tying attributes, carried by 2 to max_carriers
    actors), and for each shared near-duplicate, the occasions both posted it within the burst window and
    whether chance explains them (the rule of `co_timed_pairs`, applied to the pair's own posts)."""
    window = settings.burst_window.total_seconds()
    images = image_clusters(p.image_pdq for p in posts if p.image_pdq is not None)
    content: dict[str, dict[tuple[str, str], list[float]]] = {}
    first: dict[tuple[str, str], float] = {}
    last: dict[tuple[str, str], float] = {}
    for post in posts:
        mine = content.setdefault(post.actor_id, {})
        at = post.posted_at.timestamp()
        found = []
        if post.text_cluster is not None:
            found.append(("text_cluster", post.text_cluster))
        if post.image_pdq is not None and post.image_pdq in images:
            found.append(("image", images[post.image_pdq]))
        for value in found:
            mine.setdefault(value, []).append(at)
            first[value], last[value] = min(first.get(value, at), at), max(last.get(value, at), at)
    values = {a.actor_id: set(a.values()) | set(content.get(a.actor_id, {})) for a in actors}
    carriers: dict[tuple[str, str], int] = {}
    for held in values.values():
        for value in held:
            carriers[value] = carriers.get(value, 0) + 1
    graph = nx.Graph()
    for a, b in combinations([x.actor_id for x in actors], 2):
        kinds = set()
        for value in values[a] & values[b]:
            n = carriers[value]
            if value[0] not in TIE_ATTRIBUTES or not 2 <= n <= settings.max_carriers:
                continue
            if value[0] not in CONTENT_ATTRIBUTES:
                kinds.add(ATTRIBUTE_KIND[value[0]])
                continue
            mine, theirs = content[a][value], content[b][value]
            merged = sorted([(t, 0) for t in mine] + [(t, 1) for t in theirs])
            occasions, previous = 0, -math.inf
            for i, (at, who) in enumerate(merged):
                for later, other in merged[i + 1 :]:
                    if later - at > window:
                        break
                    if other != who and at - previous > window:
                        occasions, previous = occasions + 1, at
            span = max(window, last[value] - first[value])
            expected = len(mine) * len(theirs) * 2 * window / span
            if occasions >= settings.min_occasions and (
                poisson_surprise(expected, occasions) >= settings.min_timing_surprise
            ):
                kinds.add(ATTRIBUTE_KIND[value[0]])
        if len(kinds) >= settings.min_kinds:
            graph.add_edge(a, b)
    return [set(c) for c in nx.connected_components(graph) if len(c) >= settings.min_members]


def quality(networks: list[list[str]], truth: dict[str, Any]) -> tuple[list[tuple[str, float, float]], int, int]:
    reported = [set(n) for n in networks]
    scores = []
    matched = set()
    for planted in truth["networks"]:
        members = set(planted["members"])
        best = max(range(len(reported)), key=lambda i: len(reported[i] & members), default=None)
        if best is None:
            scores.append((planted["id"], 0.0, 0.0))
            continue
        overlap = len(reported[best] & members)
        scores.append((planted["id"], overlap / len(reported[best]), overlap / len(members)))
        matched.add(best)
    benign = {m for c in truth["benign_clusters"] for m in c["members"]}
    benign_reported = sum(1 for r in reported if r & benign)
    return scores, len(reported) - len(matched), benign_reported


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="medium", choices=[s.value for s in Scale])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=5_000)
    parser.add_argument("--ours-only", metavar="PICKLE", help=argparse.SUPPRESS)
    parser.add_argument("--min-score", type=float, default=DetectionSettings().min_score, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ours_only:
        print(json.dumps(run_ours(Path(args.ours_only), args.min_score)))
        return 0

    print(f"load average at start: {load_average()}")
    began = time.perf_counter()
    actors, posts, truth = build_input(args.scale, args.seed)
    print(
        f"input: {len(actors):,} actors, {truth['content_items']:,} content items, {len(posts):,} posts with a text "
        f"cluster or an image ({truth['crowded_posts']:,} posts of clusters with over "
        f"{DetectionSettings().max_carriers:,} authors left out); built in {time.perf_counter() - began:.0f} s "
        "(generation and near-duplicate placement)"
    )
    folder = Path(tempfile.mkdtemp(prefix="bench-graph-"))
    whole, sample_file = folder / "whole.pickle", folder / "sample.pickle"
    with whole.open("wb") as handle:
        pickle.dump((actors, posts), handle, protocol=pickle.HIGHEST_PROTOCOL)

    rng = random.Random(args.seed)
    planted = {m for n in truth["networks"] for m in n["members"]} | {
        m for c in truth["benign_clusters"] for m in c["members"]
    }
    others = [a.actor_id for a in actors if a.actor_id not in planted]
    chosen = planted | set(rng.sample(others, max(0, min(len(others), args.sample - len(planted)))))
    sample_actors = [a for a in actors if a.actor_id in chosen]
    sample_posts = [p for p in posts if p.actor_id in chosen]
    with sample_file.open("wb") as handle:
        pickle.dump((sample_actors, sample_posts), handle, protocol=pickle.HIGHEST_PROTOCOL)
    del posts

    def ours(path: Path, min_score: float) -> dict[str, Any]:
        command = [sys.executable, __file__, "--ours-only", str(path), "--min-score", str(min_score)]
        ran = subprocess.run(command, check=True, capture_output=True, text=True)
        result: dict[str, Any] = json.loads(ran.stdout.strip().splitlines()[-1])
        return result

    try:
        whole_run = ours(whole, DetectionSettings().min_score)
        # Unscored on the sample: the naive way has no score, so both compare their components.
        sample_run = ours(sample_file, 0.0)
    finally:
        shutil.rmtree(folder)
    settings = DetectionSettings()
    wall, cpu = time.perf_counter(), time.process_time()
    naive = naive_networks(sample_actors, sample_posts, settings)
    naive_wall, naive_cpu = time.perf_counter() - wall, time.process_time() - cpu
    naive_sets = sorted(sorted(n) for n in naive)
    ours_sets = sorted(sorted(n) for n in sample_run["networks"])
    scale_up = (len(actors) / len(sample_actors)) ** 2

    print()
    print("| run | actors | wall s | CPU s | peak MB | networks |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| ours, whole population | {len(actors):,} | {whole_run['wall']:.2f} | {whole_run['cpu']:.2f} | "
        f"{whole_run['peak_mb']:.0f} (imports {whole_run['started_mb']:.0f}, input loaded "
        f"{whole_run['loaded_mb']:.0f}) | {len(whole_run['networks'])} |"
    )
    print(
        f"| ours, sample | {len(sample_actors):,} | {sample_run['wall']:.2f} | {sample_run['cpu']:.2f} | "
        f"{sample_run['peak_mb']:.0f} | {len(sample_run['networks'])} |"
    )
    print(f"| naive all pairs, sample | {len(sample_actors):,} | {naive_wall:.1f} | {naive_cpu:.1f} | | {len(naive)} |")
    print(
        f"| naive, extrapolated (x{scale_up:.0f}) | {len(actors):,} | {naive_wall * scale_up:,.0f} | "
        f"{naive_cpu * scale_up:,.0f} | | |"
    )
    print()
    print(f"ratio, naive extrapolated / ours (CPU): {naive_cpu * scale_up / whole_run['cpu']:,.0f}x")
    scores, unplanted, benign = quality(whole_run["networks"], truth)
    for name, precision, recall in scores:
        print(f"{name}: precision {precision:.3f}, recall {recall:.3f}")
    print(f"networks matching no planted one: {unplanted}; reported holding benign-cluster members: {benign}")
    same = naive_sets == ours_sets
    print(f"naive and ours agree on the sample's clusters (before scoring): {same}")
    print(f"load average at end: {load_average()}")
    ok = same and benign == 0 and all(p >= 0.9 and r >= 0.9 for _, p, r in scores)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
