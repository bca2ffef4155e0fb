"""The quality report computed from a ratings relation (`RATINGS_SCHEMA`), on DuckDB or on pandas.

Two stages. The engine aggregates the ratings, however many, into a few small tables (`Aggregates`):
each rating's answer, counts per reviewer, vendor, queue, policy, reviewer and policy, and period,
the answer x label counts, each reviewer's newest disagreements, the distinct label-count patterns of
the items rated twice or more, the labels of the rater pairs sharing the most items. Then
`bastion.quality.statistics` turns those into the report with the libraries' formulas.

"duckdb" (the default, `engine_duckdb.py`) runs the aggregation as SQL over the Arrow table,
in-process and without a copy; "pandas" (`engine_pandas.py`) is the baseline the benchmark compares
it with. Both give the same report (a hypothesis test holds them to it); what they share is in
`aggregates.py`. This module selects the ratings, runs the engine chosen and makes the report.

A rating's answer is its reference when it has one (a golden item's answer, the QA re-review of a
sampled decision); otherwise the strict majority of the other ratings of the same item; ties and
lone ratings have none and are not scored. Its policy is its answer's family (before the first ".").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bastion.errors import InvalidInput
from bastion.quality import engine_duckdb, engine_pandas, statistics
from bastion.quality.aggregates import Aggregates
from bastion.quality.ratings import RATINGS_SCHEMA
from bastion.quality.report import Disagreement, DriftPoint, QualityReport, ReviewerScore, Score, Thresholds
from bastion.quality.statistics import IntArray, Tally
from bastion.store.database import Database

Engine = Literal["duckdb", "pandas"]
ENGINES: tuple[Engine, ...] = ("duckdb", "pandas")
DEFAULT_THRESHOLDS = Thresholds()
_DIMENSIONS = ("rater", "vendor", "queue", "policy", "rater_policy", "period")


def compute_report(
    ratings: pa.Table,
    *,
    as_of: datetime,
    since: datetime | None = None,
    queue: str | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    engine: Engine = "duckdb",
) -> QualityReport:
    """The quality report of the ratings decided from `since` (all when None) up to `as_of`, in `queue`
    (all when None)."""
    if engine not in ENGINES:
        raise InvalidInput(f"engine: must be one of {', '.join(ENGINES)}, not {engine!r}")
    selected = _selected(ratings, as_of=as_of, since=since, queue=queue)
    aggregate: Callable[[pa.Table], Aggregates] = (
        engine_duckdb.aggregate if engine == "duckdb" else engine_pandas.aggregate
    )
    return _report(aggregate(selected), as_of=as_of, since=since, queue=queue, thresholds=thresholds)


def quality_report(
    database: Database,
    *,
    now: datetime,
    since: datetime | None = None,
    queue: str | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> QualityReport:
    """The quality report of the store's ratings (`load_ratings`), as of `now`."""
    from bastion.quality.ratings import load_ratings

    if since is not None and since.tzinfo is None:
        raise InvalidInput("since: a time with its time zone is needed")
    if since is not None and since > now:
        raise InvalidInput("since: must not be in the future")
    ratings = load_ratings(database, since=since, queue=queue)
    return compute_report(ratings, as_of=now, since=since, queue=queue, thresholds=thresholds)


def _selected(ratings: pa.Table, *, as_of: datetime, since: datetime | None, queue: str | None) -> pa.Table:
    missing = [name for name in RATINGS_SCHEMA.names if name not in ratings.schema.names]
    if missing:
        raise InvalidInput(f"ratings: missing column(s) {', '.join(missing)}")
    for name, moment in (("as_of", as_of), ("since", since)):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput(f"{name}: a time with its time zone is needed")
    table = ratings.select(RATINGS_SCHEMA.names)
    if not table.schema.equals(RATINGS_SCHEMA):
        table = table.cast(RATINGS_SCHEMA)
    stamp = RATINGS_SCHEMA.field("decided_at").type
    keep = pc.less_equal(table["decided_at"], pa.scalar(as_of, type=stamp))
    if since is not None:
        keep = pc.and_(keep, pc.greater_equal(table["decided_at"], pa.scalar(since, type=stamp)))
    if queue is not None:
        keep = pc.and_(keep, pc.fill_null(pc.equal(table["queue"], queue), False))
    if pc.all(keep).as_py() is not False:  # every rating kept (or none there): no copy
        return table
    return table.filter(keep)


