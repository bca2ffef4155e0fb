"""The enforcement-report set over 10M simulated events: the metrics layer on DuckDB against pandas,
side by side in one run.

    .venv/bin/python bench/metrics.py [--events 10000000] [--seed 12]

NumPy simulates a platform of `--events` rows in all: content items (a tenth), user reports (a
twentieth), enforcement actions on a twentieth of the items (two thirds by a human decision, with its
job and reviewer, the rest automated by a rule), appeals of 15 % of the actions (a third overturned and
restored), a few restores without appeal, and sampled views with weights (the rest, about 83 %), over
28 days and ten policies. They are written once (not timed) as a `bastion export parquet` folder. Then
each engine, in a process of its own, computes the enforcement-report set (content actioned, proactive
rate, appealed, restored with and without appeal, prevalence with its upper limit) by policy and day:

- duckdb: `bastion.insight.metrics.compute` on `open_parquet(folder)`: the Ibis definitions, reading
  the Parquet files as part of the query;
- pandas: the same definitions written in pandas, over the same tables read into memory first (the
  read is reported apart: it is not part of the compute time).

Prints wall and CPU seconds of the compute alone and the process's peak RSS (VmHWM), and the ratios.
Checks that both give the same table (counts equal, rates within 1e-9). Exits 1 when they differ.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bastion.insight.metrics.definitions import NONE, Z95
from bastion.insight.metrics.tables import SCHEMAS

POLICIES = [
    "hate_speech",
    "hate_speech.dehumanization",
    "harassment_and_bullying",
    "spam",
    "scams_and_fraud",
    "adult_nudity_and_sexual_activity",
    "regulated_goods.drugs",
    "harmful_misinformation",
    "suicide_and_self_harm",
    "violent_extremism",
]
COUNTRIES = ["US", "BR", "IN", "DE", "MX", "ID", "NG", "FR"]
LANGUAGES = ["en", "pt", "hi", "de", "es", "id"]
SURFACES = ["feed", "comments", "messages"]
START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 28
MICROS_PER_HOUR = 3_600_000_000
ENFORCEMENT_REPORT = [
    "content_actioned",
    "proactive_rate",
    "appealed",
    "restored_with_appeal",
    "restored_without_appeal",
    "prevalence",
    "prevalence_upper",
]


def _moments(micros: np.ndarray) -> pa.Array:
    start = int(START.timestamp() * 1_000_000)
    return pa.array(micros.astype(np.int64) + start, pa.timestamp("us", tz="UTC"))


def _choice(rng: np.random.Generator, names: list[str], n: int) -> pa.Array:
    codes = rng.integers(0, len(names), n).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(names)).cast(pa.string())


def _write(folder: Path, name: str, columns: dict[str, pa.Array], rows: int) -> None:
    """A table in its canonical columns (those not simulated are null), one file in its folder."""
    arrays, fields = [], []
    for column, kind in SCHEMAS[name].items():
        arrow = pa.timestamp("us", tz="UTC") if kind.is_timestamp() else kind.to_pyarrow()
        arrays.append(columns[column] if column in columns else pa.nulls(rows, arrow))
        fields.append(pa.field(column, arrow))
    (folder / name).mkdir(parents=True)
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields)), folder / name / "part-0.parquet")


def simulate(events: int, seed: int, folder: Path) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    span = DAYS * 24 * MICROS_PER_HOUR
    n_content = events // 10
    n_reports = events // 20
    n_actions = n_content // 20
    n_decided = n_actions * 2 // 3
    n_appeals = n_actions * 15 // 100
    n_overturned = n_appeals // 3
    n_quiet_restores = max(1, n_actions // 200)
    reviewers = 200
    others = n_content + n_reports + n_actions + n_overturned + n_quiet_restores + n_appeals + 2 * n_decided
    n_views = events - others - reviewers  # the rest: most events are views
    posted = rng.integers(0, span, n_content)
    content_pk = np.arange(1, n_content + 1)
    _write(
        folder,
        "content_items",
        {
            "pk": pa.array(content_pk),
            "actor_pk": pa.array(rng.integers(1, n_content // 5 + 2, n_content)),
            "type": pa.array(["post"] * n_content),
            "language": _choice(rng, LANGUAGES, n_content),
            "country": _choice(rng, COUNTRIES, n_content),
            "surface": _choice(rng, SURFACES, n_content),
            "created_at": _moments(posted),
        },
        n_content,
    )
    # Views: popular items get most of them (a Zipf-like draw), within two days of the post.
    viewed = np.minimum(rng.zipf(1.3, n_views), n_content) - 1
    viewed = rng.permutation(n_content)[viewed]
    view_at = np.minimum(posted[viewed] + rng.exponential(12 * MICROS_PER_HOUR, n_views).astype(np.int64), span - 1)
    _write(
        folder,
        "views",
        {
            "pk": pa.array(np.arange(1, n_views + 1)),
            "content_pk": pa.array(content_pk[viewed]),
            "viewed_at": _moments(view_at),
            "weight": pa.array(rng.integers(1, 6, n_views)),
        },
        n_views,
    )
    actioned = rng.choice(n_content, n_actions, replace=False)
    # Reports: a third on items later actioned (some before the action, some after), the rest anywhere.
    on_actioned = n_reports // 3
    reported = np.concatenate([rng.choice(actioned, on_actioned), rng.integers(0, n_content, n_reports - on_actioned)])
    report_at = np.minimum(
        posted[reported] + rng.exponential(8 * MICROS_PER_HOUR, n_reports).astype(np.int64), span - 1
    )
    _write(
        folder,
        "reports",
        {
            "pk": pa.array(np.arange(1, n_reports + 1)),
            "content_pk": pa.array(content_pk[reported]),
            "reason": _choice(rng, POLICIES, n_reports),
            "policy_id": _choice(rng, POLICIES, n_reports),
            "created_at": _moments(report_at),
        },
        n_reports,
    )
    action_at = np.minimum(
        posted[actioned] + rng.exponential(10 * MICROS_PER_HOUR, n_actions).astype(np.int64), span - 1
    )
    decided = np.arange(n_actions) < n_decided
    decision_pk = np.where(decided, np.arange(1, n_actions + 1), 0)
    overturned = rng.choice(n_actions, n_appeals, replace=False)
    restored = overturned[:n_overturned]
    quiet = rng.choice(np.setdiff1d(np.arange(n_actions), overturned), n_quiet_restores, replace=False)
    restore_at = np.minimum(action_at[np.concatenate([restored, quiet])] + 48 * MICROS_PER_HOUR, span - 1)
    reversed_at = np.zeros(n_actions, dtype=np.int64)
    reversed_mask = np.zeros(n_actions, dtype=bool)
    reversed_at[np.concatenate([restored, quiet])] = restore_at
    reversed_mask[np.concatenate([restored, quiet])] = True
    n_restores = len(restore_at)
    subjects = np.concatenate([actioned, actioned[restored], actioned[quiet]])
    reasons = np.array(["decision", "automated", "appeal_overturned", "restored_without_appeal"])
    reason_codes = np.concatenate(
        [np.where(decided, 0, 1), np.full(n_overturned, 2), np.full(n_quiet_restores, 3)]
    ).astype(np.int32)
    policy_codes = rng.integers(0, len(POLICIES), n_actions).astype(np.int32)
    all_actions = n_actions + n_restores
    _write(
        folder,
        "enforcement_actions",
        {
            "pk": pa.array(np.arange(1, all_actions + 1)),
            "subject_type": pa.array(["content"] * all_actions),
            "subject_pk": pa.array(content_pk[subjects]),
            "action": pa.array(["remove"] * n_actions + ["restore"] * n_restores),
            "policy_id": pa.DictionaryArray.from_arrays(
                pa.array(
                    np.concatenate([policy_codes, np.zeros(n_restores, np.int32)]),
                    mask=np.arange(all_actions) >= n_actions,
                ),
                pa.array(POLICIES),
            ).cast(pa.string()),
            "decision_pk": pa.array(
                np.concatenate([decision_pk, np.zeros(n_restores, np.int64)]),
                mask=np.concatenate([~decided, np.ones(n_restores, bool)]),
            ),
            "reverses_pk": pa.array(
                np.concatenate([np.zeros(n_actions, np.int64), np.concatenate([restored, quiet]) + 1]),
                mask=np.arange(all_actions) < n_actions,
            ),
            "reason": pa.DictionaryArray.from_arrays(pa.array(reason_codes), pa.array(reasons)).cast(pa.string()),
            "created_at": _moments(np.concatenate([action_at, restore_at])),
            "reversed_at": pa.array(
                np.concatenate([reversed_at, np.zeros(n_restores, np.int64)]) + int(START.timestamp() * 1_000_000),
                pa.timestamp("us", tz="UTC"),
                mask=~np.concatenate([reversed_mask, np.zeros(n_restores, bool)]),
            ),
        },
        all_actions,
    )
    _write(
        folder,
        "appeals",
        {
            "pk": pa.array(np.arange(1, n_appeals + 1)),
            "action_pk": pa.array(overturned + 1),
            "filed_at": _moments(np.minimum(action_at[overturned] + 6 * MICROS_PER_HOUR, span - 1)),
            "status": pa.array(["overturned"] * n_overturned + ["upheld"] * (n_appeals - n_overturned)),
        },
        n_appeals,
    )
    _write(
        folder,
        "jobs",
        {
            "pk": pa.array(np.arange(1, n_decided + 1)),
            "queue": _choice(rng, ["general", "hate-harassment", "scams-spam", "escalations"], n_decided),
            "kind": pa.array(["review"] * n_decided),
            "subject_type": pa.array(["content"] * n_decided),
            "subject_pk": pa.array(content_pk[actioned[:n_decided]]),
            "status": pa.array(["decided"] * n_decided),
            "created_at": _moments(action_at[:n_decided] - MICROS_PER_HOUR),
            "sla_due_at": _moments(action_at[:n_decided] + 23 * MICROS_PER_HOUR),
            "decided_at": _moments(action_at[:n_decided]),
        },
        n_decided,
    )
    _write(
        folder,
        "decisions",
        {
            "pk": pa.array(np.arange(1, n_decided + 1)),
            "job_pk": pa.array(np.arange(1, n_decided + 1)),
            "reviewer_pk": pa.array(rng.integers(1, reviewers + 1, n_decided)),
            "policy_id": pa.DictionaryArray.from_arrays(pa.array(policy_codes[:n_decided]), pa.array(POLICIES)).cast(
                pa.string()
            ),
            "action": pa.array(["remove"] * n_decided),
            "seconds_spent": pa.array(rng.gamma(2.0, 30.0, n_decided)),
            "decided_at": _moments(action_at[:n_decided]),
            "final": pa.array(np.ones(n_decided, bool)),
        },
        n_decided,
    )
    _write(
        folder,
        "users",
        {"pk": pa.array(np.arange(1, reviewers + 1)), "vendor": _choice(rng, ["acme", "globex", "initech"], reviewers)},
        reviewers,
    )
    (folder / "bastion-export.json").write_text(json.dumps({"format": "parquet", "synthetic": True}) + "\n")
    return {
        "content_items": n_content,
        "views": n_views,
        "reports": n_reports,
        "enforcement_actions": all_actions,
        "appeals": n_appeals,
        "jobs": n_decided,
        "decisions": n_decided,
        "users": reviewers,
    }


# --- the same definitions in pandas ------------------------------------------------------------------


def pandas_enforcement_report(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The enforcement-report set by policy and day, as docs/insight.md defines it, in pandas."""
    a, c = t["enforcement_actions"], t["content_items"]
    taken = a[(a.subject_type == "content") & a.reason.isin(["decision", "automated"]) & a.cancelled_at.isna()]
    taken = taken.merge(c[["pk"]].rename(columns={"pk": "subject_pk"}), on="subject_pk")
    first = t["reports"].dropna(subset=["content_pk"]).groupby("content_pk").created_at.min()
    taken = taken.assign(first_reported_at=taken.subject_pk.map(first))
    taken["proactive"] = taken.first_reported_at.isna() | (taken.first_reported_at > taken.created_at)
    taken["policy"] = taken.policy_id.fillna(NONE)
    taken["period"] = taken.created_at.dt.floor("D")
    keys = ["period", "policy"]
    grouped = taken.groupby(keys)
    frames = [
        grouped.subject_pk.nunique().rename("content_actioned"),
        (
            taken[taken.proactive].groupby(keys).subject_pk.nunique().reindex(grouped.size().index, fill_value=0)
            / grouped.subject_pk.nunique()
        ).rename("proactive_rate"),
    ]
    appeals = t["appeals"].merge(taken[["pk", "subject_pk", "policy"]], left_on="action_pk", right_on="pk")
    appeals["period"] = appeals.filed_at.dt.floor("D")
    frames.append(appeals.groupby(keys).subject_pk.nunique().rename("appealed"))
    restores = a[(a.subject_type == "content") & a.reason.isin(["appeal_overturned", "restored_without_appeal"])]
    restores = restores[restores.cancelled_at.isna()][["reverses_pk", "reason", "created_at"]]
    restores = restores.merge(taken[["pk", "subject_pk", "policy"]], left_on="reverses_pk", right_on="pk")
    restores["period"] = restores.created_at.dt.floor("D")
    for reason, name in (
        ("appeal_overturned", "restored_with_appeal"),
        ("restored_without_appeal", "restored_without_appeal"),
    ):
        frames.append(restores[restores.reason == reason].groupby(keys).subject_pk.nunique().rename(name))
    standing = taken[taken.reversed_at.isna()].groupby("subject_pk").policy_id.min()
    views = t["views"].merge(c[["pk"]].rename(columns={"pk": "content_pk"}), on="content_pk")
    views = views.assign(period=views.viewed_at.dt.floor("D"), weight=views.weight.astype("float64"))
    views["violated"] = views.content_pk.map(standing)
    whole = views.groupby("period").agg(w=("weight", "sum"), w2=("weight", lambda w: float((w * w).sum())))
    violating = views.dropna(subset=["violated"]).groupby(["period", "violated"]).weight.sum().rename("v")
    violating = violating.reset_index().rename(columns={"violated": "policy"}).merge(whole.reset_index(), on="period")
    share = violating.v / violating.w
    n = violating.w * violating.w / violating.w2
    z2 = Z95 * Z95
    upper = (share + z2 / (2 * n) + Z95 * np.sqrt(share * (1 - share) / n + z2 / (4 * n * n))) / (1 + z2 / n)
    prevalence = violating.assign(prevalence=share, prevalence_upper=upper).set_index(keys)
    frames += [prevalence.prevalence, prevalence.prevalence_upper]
    merged = pd.concat(frames, axis=1).reset_index()
    for name in ("content_actioned", "appealed", "restored_with_appeal", "restored_without_appeal"):
        merged[name] = merged[name].fillna(0).astype("int64")
    merged["period"] = merged.period.astype("datetime64[us, UTC]")
    merged["policy"] = merged.policy.astype(object)
    return merged.sort_values(keys, kind="stable").reset_index(drop=True)[[*keys, *ENFORCEMENT_REPORT]]


