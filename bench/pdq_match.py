"""PDQ matching: Bastion's hash index, a NumPy brute force and HMA's index, side by side in one run.

For each bank size (100k, 1M and 10M hashes by default): random 256-bit hashes, and 10,000 queries,
half of them planted near a banked hash (at distances 0-31, cycling) and half random. Every query asks
for all hashes within distance 31. Three ways, each in a subprocess of its own (its build time and peak
memory are its own), pinned to one CPU with BLAS/OpenMP threads at 1:
  "ours":  `bastion.match.index.HashIndex`: the queries in one batch (as detection and retroactive
           matching call it) and one at a time (as the lookup API does);
  "brute": a NumPy scan of every hash (np.bitwise_count over four 64-bit words, 65,536 hashes a step),
           one query at a time;
  "hma":   threatexchange's `PDQIndex`, built from (hash, entry) pairs and asked one query at a time
           with `query(hash)`, as Hasher-Matcher-Actioner does (faiss IndexBinaryMultiHash, 16 chunks
           of 16 bits). Needs the `bench` extra (`pip install -e '.[bench]'`); skipped otherwise.
Recall is measured against the brute force on the queries it ran (all of them at 100k; at larger sizes
the first `--brute-queries` planted and random queries), and against the planted truth on every query
(each planted query must find its hash at its distance). Queries per second are per CPU second of the
worker (time.process_time), which a busy machine moves much less than wall time.

    .venv/bin/python bench/pdq_match.py                            # 100k, 1M and 10M (~15 min)
    .venv/bin/python bench/pdq_match.py --sizes 100000,1000000     # a quicker look
    .venv/bin/python bench/pdq_match.py --sizes 1000000 --ways ours --chunks 16
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

RADIUS = 31
SEED = 20261203
WAYS = ("ours", "brute", "hma")
PEER_TARGET = 3.0  # ours must answer at least 3x the peer's queries per second at 1M and 10M
MEMORY_TARGET_MB = 2048  # 10M hashes in under 2 GB


def _data(size: int, queries: int) -> tuple[Any, Any, Any]:
    """The bank, the queries and each planted query's (bank row, distance); the same for every way."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    bank = rng.integers(0, 256, size=(size, 32), dtype=np.uint8)
    asked = rng.integers(0, 256, size=(queries, 32), dtype=np.uint8)
    planted = queries // 2
    rows = rng.choice(size, planted, replace=False)
    distances = np.arange(planted) % (RADIUS + 1)
    for q in range(planted):
        bits = np.unpackbits(bank[rows[q]])
        bits[rng.choice(256, distances[q], replace=False)] ^= 1
        asked[q] = np.packbits(bits)
    return bank, asked, np.stack([rows, distances], axis=1)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(way: str, size: int, queries: int, brute_queries: int, single: int, chunks: int | None, out: Path) -> None:
    import numpy as np

    bank, asked, truth = _data(size, queries)
    np.save(out.with_suffix(".truth.npy"), truth)
    data_mb = _rss_mb()
    keys = np.arange(size, dtype=np.int64)
    report: dict[str, Any] = {"way": way, "size": size, "data_mb": round(data_mb)}
    found: list[tuple[int, int, int]] = []
    if way == "ours":
        from bastion.match.index import HashIndex

        started, cpu = time.perf_counter(), time.process_time()
        index = HashIndex(chunks=chunks)
        index.add(keys, bank)
        report["build_s"] = time.perf_counter() - started
        report["build_cpu_s"] = time.process_time() - cpu
        report["layout"] = [list(layout.widths) for layout in index.layouts]
        del bank
        cpu = time.process_time()
        results = index.search(asked, RADIUS)
        report["batch_qps"] = queries / (time.process_time() - cpu)
        cpu = time.process_time()
        for q in range(single):
            index.search(asked[q : q + 1], RADIUS)
        report["single_qps"] = single / (time.process_time() - cpu)
        found = [(q, key, d) for q, pairs in enumerate(results) for key, d in pairs]
        report["asked"] = queries
    elif way == "brute":
        words = bank.view(np.uint64).reshape(-1, 4)
        report["build_s"] = report["build_cpu_s"] = 0.0
        half = queries // 2
        subset = list(range(min(brute_queries // 2, half))) + list(range(half, half + min(brute_queries // 2, half)))
        block = 1 << 16  # rows per step: the temporaries stay in cache instead of faulting in 400 MB a query
        cpu = time.process_time()
        for q in subset:
            query = asked[q].view(np.uint64)
            for first in range(0, size, block):
                distance = np.bitwise_count(words[first : first + block] ^ query).sum(axis=1, dtype=np.int64)
                near = np.flatnonzero(distance <= RADIUS)
                found.extend((q, first + int(k), int(distance[k])) for k in near)
        report["single_qps"] = len(subset) / (time.process_time() - cpu)
        report["asked"] = len(subset)
        report["subset"] = subset
    else:
        from threatexchange.signal_type.pdq.pdq_index import PDQIndex

        hexes = [row.tobytes().hex() for row in bank]
        del bank
        started, cpu = time.perf_counter(), time.process_time()
        index = PDQIndex(entries=zip(hexes, range(size), strict=True))
        report["build_s"] = time.perf_counter() - started
        report["build_cpu_s"] = time.process_time() - cpu
        del hexes
        queries_hex = [row.tobytes().hex() for row in asked]
        cpu = time.process_time()
        for q, query in enumerate(queries_hex):
            found.extend((q, int(m.metadata), int(m.similarity_info.distance)) for m in index.query(query))
        report["single_qps"] = queries / (time.process_time() - cpu)
        report["asked"] = queries
    report["peak_mb"] = round(_rss_mb())
    np.save(out.with_suffix(".npy"), np.asarray(found, dtype=np.int64).reshape(-1, 3))
    out.write_text(json.dumps(report), encoding="utf-8")


def run_way(way: str, size: int, args: argparse.Namespace, folder: Path) -> dict[str, Any] | None:
    out = folder / f"{way}-{size}.json"
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    command = [sys.executable, __file__, "--worker", way, "--sizes", str(size), "--queries", str(args.queries)]
    command += ["--brute-queries", str(args.brute_queries), "--single", str(args.single), "--out", str(out)]
    if args.chunks:
        command += ["--chunks", str(args.chunks)]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    done = subprocess.run(command, env=env, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"  {way}: failed ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}")
        return None
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    report["found"] = out.with_suffix(".npy")
    report["truth"] = out.with_suffix(".truth.npy")
    return report


def recall(report: dict[str, Any], brute: dict[str, Any] | None, queries: int) -> tuple[str, str, bool]:
    """(found of what the brute force found, planted hashes found, nothing found that is not within radius)."""
    import numpy as np

    truth = np.load(report["truth"])
    found = np.load(report["found"])
    pairs = {(int(q), int(k)): int(d) for q, k, d in found}
    wrong = sum(1 for d in pairs.values() if d > RADIUS)
    against_brute = "-"
    if brute is not None and report["way"] != "brute":
        expected = {(int(q), int(k)): int(d) for q, k, d in np.load(brute["found"])}
        subset = set(brute["subset"])
        hits = sum(1 for pair, d in expected.items() if pairs.get(pair) == d)
        against_brute = f"{hits:,}/{len(expected):,}"
        wrong += len({pair for pair in pairs if pair[0] in subset} - expected.keys()) + len(expected) - hits
    asked = report.get("subset", range(queries))
    planted = [q for q in asked if q < queries // 2]
    hit = sum(1 for q in planted if pairs.get((q, int(truth[q][0]))) == int(truth[q][1]))
    return against_brute, f"{hit:,}/{len(planted):,}", wrong == 0 and hit == len(planted)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000,10000000", help="bank sizes, comma-separated")
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--brute-queries", type=int, default=1000, help="queries the brute force runs at 1M and up")
    parser.add_argument("--single", type=int, default=2000, help="queries ours also answers one at a time")
    parser.add_argument("--ways", default=",".join(WAYS))
    parser.add_argument("--chunks", type=int, default=0, help="force ours to this many chunks (0: its own choice)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.worker:
        brute_queries = args.queries if sizes[0] <= 100_000 else args.brute_queries
        worker(args.worker, sizes[0], args.queries, brute_queries, args.single, args.chunks or None, Path(args.out))
        return 0
    ways = [w for w in args.ways.split(",") if w]
    if "hma" in ways:
        try:
            import threatexchange  # noqa: F401
        except ImportError:
            print("hma: skipped: threatexchange is not installed (pip install -e '.[bench]')")
            ways.remove("hma")
    failed = False
    print(f"PDQ matching, radius {RADIUS}, {args.queries:,} queries (half planted at distances 0-{RADIUS})")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, pinned to one: {bool(shutil.which('taskset'))}")
    with tempfile.TemporaryDirectory(prefix="bastion-pdq-bench-") as tmp:
        folder = Path(tmp)
        for size in sizes:
            reports = {way: run_way(way, size, args, folder) for way in ways}
            brute = reports.get("brute")
            print(f"\n{size:,} hashes", flush=True)
            print(
                f"  {'way':<6} {'build s':>8} {'build CPU s':>11} {'peak MB':>8} {'data MB':>8} "
                f"{'batch q/s':>10} {'single q/s':>10}  recall vs brute   planted found"
            )
            for way, report in reports.items():
                if report is None:
                    failed = True
                    continue
                against_brute, against_truth, exact = recall(report, brute, args.queries)
                failed |= not exact
                batch = f"{report['batch_qps']:,.0f}" if "batch_qps" in report else "-"
                print(
                    f"  {way:<6} {report['build_s']:>8.1f} {report['build_cpu_s']:>11.1f} {report['peak_mb']:>8,} "
                    f"{report['data_mb']:>8,} {batch:>10} {report['single_qps']:>10,.0f}  "
                    f"{against_brute:>15}   {against_truth}{'' if exact else '  WRONG'}"
                )
            ours, hma = reports.get("ours"), reports.get("hma")
            if ours:
                print(f"  ours layout: {ours['layout']}")
                if size >= 10_000_000:
                    fits = ours["peak_mb"] < MEMORY_TARGET_MB
                    failed |= not fits
                    print(f"  ours peak {ours['peak_mb']:,} MB < {MEMORY_TARGET_MB:,} MB: {'PASS' if fits else 'FAIL'}")
            if ours and brute:
                scan = brute["single_qps"]
                print(f"  ours/brute: batch {ours['batch_qps'] / scan:.1f}x, single {ours['single_qps'] / scan:.1f}x")
            if ours and hma:
                batch, single = ours["batch_qps"] / hma["single_qps"], ours["single_qps"] / hma["single_qps"]
                verdict = ""
                if size >= 1_000_000:
                    verdict = f"  (target {PEER_TARGET:.0f}x: {'PASS' if batch >= PEER_TARGET else 'FAIL'})"
                    failed |= batch < PEER_TARGET
                print(f"  ours/hma: batch {batch:.1f}x, single {single:.1f}x{verdict}")
                build, peak = ours["build_s"] / hma["build_s"], ours["peak_mb"] / hma["peak_mb"]
                print(f"  build time ours/hma {build:.2f}, peak memory ours/hma {peak:.2f}")
    print("\nresult:", "FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