def _report(
    found: Aggregates, *, as_of: datetime, since: datetime | None, queue: str | None, thresholds: Thresholds
) -> QualityReport:
    tallies = found.tallies.groupby(["dim", "key", "sub"], sort=True)[
        ["decisions", "scored", "correct", "appeals", "overturned"]
    ].sum()
    by_dim: dict[str, dict[tuple[str, str], Tally]] = {dim: {} for dim in _DIMENSIONS}
    for (dim, key, sub), row in tallies.iterrows():
        by_dim[str(dim)][(str(key), str(sub))] = Tally(*(int(row[c]) for c in tallies.columns))

    def scores(dim: str) -> tuple[Score, ...]:
        chosen = sorted(by_dim[dim].items())
        return tuple(statistics.scores([key for (key, _), _ in chosen], [t for _, t in chosen], thresholds))

    evidence: dict[str, list[Disagreement]] = {}
    for row in found.disagreements.itertuples(index=False):
        evidence.setdefault(str(row.rater), []).append(
            Disagreement(
                decision_pk=None if pd.isna(row.decision_pk) else int(row.decision_pk),
                item=int(row.item),
                label=str(row.label),
                reference=str(row.answer),
                decided_at=_moment(row.decided_at),
                source=str(row.source),
            )
        )
    policies_of: dict[str, list[tuple[str, Tally]]] = {}
    for (rater, policy), tally in sorted(by_dim["rater_policy"].items()):
        policies_of.setdefault(rater, []).append((policy, tally))
    cells = [(rater, policy, tally) for rater, found_ in policies_of.items() for policy, tally in found_]
    cell_scores = statistics.scores([policy for _, policy, _ in cells], [tally for _, _, tally in cells], thresholds)
    on_policy: dict[str, list[Score]] = {}
    for (rater, _, _), cell in zip(cells, cell_scores, strict=True):
        on_policy.setdefault(rater, []).append(cell)
    raters = sorted(by_dim["rater"].items())
    overall_scores = statistics.scores([key for (key, _), _ in raters], [t for _, t in raters], thresholds)
    reviewers = []
    for ((rater, _), _), overall in zip(raters, overall_scores, strict=True):
        on_policies = tuple(on_policy.get(rater, ()))
        shown = sorted(evidence.get(rater, []), key=_newest_first)
        reviewers.append(
            ReviewerScore(
                **{**vars(overall), "flagged": overall.flagged or any(p.flagged for p in on_policies)},
                vendor=found.vendors.get(rater),
                policies=on_policies,
                disagreements=tuple(shown),
            )
        )
    matrix = statistics.confusion(
        [str(a) for a in found.confusion["answer"]],
        [str(b) for b in found.confusion["label"]],
        [int(n) for n in found.confusion["n"]],
    )
    periods = sorted(by_dim["period"].items(), key=lambda pair: int(pair[0][0]))
    drift = tuple(
        DriftPoint(
            period_start=datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=int(point.key)),
            decisions=point.decisions,
            scored=point.scored,
            accuracy=point.accuracy,
            accuracy_low=point.accuracy_low,
            accuracy_high=point.accuracy_high,
        )
        for point in statistics.scores([key for (key, _), _ in periods], [t for _, t in periods], thresholds)
    )
    return QualityReport(
        as_of=as_of,
        since=since,
        queue=queue,
        thresholds=thresholds,
        agreement=statistics.agreement(*_in_order(found.patterns, found.pattern_items)),
        reviewers=tuple(reviewers),
        vendors=scores("vendor"),
        queues=scores("queue"),
        policies=scores("policy"),
        confusion=matrix,
        confused_pairs=statistics.confused_pairs(matrix),
        drift=drift,
        pairs=tuple(statistics.pair_agreement(a, b, la, lb) for a, b, la, lb in found.pairs),
    )


def _moment(value: object) -> datetime:
    stamp = pd.Timestamp(value)
    moment: datetime = (stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)).to_pydatetime()
    return moment


def _newest_first(found: Disagreement) -> tuple[float, int, str, str, int]:
    pk = -1 if found.decision_pk is None else found.decision_pk
    return (-found.decided_at.timestamp(), -found.item, found.label, found.source, -pk)


def _in_order(patterns: IntArray, items: IntArray) -> tuple[IntArray, IntArray]:
    """The patterns sorted, so that sums over them add up in the same order whichever engine found them."""
    patterns = patterns[:, patterns.sum(axis=0) > 0] if len(patterns) else patterns
    if len(patterns) == 0 or patterns.shape[1] == 0:
        return np.zeros((0, 0), dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort(patterns.T[::-1])
    return patterns[order], items[order]
