"""What the supervisor overview costs now that its figures are metrics of the insight layer, against
the SQLAlchemy queries that counted them before, side by side in one run.

    .venv/bin/python bench/supervisor.py [--days 7] [--seed 1] [--repeat 20] [--store FILE] [--postgres]

Simulates `--days` of the default platform (seed `--seed`, not timed; into a temporary PostgreSQL
server with `--postgres`; or reads the SQLite store `--store`, a copy of which is used), then times
in this process, each `--repeat` times after one warm-up (the first call attaches the store and
compiles each metric's SQL once; it is timed apart):

- baseline: the overview with its figures counted by the old queries (a copy of the removed
  `bastion.metrics` backlog, SLA and throughput code, below, marked BASELINE), and the same
  workload queries (who is active, unreachable jobs, exposure) as the new one;
- layer: `review.supervisor.overview`, its figures from the insight metrics layer.

Both at the store's last moment plus 20 minutes, over a 7-day and a 24-hour window. Prints the
first call's wall milliseconds, the best and median wall and CPU milliseconds of each (the two run
alternately), and the median CPU of each over the baseline's (target for the layer: 2 or less). The
two must give the same numbers; the run stops if they do not.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.orm import Session

from bastion.clock import FrozenClock, as_utc
from bastion.insight.metrics import release_shared
from bastion.review.config import ReviewConfig
from bastion.review.config_store import current_review_config
from bastion.review.supervisor import (
    FlowPoint,
    Overview,
    OverviewFilters,
    ReviewerActivity,
    Totals,
    _flow_span,
    overview,
    share,
)
from bastion.review.workload.exposure import team_exposure
from bastion.review.workload.people import active_reviewers, unreachable_by_queue
from bastion.review.workload.selection import (
    AGE_BUCKETS,
    BUCKET_LABELS,
    JobSelection,
    decision_conditions,
    due_soon_bound,
    eligible_languages,
    job_conditions,
    vendor_queues,
)
from bastion.setup import initialise
from bastion.simulate import SimulationSpec, World
from bastion.simulate.reviewing import write_and_review
from bastion.store.database import Database
from bastion.store.schema import Decision, Job, User

# --- BASELINE: the old queries (bastion/metrics/backlog.py, sla.py, throughput.py before the layer) ---


@dataclass
class OldBacklog:
    statuses: dict[str, int] = field(default_factory=dict)
    age_buckets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKET_LABELS, 0))
    sla_states: dict[str, int] = field(default_factory=lambda: {"on_track": 0, "due_soon": 0, "overdue": 0})
    oldest: datetime | None = None


def old_backlog_by_queue(
    session: Session, config: ReviewConfig, selection: JobSelection, *, now: datetime
) -> dict[str, OldBacklog]:
    conditions = job_conditions(selection.narrowed(status="backlog"), config=config, now=now)
    age_whens = [(Job.created_at > now - b.upper, b.label) for b in AGE_BUCKETS if b.upper is not None]
    soon_whens = [
        (and_(Job.queue == spec.name, Job.sla_due_at < due_soon_bound(config, spec.name, now)), "due_soon")
        for spec in config.queues
    ]
    inner = (
        select(
            Job.queue.label("queue"),
            Job.status.label("status"),
            case(*age_whens, else_=BUCKET_LABELS[-1]).label("bucket"),
            case((Job.sla_due_at < now, "overdue"), *soon_whens, else_="on_track").label("sla"),
            Job.created_at.label("created_at"),
        )
        .where(*conditions)
        .subquery()
    )
    rows = session.execute(
        select(
            inner.c.queue, inner.c.status, inner.c.bucket, inner.c.sla, func.count(), func.min(inner.c.created_at)
        ).group_by(inner.c.queue, inner.c.status, inner.c.bucket, inner.c.sla)
    )
    found: dict[str, OldBacklog] = defaultdict(OldBacklog)
    for queue, status, bucket, sla, count, oldest in rows:
        entry = found[str(queue)]
        n = int(count)
        entry.statuses[status] = entry.statuses.get(status, 0) + n
        entry.age_buckets[bucket] += n
        entry.sla_states[sla] += n
        first = as_utc(oldest) if oldest is not None else None
        if first is not None and (entry.oldest is None or first < entry.oldest):
            entry.oldest = first
    return dict(found)


def old_sla_attainment(
    session: Session, config: ReviewConfig, selection: JobSelection, *, start: datetime, now: datetime
) -> dict[str, tuple[int, int]]:
    conditions = job_conditions(selection.narrowed(status="decided", decided_from=start), config=config, now=now)
    on_time = func.sum(case((Job.decided_at <= Job.sla_due_at, 1), else_=0))
    rows = session.execute(select(Job.queue, func.count(Job.pk), on_time).where(*conditions).group_by(Job.queue))
    return {str(queue): (int(n), int(ok or 0)) for queue, n, ok in rows}


def old_periods(start: datetime, now: datetime, step: timedelta) -> list[tuple[datetime, datetime | None]]:
    bounds: list[datetime] = []
    moment = start
    while moment < now:
        bounds.append(moment)
        moment += step
    return [(b, bounds[i + 1] if i + 1 < len(bounds) else None) for i, b in enumerate(bounds)]


def _period_index(column: Any, spans: list[tuple[datetime, datetime | None]]) -> ColumnElement[int]:
    whens = [(column < end, literal(i)) for i, (_, end) in enumerate(spans) if end is not None]
    if not whens:
        return literal(0)
    return case(*whens, else_=literal(len(spans) - 1))


def old_flow(
    session: Session, config: ReviewConfig, selection: JobSelection, *, start: datetime, now: datetime, step: timedelta
) -> list[FlowPoint]:
    spans = old_periods(start, now, step)
    opened = job_conditions(selection.narrowed(created_from=start), config=config, now=now)
    decided = job_conditions(selection.narrowed(status="decided", decided_from=start), config=config, now=now)
    counts: dict[str, dict[int, int]] = {"inflow": defaultdict(int), "decided": defaultdict(int)}
    for name, column, conditions in (("inflow", Job.created_at, opened), ("decided", Job.decided_at, decided)):
        inner = select(_period_index(column, spans).label("period")).where(*conditions).subquery()
        for index, n in session.execute(select(inner.c.period, func.count()).group_by(inner.c.period)):
            counts[name][int(index)] = int(n)
    return [FlowPoint(begin, end, counts["inflow"][i], counts["decided"][i]) for i, (begin, end) in enumerate(spans)]


def old_decisions_by_reviewer(
    session: Session, config: ReviewConfig, selection: JobSelection, *, start: datetime, now: datetime
) -> list[tuple[str, str | None, int, float, datetime]]:
    jobs = job_conditions(selection, config=config, now=now)
    made = decision_conditions(selection.narrowed(decision_from=start))
    query = (
        select(
            User.name,
            User.vendor,
            func.count(Decision.pk),
            func.avg(Decision.seconds_spent),
            func.max(Decision.decided_at),
        )
        .join(Decision, Decision.reviewer_pk == User.pk)
        .join(Job, Job.pk == Decision.job_pk)
        .where(*jobs, *made)
        .group_by(User.pk, User.name, User.vendor)
    )
    found = [
        (name, vendor, int(n), round(float(mean or 0.0), 1), as_utc(last))
        for name, vendor, n, mean, last in session.execute(query)
    ]
    return sorted(found, key=lambda r: (-r[2], r[0]))


def old_overview(session: Session, config: ReviewConfig, *, now: datetime, window: timedelta) -> Overview:
    """The overview as it was counted before: the figures by the queries above, the rest as now."""
    filters = OverviewFilters()
    base = filters.selection
    names = set(vendor_queues(config, None))
    window_start = now - window
    backlog = old_backlog_by_queue(session, config, base, now=now)
    decided = old_sla_attainment(session, config, base, start=window_start, now=now)
    unreachable = unreachable_by_queue(session, config, base, eligible_languages(session, config), now=now)
    active = active_reviewers(session, config, base, now=now)
    everyone: set[str] = set().union(*active.values())
    reviewers = [
        ReviewerActivity(name, vendor, n, mean, last, name in everyone)
        for name, vendor, n, mean, last in old_decisions_by_reviewer(session, config, base, start=window_start, now=now)
    ]
    backlog_total = sum(sum(b.statuses.values()) for q, b in backlog.items() if q in names)
    decided_total = sum(n for q, (n, _) in decided.items() if q in names)
    in_sla = sum(ok for q, (_, ok) in decided.items() if q in names)
    totals = Totals(
        backlog=backlog_total,
        overdue=sum(b.sla_states["overdue"] for q, b in backlog.items() if q in names),
        unreachable=sum(unreachable.values()),
        decided=decided_total,
        decided_in_sla=in_sla,
        sla_attainment=share(in_sla, decided_total),
        active_reviewers=len(everyone),
        decisions=sum(r.decisions for r in reviewers),
    )
    step, flow_start = _flow_span(window, now)
    return Overview(
        generated_at=now,
        window_start=window_start,
        window_days=window.total_seconds() / 86_400,
        filters=filters,
        queues=[],  # the per-queue rows are built from the same numbers; the totals are compared
        reviewers=reviewers,
        totals=totals,
        flow=old_flow(session, config, base, start=flow_start, now=now, step=step),
        flow_step_hours=step.total_seconds() / 3600,
        exposure=team_exposure(session, config, base, now=now),
    )


# --- END OF BASELINE -----------------------------------------------------------------------------


def clocked(run: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


@contextlib.contextmanager
def store(args: argparse.Namespace, folder: Path) -> Iterator[Database]:
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.support.postgres import PostgresServer

        with PostgresServer() as server:
            database = Database(server.create_database("bench"))
            simulated(args, database)
            yield database
            release_shared()  # the layer's connection, before the server stops
            database.dispose()
        return
    path = folder / "store.db"
    if args.store:
        shutil.copyfile(args.store, path)
        yield Database(f"sqlite:///{path}")
        return
    database = Database(f"sqlite:///{path}")
    simulated(args, database)
    yield database


def simulated(args: argparse.Namespace, database: Database) -> None:
    spec = SimulationSpec(seed=args.seed, days=args.days)
    initialise(database, FrozenClock(spec.start))
    write_and_review(database, World(spec))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--store", type=Path, default=None, help="a SQLite store to read (a copy) instead of simulating"
    )
    parser.add_argument("--postgres", action="store_true", help="simulate into a temporary PostgreSQL server")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.disable(logging.INFO)
    with store(args, Path(tempfile.mkdtemp(prefix="bench-supervisor-"))) as database:
        compare(args, database)


def compare(args: argparse.Namespace, database: Database) -> None:
    with database.transaction() as session:
        config = current_review_config(session).config
        last = max(
            as_utc(session.scalar(select(func.max(Job.created_at)))),
            as_utc(session.scalar(select(func.max(Decision.decided_at)))),
        )
        jobs = int(session.scalar(select(func.count()).select_from(Job)) or 0)
        golden = int(session.scalar(select(func.count()).select_from(Job).where(Job.golden_pk.is_not(None))) or 0)
    now = last + timedelta(minutes=20)
    print(f"store: {jobs:,} jobs ({golden:,} golden); now {now:%Y-%m-%d %H:%M} UTC; best and median of {args.repeat}")
    print(f"{'':28} {'first ms':>9} {'wall ms':>8} {'median':>7} {'cpu ms':>7} {'median':>7} {'x old (cpu)':>12}")
    for window in (timedelta(days=7), timedelta(days=1)):

        def old(window: timedelta = window) -> Overview:
            with database.transaction() as session:
                return old_overview(session, config, now=now, window=window)

        def layer(window: timedelta = window) -> Overview:
            with database.transaction() as session:
                return overview(session, config, now=now, window=window)

        firsts = {"old": clocked(old), "layer": clocked(layer)}  # the layer's first call compiles
        before, after = old(), layer()
        assert (before.totals, before.reviewers, before.flow) == (after.totals, after.reviewers, after.flow)
        walls: dict[str, list[float]] = {"old": [], "layer": []}
        cpus: dict[str, list[float]] = {"old": [], "layer": []}
        for _ in range(args.repeat):  # alternately, so that the machine's load falls on both alike
            for name, run in (("old", old), ("layer", layer)):
                wall, cpu = clocked(run)
                walls[name].append(wall)
                cpus[name].append(cpu)
        base = statistics.median(cpus["old"])
        for name, title in (("old", "old queries"), ("layer", "layer")):
            print(
                f"{title + f', {window.days}-day window':28} {firsts[name][0] * 1000:9.1f}"
                f" {min(walls[name]) * 1000:8.1f} {statistics.median(walls[name]) * 1000:7.1f}"
                f" {min(cpus[name]) * 1000:7.1f} {statistics.median(cpus[name]) * 1000:7.1f}"
                f" {statistics.median(cpus[name]) / base:12.2f}"
            )


if __name__ == "__main__":
    main()