# --- one engine in a process of its own ---------------------------------------------------------------


def _vm(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return math.nan


def run_one(engine: str, folder: Path, output: Path) -> None:
    read_seconds = 0.0
    if engine == "pandas":
        started = time.perf_counter()
        tables = {name: pq.read_table(folder / name).to_pandas() for name in SCHEMAS}
        read_seconds = time.perf_counter() - started
    before = _vm("VmRSS")
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    if engine == "duckdb":
        from bastion.insight.metrics import ENFORCEMENT_REPORT as NAMES
        from bastion.insight.metrics import compute, open_parquet

        with open_parquet(folder) as backend:
            frame = compute(backend, NAMES, by=["policy"], grain="day")
    else:
        frame = pandas_enforcement_report(tables)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    figures = {
        "seconds": seconds,
        "cpu_seconds": after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime,
        "read_seconds": read_seconds,
        "rss_before_mb": before,
        "peak_rss_mb": _vm("VmHWM"),
    }
    frame.to_parquet(output.with_suffix(".parquet"))
    output.write_text(json.dumps(figures))


def _differences(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12)
    except AssertionError as different:
        return [str(different)]
    return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--run", choices=["duckdb", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_one(args.run, args.source, args.output)
        return 0

    folder = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    started = time.perf_counter()
    rows = simulate(args.events, args.seed, folder / "export")
    total = sum(rows.values())
    print(
        f"{total:,} rows simulated in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in rows.items())
    )
    results: dict[str, dict[str, Any]] = {}
    for engine in ("duckdb", "pandas"):
        output = folder / f"{engine}.json"
        command = [sys.executable, __file__, "--run", engine, "--source", str(folder / "export")]
        subprocess.run([*command, "--output", str(output)], check=True)
        results[engine] = json.loads(output.read_text())

    print("\nthe enforcement-report set by policy and day")
    print(
        f"{'engine':<8} {'seconds':>8} {'CPU s':>7} {'rows/s':>12} {'read s':>7} "
        f"{'RSS before MB':>14} {'peak RSS MB':>12}"
    )
    for engine, f in results.items():
        print(
            f"{engine:<8} {f['seconds']:>8.2f} {f['cpu_seconds']:>7.2f} {total / f['seconds']:>12,.0f} "
            f"{f['read_seconds']:>7.2f} {f['rss_before_mb']:>14,.0f} {f['peak_rss_mb']:>12,.0f}"
        )
    duck, panda = results["duckdb"], results["pandas"]
    print(f"\npandas / DuckDB wall time: {panda['seconds'] / duck['seconds']:.1f}x")
    print(f"pandas / DuckDB CPU time:  {panda['cpu_seconds'] / duck['cpu_seconds']:.1f}x")
    print(f"pandas / DuckDB peak RSS:  {panda['peak_rss_mb'] / duck['peak_rss_mb']:.2f}x")
    print(f"DuckDB under 5 s: {'PASS' if duck['seconds'] < 5 else 'FAIL'} ({duck['seconds']:.2f} s)")
    duck_frame = pd.read_parquet(folder / "duckdb.parquet")
    failures = _differences(duck_frame, pd.read_parquet(folder / "pandas.parquet"))
    print(f"{len(duck_frame):,} rows ({duck_frame.content_actioned.sum():,} items actioned)")
    print("same table on both engines:", "PASS" if not failures else "FAIL")
    for failure in failures:
        print("  ", failure[:2000])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
