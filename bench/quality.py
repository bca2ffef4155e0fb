"""The quality report over millions of ratings: DuckDB against pandas, side by side in one run.

    .venv/bin/python bench/quality.py [--ratings 10000000] [--raters 300] [--seed 11]

NumPy simulates `--ratings` ratings: items rated by 1 to 5 distinct raters, each item's true label
("none" half the time, else one of seven policies in four families), raters right with a planted
accuracy (0.85-0.95; ten of them 0.60-0.70) and otherwise picking another label at random, a fifth of
the ratings with a reference (the true label: golden items), seven vendors and in-house raters, four
queues, 90 days, 3 % of the ratings appealed (overturned 70 % of the time when wrong, 10 % when right).
The ratings are written once to Parquet (not timed). Then each engine, in a process of its own, reads
them and computes the full report with `bastion.quality.engine.compute_report`: wall and CPU seconds of
the report alone, and the process's peak RSS (VmHWM) and its RSS before the report (the ratings in
memory). The engines differ in method as well as in engine (docs/quality.md, "Engines"): DuckDB
answers each rating from its item's label counts and counts rater pairs with numpy; pandas, the
baseline, keeps the first design (ratings joined with candidate answers, a self-join for the pairs).
Checks: both reports are the same (every figure, floats within 1e-9), and every planted
low-accuracy rater is flagged with none of the others. Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bastion.quality.ratings import RATINGS_SCHEMA

LABELS = [
    "none",
    "hate_speech.slur",
    "hate_speech.dehumanization",
    "harassment.threat",
    "harassment.bullying",
    "spam.scam",
    "spam.bulk",
    "violence.graphic",
]
PLANTED = 10
START = datetime(2026, 8, 1, tzinfo=UTC)
DAYS = 90


def _strings(indices: np.ndarray, names: list[str]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(names)).cast(pa.string())


def simulate(ratings: int, raters: int, seed: int) -> tuple[pa.Table, list[str]]:
    """The ratings, and the names of the planted low-accuracy raters."""
    rng = np.random.default_rng(seed)
    per_item = rng.integers(1, 6, size=ratings // 3 + 10)
    ends = np.cumsum(per_item)
    per_item = per_item[: np.searchsorted(ends, ratings) + 1]
    per_item[-1] -= int(per_item.sum()) - ratings
    items = len(per_item)
    item = np.repeat(np.arange(items, dtype=np.int64), per_item)
    slot = np.arange(ratings) - np.repeat(np.cumsum(per_item) - per_item, per_item)
    first = rng.integers(0, raters, size=items)
    step = rng.integers(1, (raters - 1) // 4 + 1, size=items)  # five raters of an item stay distinct
    rater = (np.repeat(first, per_item) + slot * np.repeat(step, per_item)) % raters
    accuracy = rng.uniform(0.85, 0.95, size=raters)
    planted = rng.choice(raters, size=PLANTED, replace=False)
    accuracy[planted] = rng.uniform(0.60, 0.70, size=PLANTED)
    truth = np.where(rng.random(items) < 0.5, 0, rng.integers(1, len(LABELS), size=items))
    true_label = np.repeat(truth, per_item)
    right = rng.random(ratings) < accuracy[rater]
    other = (true_label + rng.integers(1, len(LABELS), size=ratings)) % len(LABELS)
    label = np.where(right, true_label, other)
    golden = rng.random(ratings) < 0.2
    appealed = rng.random(ratings) < 0.03
    overturn = np.where(right, rng.random(ratings) < 0.1, rng.random(ratings) < 0.7)
    vendor_of = rng.integers(0, 8, size=raters)  # 0: in-house
    vendor = vendor_of[rater]
    seconds = rng.integers(0, DAYS * 86_400, size=ratings)
    rater_names = [f"rater-{n:03d}" for n in range(raters)]
    table = pa.table(
        {
            "item": pa.array(item),
            "rater": _strings(rater, rater_names),
            "vendor": pa.DictionaryArray.from_arrays(
                pa.array(vendor - 1, pa.int32(), mask=vendor == 0), pa.array([f"vendor-{n}" for n in range(1, 8)])
            ).cast(pa.string()),
            "queue": _strings(rng.integers(0, 4, size=ratings), ["general", "hate", "spam", "appeals-first"]),
            "label": _strings(label, LABELS),
            "decided_at": pa.array(
                (np.datetime64(START.replace(tzinfo=None), "us") + seconds.astype("timedelta64[s]")).astype(
                    "datetime64[us]"
                ),
                pa.timestamp("us", tz="UTC"),
            ),
            "source": _strings(golden.astype(np.int32), ["review", "golden"]),
            "reference": pa.DictionaryArray.from_arrays(
                pa.array(true_label, pa.int32(), mask=~golden), pa.array(LABELS)
            ).cast(pa.string()),
            "decision_pk": pa.array(np.arange(1, ratings + 1, dtype=np.int64)),
            "overturned": pa.array(overturn, pa.bool_(), mask=~appealed),
        },
        schema=RATINGS_SCHEMA,
    )
    return table, sorted(rater_names[n] for n in planted)


def _vm(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return math.nan


def run_one(engine: str, source: Path, output: Path) -> None:
    """In a process of its own: read the ratings, compute the report, write it and the figures."""
    from bastion.quality.engine import compute_report

    table = pq.read_table(source)
    before = _vm("VmRSS")
    as_of = START + timedelta(days=DAYS + 1)
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    report = compute_report(table, as_of=as_of, engine=engine)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    figures = {
        "seconds": seconds,
        "cpu_seconds": after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime,
        "rss_before_mb": before,
        "peak_rss_mb": _vm("VmHWM"),
    }
    output.write_text(json.dumps({"figures": figures, "report": report.as_json()}))


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys differ"]
        return [d for k in a for d in _differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} against {len(b)} entries"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) else [f"{path}: {a} against {b}"]
    return [] if a == b else [f"{path}: {a!r} against {b!r}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=10_000_000)
    parser.add_argument("--raters", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--run", choices=["duckdb", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_one(args.run, args.source, args.output)
        return 0

    folder = Path(tempfile.mkdtemp(prefix="bench-quality-"))
    started = time.perf_counter()
    table, planted = simulate(args.ratings, args.raters, args.seed)
    pq.write_table(table, folder / "ratings.parquet")
    print(f"{table.num_rows:,} ratings of {args.raters} raters simulated in {time.perf_counter() - started:.1f} s")
    del table
    results = {}
    for engine in ("duckdb", "pandas"):
        output = folder / f"{engine}.json"
        command = [sys.executable, __file__, "--run", engine, "--source", str(folder / "ratings.parquet")]
        subprocess.run([*command, "--output", str(output)], check=True)
        results[engine] = json.loads(output.read_text())

    print(f"\n{'engine':<8} {'seconds':>8} {'CPU s':>7} {'ratings/s':>12} {'RSS before MB':>14} {'peak RSS MB':>12}")
    for engine, result in results.items():
        f = result["figures"]
        rate = args.ratings / f["seconds"]
        print(
            f"{engine:<8} {f['seconds']:>8.2f} {f['cpu_seconds']:>7.2f} {rate:>12,.0f} "
            f"{f['rss_before_mb']:>14,.0f} {f['peak_rss_mb']:>12,.0f}"
        )
    duck, panda = results["duckdb"]["figures"], results["pandas"]["figures"]
    print(f"\npandas / DuckDB wall time: {panda['seconds'] / duck['seconds']:.1f}x")
    print(f"pandas / DuckDB CPU time:  {panda['cpu_seconds'] / duck['cpu_seconds']:.1f}x")
    print(f"pandas / DuckDB peak RSS:  {panda['peak_rss_mb'] / duck['peak_rss_mb']:.2f}x")
    print("(methods differ too: DuckDB from per-item label counts, pandas the join-based baseline)")

    failures = _differences(results["duckdb"]["report"], results["pandas"]["report"])
    report = results["duckdb"]["report"]
    flagged = sorted(r["reviewer_id"] for r in report["reviewers"] if r["flagged"])
    agreement = report["agreement"]
    print(
        f"\nagreement over {agreement['items']:,} items ({agreement['ratings']:,} ratings): "
        f"alpha {agreement['krippendorff_alpha']:.4f}, Fleiss {agreement['fleiss_kappa']:.4f}, "
        f"percent {agreement['percent_agreement']:.4f}"
    )
    print(
        f"flagged: {len(flagged)} raters; planted: {len(planted)}; planted flagged: {len(set(planted) & set(flagged))}"
    )
    if flagged != planted:
        failures.append(f"flagged {flagged}, planted {planted}")
    print("same report on both engines:", "PASS" if not failures else "FAIL")
    for failure in failures[:20]:
        print("  ", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
