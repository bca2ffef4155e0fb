"""Ratings benchmark: reading every rating of a SQLite store, DuckDB's SQLite scanner against plain SQLite.

    .venv/bin/python bench/ratings.py [--decisions 1000000] [--runs 3] [--keep]

A fresh SQLite store (the schema and the default policies) is filled with raw inserts, not timed:
`--decisions` decisions by 200 reviewers (half of them at a vendor) on jobs of two queues, two rounds
per job, 2% of them withdrawn; enforcement actions on 5% of the final decisions, appealed, half
overturned; QA re-reviews of 1% of the decisions (with their samples); and imported decisions, one
for every tenth decision. Then `load_ratings` is timed both ways, each run in a fresh process of its
own so that its peak memory (VmHWM) is its own:

- **duckdb** (ours, the default): DuckDB attaches the store read-only through its SQLite scanner and
  hands the result over as Arrow;
- **sqlite**: the same query (`ratings_sql("sqlite")`) run by Python's sqlite3, its rows turned into
  the same Arrow table column by column.

Prints the rows, the best and median seconds of `--runs` runs, rows/s, peak memory, and the ratio,
and checks that both ways return the same table (sorted by every column). Exits 1 when they differ.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from bastion.clock import FrozenClock
from bastion.quality.ratings import RATINGS_SCHEMA, load_ratings, ratings_sql
from bastion.setup import initialise
from bastion.store.bulk import sqlite_moment
from bastion.store.database import Database

START = datetime(2026, 10, 1, tzinfo=UTC)
REVIEWERS = 200
QUEUES = ("general", "hate-harassment")
LABELS = ("none", "none", "none", "hate_speech", "spam", "harassment_and_bullying")


def fill(path: Path, decisions: int, seed: int = 7) -> dict[str, int]:
    """Raw rows of every source of ratings, as the services would have written them; returns counts."""
    rng = random.Random(seed)
    at = sqlite_moment
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = OFF")
    cursor = connection.cursor()
    now = at(START)
    cursor.executemany(
        "INSERT INTO users (pk, name, roles, vendor, languages, active, created_at) VALUES (?, ?, ?, ?, '[]', 1, ?)",
        [
            (
                1000 + i,
                f"reviewer-{i}",
                '["vendor_reviewer"]' if i % 2 else '["reviewer"]',
                "acme-review" if i % 2 else None,
                now,
            )
            for i in range(REVIEWERS)
        ],
    )
    cursor.execute(
        "INSERT INTO actors (pk, external_id, created_at, attributes, received_at) VALUES (1, 'a', ?, '{}', ?)",
        (now, now),
    )
    jobs = decisions // 2
    cursor.executemany(
        "INSERT INTO content_items (pk, external_id, actor_pk, type, language_detected, created_at, views, received_at)"
        " VALUES (?, ?, 1, 'post', 0, ?, 0, ?)",
        ((i, f"c{i}", now, now) for i in range(1, jobs + 1)),
    )
    job_sql = (
        "INSERT INTO jobs (pk, queue, kind, subject_type, subject_pk, status, harm_type, severity, priority,"
        " priority_terms, claim_rank, report_count, reviews_required, reviews_done, created_at, sla_due_at,"
        " config_version, decided_at) VALUES (?, ?, ?, 'content', ?, 'decided', 'unclassified', 1, 1.0, '{}', 1.0,"
        " 0, 2, 2, ?, ?, 1, ?)"
    )
    decision_sql = (
        "INSERT INTO decisions (pk, job_pk, reviewer_pk, round, policy_id, harm_type, action, rationale,"
        " seconds_spent, decided_at, final, withdrawn_at) VALUES (?, ?, ?, ?, ?, 'unclassified', ?, '', 10.0, ?, ?, ?)"
    )
    job_rows, decision_rows, actions, appeals = [], [], [], []
    decision_pk = 0
    for job in range(1, jobs + 1):
        when = START + timedelta(seconds=job * 5)
        job_rows.append((job, QUEUES[job % 2], "review", job, at(when), at(when + timedelta(hours=24)), at(when)))
        for round_ in (1, 2):
            decision_pk += 1
            label = rng.choice(LABELS)
            withdrawn = at(when) if rng.random() < 0.02 else None
            final = round_ == 2
            policy = None if label == "none" else label
            decision_rows.append(
                (
                    decision_pk,
                    job,
                    1000 + rng.randrange(REVIEWERS),
                    round_,
                    policy,
                    "no_action" if policy is None else "remove",
                    at(when),
                    int(final),
                    withdrawn,
                )
            )
            if final and policy is not None and withdrawn is None and rng.random() < 0.05:
                action_pk = len(actions) + 1
                actions.append((action_pk, job, policy, decision_pk, at(when)))
                appeals.append(
                    (action_pk, f"ap{action_pk}", action_pk, "overturned" if rng.random() < 0.5 else "upheld", at(when))
                )
    cursor.executemany(job_sql, job_rows)
    cursor.executemany(decision_sql, decision_rows)
    cursor.executemany(
        "INSERT INTO enforcement_actions (pk, subject_type, subject_pk, action, policy_id, decision_pk, reason,"
        " statement, created_at, created_by) VALUES (?, 'content', ?, 'remove', ?, ?, 'decision', '', ?, 'bench')",
        actions,
    )
    cursor.executemany(
        "INSERT INTO appeals (pk, external_id, action_pk, actor_pk, filed_at, status) VALUES (?, ?, ?, 1, ?, ?)",
        [(pk, ext, action, when, status) for pk, ext, action, status, when in appeals],
    )
    # QA: 1% of the decisions re-reviewed in a QA job of their own, decided once.
    cursor.execute(
        "INSERT INTO qa_plans (pk, queue, version, qa_queue, rate, strata, targets, active, created_at, created_by)"
        " VALUES (1, 'general', 1, 'general', 0.01, '{}', '{}', 1, ?, 'bench')",
        (now,),
    )
    sampled = rng.sample(range(1, decision_pk + 1), decision_pk // 100)
    qa_jobs, qa_samples, qa_decisions = [], [], []
    for n, sampled_pk in enumerate(sampled, start=1):
        job = jobs + n
        source_job = (sampled_pk + 1) // 2
        when = START + timedelta(seconds=source_job * 5 + 60)
        qa_jobs.append((job, "general", "qa", source_job, at(when), at(when), at(when)))
        qa_samples.append((n, sampled_pk, job, at(when)))
        decision_pk += 1
        label = rng.choice(LABELS)
        policy = None if label == "none" else label
        qa_decisions.append(
            (decision_pk, job, 1000 + rng.randrange(REVIEWERS), 1, policy, "no_action", at(when), 1, None)
        )
    cursor.executemany(job_sql, qa_jobs)
    cursor.executemany(decision_sql, qa_decisions)
    cursor.executemany(
        "INSERT INTO qa_samples (pk, decision_pk, plan_pk, job_pk, reason, sampled_at)"
        " VALUES (?, ?, 1, ?, 'random', ?)",
        qa_samples,
    )
    # Imported decisions: one for every tenth decision, by 50 external raters.
    cursor.executemany(
        "INSERT INTO raters (pk, name, created_at) VALUES (?, ?, ?)", [(i, f"external-{i}", now) for i in range(1, 51)]
    )
    imported = [
        (
            i,
            1 + rng.randrange(jobs),
            1 + i % 50,
            rng.choice(LABELS),
            QUEUES[i % 2],
            at(START + timedelta(seconds=i)),
            now,
        )
        for i in range(1, decisions // 10 + 1)
    ]
    cursor.executemany(
        "INSERT INTO imported_decisions (pk, content_pk, rater_pk, label, queue, decided_at, imported_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        imported,
    )
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()
    return {
        "decisions": len(decision_rows),
        "qa decisions": len(qa_decisions),
        "appeals": len(appeals),
        "imported": len(imported),
    }


def read_plain(path: str) -> pa.Table:
    """The same query run by Python's sqlite3, its rows turned into Arrow column by column."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute(ratings_sql("sqlite", since=False, queue=False)).fetchall()
    finally:
        connection.close()
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in RATINGS_SCHEMA]
    arrays = []
    for column, field in zip(columns, RATINGS_SCHEMA, strict=True):
        if pa.types.is_timestamp(field.type):
            arrays.append(pa.array(column, pa.string()).cast(pa.timestamp("us")).cast(field.type))
        elif pa.types.is_boolean(field.type):
            arrays.append(pa.array([None if v is None else bool(v) for v in column], field.type))
        else:
            arrays.append(pa.array(column, field.type))
    return pa.Table.from_arrays(arrays, schema=RATINGS_SCHEMA)


def _vmhwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _run(way: str, url: str, out: Any) -> None:
    path = Database(url).engine.url.database
    assert path is not None
    began = time.perf_counter()
    table = load_ratings(Database(url)) if way == "duckdb" else read_plain(path)
    seconds = time.perf_counter() - began
    peak = _vmhwm_mb()  # the read's own: the check below holds the table twice more
    order = [(name, "ascending") for name in RATINGS_SCHEMA.names]
    digest = table.sort_by(order).to_pandas().to_json()
    out.send((seconds, table.num_rows, peak, hashlib.sha256(digest.encode()).hexdigest()))


def timed(way: str, url: str) -> tuple[float, int, float, str]:
    context = multiprocessing.get_context("spawn")  # a fresh process: its memory is this run's alone
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_run, args=(way, url, sender))
    process.start()
    sender.close()  # the child holds the only writing end: its death ends the wait
    result: tuple[float, int, float, str] = receiver.recv()
    process.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bastion-bench-ratings-"))
    path = folder / "ratings.db"
    url = f"sqlite:///{path}"
    try:
        database = Database(url)
        initialise(database, FrozenClock(START))
        database.dispose()
        began = time.perf_counter()
        counts = fill(path, options.decisions)
        print(f"store filled in {time.perf_counter() - began:.1f} s: " + json.dumps(counts))
        results: dict[str, list[tuple[float, int, float, str]]] = {"duckdb": [], "sqlite": []}
        for _ in range(options.runs):
            for way in results:  # interleaved, so a busy moment of the machine falls on both
                results[way].append(timed(way, url))
        print(f"{'way':<8} {'rows':>10} {'best s':>8} {'median s':>9} {'rows/s':>12} {'peak MB':>8}")
        best: dict[str, float] = {}
        for way, runs in results.items():
            seconds = [r[0] for r in runs]
            best[way] = min(seconds)
            rows, peak = runs[0][1], max(r[2] for r in runs)
            print(
                f"{way:<8} {rows:>10,} {min(seconds):>8.2f} {statistics.median(seconds):>9.2f}"
                f" {rows / min(seconds):>12,.0f} {peak:>8.0f}"
            )
        print(f"ratio (sqlite time / duckdb time, best of {options.runs}): {best['sqlite'] / best['duckdb']:.2f}")
        same = len({r[3] for runs in results.values() for r in runs}) == 1
        print("check: both ways return the same table: " + ("PASS" if same else "FAIL"))
        return 0 if same else 1
    finally:
        if options.keep:
            print(f"kept: {path}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
