"""The quality report computed from a ratings relation (`RATINGS_SCHEMA`), on DuckDB or on pandas.

Two stages. The engine aggregates the ratings, however many, into a few small tables (`Aggregates`):
each rating's answer, counts per reviewer, vendor, queue, policy, reviewer and policy, and period,
the answer x label counts, each reviewer's newest disagreements, the distinct label-count patterns of
the items rated twice or more, the labels of the rater pairs sharing the most items. Then
`bastion.quality.statistics` turns those into the report with the libraries' formulas.

"duckdb" (the default) runs the aggregation as SQL over the Arrow table, in-process and without a
copy; "pandas" is the baseline the benchmark compares it with. Both give the same report (a
hypothesis test holds them to it).

A rating's answer is its reference when it has one (a golden item's answer, the QA re-review of a
sampled decision); otherwise the strict majority of the other ratings of the same item; ties and
lone ratings have none and are not scored. Its policy is its answer's family (before the first ".").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bastion.domain.quality import RatingSource
from bastion.errors import InvalidInput
from bastion.quality import statistics
from bastion.quality.ratings import RATINGS_SCHEMA
from bastion.quality.report import Disagreement, DriftPoint, QualityReport, ReviewerScore, Score, Thresholds
from bastion.quality.statistics import IntArray, Tally
from bastion.store.database import Database

Engine = Literal["duckdb", "pandas"]
ENGINES: tuple[Engine, ...] = ("duckdb", "pandas")
EVIDENCE = 5  # newest disagreements shown per reviewer
PAIRS = 10  # rater pairs with the most shared items, for Cohen's kappa
PAIR_MIN_ITEMS = 20  # a pair sharing fewer items has no kappa worth showing
_DAY_US = 86_400_000_000
DEFAULT_THRESHOLDS = Thresholds()
_DIMENSIONS = ("rater", "vendor", "queue", "policy", "rater_policy", "period")


@dataclass(frozen=True)
class Aggregates:
    """Everything the report needs of the ratings, small whatever the ratings' size."""

    labels: tuple[str, ...]  # the columns of `patterns`
    patterns: IntArray  # distinct label counts of the items rated twice or more
    pattern_items: IntArray  # how many items have each pattern
    tallies: pd.DataFrame  # dim, key, sub, decisions, scored, correct, appeals, overturned
    vendors: dict[str, str | None]  # each rater's vendor
    confusion: pd.DataFrame  # answer, label, n
    disagreements: pd.DataFrame  # rater, decision_pk, item, label, answer, decided_at, source
    pairs: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]  # a, b, their labels item by item
    daily: bool  # periods are days (the span is under two weeks), else weeks from Monday


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
    aggregate: Callable[[pa.Table], Aggregates] = _duckdb if engine == "duckdb" else _pandas
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
    table = ratings.select(RATINGS_SCHEMA.names).cast(RATINGS_SCHEMA)
    stamp = RATINGS_SCHEMA.field("decided_at").type
    keep = pc.less_equal(table["decided_at"], pa.scalar(as_of, type=stamp))
    if since is not None:
        keep = pc.and_(keep, pc.greater_equal(table["decided_at"], pa.scalar(since, type=stamp)))
    if queue is not None:
        keep = pc.and_(keep, pc.fill_null(pc.equal(table["queue"], queue), False))
    return table.filter(keep)


# --- DuckDB -----------------------------------------------------------------------------------------

_DUCKDB_SCORED = """
CREATE TEMP TABLE item_labels AS SELECT item, label_code AS code, count(*) AS c FROM coded GROUP BY item, label_code;
CREATE TEMP TABLE item_totals AS SELECT item, sum(c)::BIGINT AS n FROM item_labels GROUP BY item;
CREATE TEMP TABLE majority AS
    SELECT l.item, l.code, m.code AS answer
    FROM item_labels l JOIN item_totals t ON t.item = l.item JOIN item_labels m ON m.item = l.item
    WHERE t.n >= 2 AND 2 * (m.c - CASE WHEN m.code = l.code THEN 1 ELSE 0 END) > t.n - 1;
CREATE TEMP TABLE scored AS
    WITH answered AS (
        SELECT s.*, coalesce(s.reference_code, CASE WHEN s.majority_ok THEN m.answer END) AS answer
        FROM coded s LEFT JOIN majority m ON m.item = s.item AND m.code = s.label_code
    )
    SELECT s.item, s.rater_code AS rater, s.vendor_code AS vendor, s.queue_code AS queue, s.label_code AS label,
           s.decided_at, s.source_code AS source, s.decision_pk,
           s.answer,
           s.label_family, f.family AS answer_family,
           CASE WHEN s.answer IS NULL THEN 0 ELSE 1 END AS s,
           CASE WHEN s.answer = s.label_code THEN 1 ELSE 0 END AS c,
           CASE WHEN s.overturned IS NULL THEN 0 ELSE 1 END AS a,
           CASE WHEN s.overturned THEN 1 ELSE 0 END AS o,
           CASE WHEN $daily THEN epoch_us(s.decided_at) // 86400000000
                ELSE (epoch_us(s.decided_at) // 86400000000 + 3) // 7 * 7 - 3 END AS period
    FROM answered s
    LEFT JOIN families f ON f.code = s.answer;
"""

_DUCKDB_TALLIES = """
SELECT 'rater' AS dim, CAST(rater AS VARCHAR) AS key, '' AS sub, count(*) AS decisions, sum(s) AS scored,
       sum(c) AS correct,
       sum(a) AS appeals, sum(o) AS overturned FROM scored GROUP BY rater
UNION ALL SELECT 'vendor', CAST(vendor AS VARCHAR), '', count(*), sum(s), sum(c), sum(a), sum(o)
    FROM scored WHERE vendor IS NOT NULL GROUP BY vendor
UNION ALL SELECT 'queue', CAST(queue AS VARCHAR), '', count(*), sum(s), sum(c), sum(a), sum(o)
    FROM scored WHERE queue IS NOT NULL GROUP BY queue
UNION ALL SELECT 'policy', CAST(label_family AS VARCHAR), '', count(*), 0, 0, sum(a), sum(o)
    FROM scored GROUP BY label_family
UNION ALL SELECT 'policy', CAST(answer_family AS VARCHAR), '', 0, count(*), sum(c), 0, 0
    FROM scored WHERE s = 1 GROUP BY answer_family
UNION ALL SELECT 'rater_policy', CAST(rater AS VARCHAR), CAST(label_family AS VARCHAR), count(*), 0, 0, sum(a), sum(o)
    FROM scored GROUP BY rater, label_family
UNION ALL SELECT 'rater_policy', CAST(rater AS VARCHAR), CAST(answer_family AS VARCHAR), 0, count(*), sum(c), 0, 0
    FROM scored WHERE s = 1 GROUP BY rater, answer_family
UNION ALL SELECT 'period', CAST(period AS VARCHAR), '', count(*), sum(s), sum(c), 0, 0 FROM scored GROUP BY period
"""

_DUCKDB_DISAGREEMENTS = """
SELECT rater, decision_pk, item, label, answer, decided_at, source FROM (
    SELECT *, row_number() OVER (
        PARTITION BY rater ORDER BY decided_at DESC, item DESC, label, source, coalesce(decision_pk, -1) DESC
    ) AS rank
    FROM scored WHERE s = 1 AND c = 0
) WHERE rank <= $evidence
"""

_DUCKDB_PATTERNS = """
SELECT {columns}, count(*) AS items FROM (
    SELECT {counts} FROM coded GROUP BY item HAVING count(*) >= 2
) GROUP BY ALL
"""

_DUCKDB_PAIRS = """
WITH raters AS (
    SELECT DISTINCT s.item, s.rater_code FROM coded s JOIN item_totals t ON t.item = s.item WHERE t.n >= 2
)
SELECT a.rater_code AS a, b.rater_code AS b, count(*) AS shared
FROM raters a JOIN raters b ON a.item = b.item AND a.rater_code < b.rater_code
GROUP BY a.rater_code, b.rater_code HAVING count(*) >= $least
ORDER BY shared DESC, a, b LIMIT $pairs
"""

_DUCKDB_NEWEST = """
SELECT item, rater, arg_max(label, struct_pack(at := decided_at, label := label)) AS label
FROM coded WHERE list_contains(?, rater_code) GROUP BY item, rater
"""


def _majority_ok(selected: pa.Table) -> pa.ChunkedArray:
    """Whether a rating without a reference may be scored against the others' majority: not a QA
    re-review, which is the reference of the decision it checks and never judged by it."""
    return pc.fill_null(pc.not_equal(selected["source"], RatingSource.QA.value), True)


def _coded(selected: pa.Table) -> tuple[pa.Table, dict[str, list[str]]]:
    """The ratings with integer codes beside their strings (each column's values sorted, code = position):
    joins and groupings run on integers, and the strings come back only in the small results."""
    labels = set(pc.unique(selected["label"]).to_pylist())
    labels |= {x for x in pc.unique(selected["reference"]).to_pylist() if x is not None}
    values = {"label": sorted(labels)}
    for column in ("rater", "vendor", "queue", "source"):
        values[column] = sorted(x for x in pc.unique(selected[column]).to_pylist() if x is not None)
    values["family"] = sorted({label.split(".", 1)[0] for label in values["label"]})
    family_of = pa.array([values["family"].index(x.split(".", 1)[0]) for x in values["label"]], pa.int32())
    domain = pa.array(values["label"], pa.string())
    label_code = pc.index_in(selected["label"], value_set=domain)
    coded = (
        selected.append_column("label_code", label_code)
        .append_column("reference_code", pc.index_in(selected["reference"], value_set=domain))
        .append_column("label_family", pc.take(family_of, label_code))
        .append_column("majority_ok", _majority_ok(selected))
    )
    for column in ("rater", "vendor", "queue", "source"):
        codes = pc.index_in(selected[column], value_set=pa.array(values[column], pa.string()))
        coded = coded.append_column(f"{column}_code", codes)
    return coded, values


def _duckdb(selected: pa.Table) -> Aggregates:
    coded, values = _coded(selected)
    domain, families = values["label"], values["family"]
    family_table = pa.table(
        {
            "code": pa.array(range(len(domain)), pa.int32()),
            "family": pa.array([families.index(x.split(".", 1)[0]) for x in domain], pa.int32()),
        }
    )
    with duckdb.connect(":memory:") as con:
        con.execute("SET enable_progress_bar = false")
        con.register("coded", coded)
        con.register("families", family_table)
        span = con.sql("SELECT max(epoch_us(decided_at)) - min(epoch_us(decided_at)) FROM coded").fetchone()
        daily = span is None or span[0] is None or span[0] < 14 * _DAY_US
        con.execute(_DUCKDB_SCORED, {"daily": daily})
        tallies = con.sql(_DUCKDB_TALLIES).to_arrow_table().to_pandas()
        vendors = dict(con.sql("SELECT rater, max(vendor) FROM coded GROUP BY rater").fetchall())
        confusion = (
            con.sql("SELECT answer, label, count(*) AS n FROM scored WHERE s = 1 GROUP BY answer, label")
            .to_arrow_table()
            .to_pandas()
        )
        disagreements = con.execute(_DUCKDB_DISAGREEMENTS, {"evidence": EVIDENCE}).to_arrow_table().to_pandas()
        # the columns are numbered, never named after data: the labels stay out of the statement
        columns = ", ".join(f"c{code}" for code in range(len(domain)))
        counts = ", ".join(f"count(*) FILTER (WHERE label_code = {code}) AS c{code}" for code in range(len(domain)))
        found = con.sql(_DUCKDB_PATTERNS.format(columns=columns, counts=counts)).fetchall() if domain else []
        top = con.execute(_DUCKDB_PAIRS, {"least": PAIR_MIN_ITEMS, "pairs": PAIRS}).fetchall()
        raters = values["rater"]
        pairs = [(raters[a], raters[b]) for a, b, _ in top]
        chosen = sorted({code for a, b, _ in top for code in (a, b)})
        newest = pd.DataFrame(columns=["item", "rater", "label"])
        if chosen:
            newest = con.execute(_DUCKDB_NEWEST, [chosen]).to_arrow_table().to_pandas()

    def names(column: str) -> dict[str, str]:
        return {str(code): value for code, value in enumerate(values[column])}

    for dim, column in (("rater", "rater"), ("vendor", "vendor"), ("queue", "queue"), ("policy", "family")):
        chosen_rows = tallies["dim"] == dim
        tallies.loc[chosen_rows, "key"] = tallies.loc[chosen_rows, "key"].map(names(column))
    rater_policy = tallies["dim"] == "rater_policy"
    tallies.loc[rater_policy, "key"] = tallies.loc[rater_policy, "key"].map(names("rater"))
    tallies.loc[rater_policy, "sub"] = tallies.loc[rater_policy, "sub"].map(names("family"))
    labels = np.asarray(domain, dtype=object)
    for frame in (confusion, disagreements):
        for column in ("answer", "label"):
            frame[column] = labels[frame[column].to_numpy(dtype=np.int64)]
    disagreements["rater"] = np.asarray(raters, dtype=object)[disagreements["rater"].to_numpy(dtype=np.int64)]
    sources = np.asarray(values["source"], dtype=object)
    disagreements["source"] = sources[disagreements["source"].to_numpy(dtype=np.int64)]
    width = len(domain) if domain else 1
    rows = np.asarray([row[:-1] for row in found], dtype=np.int64).reshape(len(found), width)
    return Aggregates(
        labels=tuple(domain),
        patterns=rows if len(domain) else np.zeros((len(found), 0), dtype=np.int64),
        pattern_items=np.asarray([row[-1] for row in found], dtype=np.int64),
        tallies=tallies,
        vendors=vendors,
        confusion=confusion,
        disagreements=disagreements,
        pairs=_pair_labels(pairs, newest),
        daily=daily,
    )


def _pair_labels(
    pairs: list[tuple[str, str]], newest: pd.DataFrame
) -> tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]:
    """For each pair, the newest label each gave on the items both rated, item by item."""
    found = []
    for a, b in pairs:
        both = newest[newest["rater"] == a].merge(newest[newest["rater"] == b], on="item").sort_values("item")
        found.append((a, b, tuple(both["label_x"]), tuple(both["label_y"])))
    return tuple(found)


# --- pandas (the baseline) --------------------------------------------------------------------------


def _pandas(selected: pa.Table) -> Aggregates:
    frame = selected.to_pandas()
    domain = sorted(set(frame["label"].unique()) | set(frame["reference"].dropna().unique()))
    code = {label: i for i, label in enumerate(domain)}
    families = [label.split(".", 1)[0] for label in domain]
    label = pd.Categorical(frame["label"], categories=domain).codes.astype(np.int64)
    reference = pd.Categorical(frame["reference"], categories=domain).codes.astype(np.int64)
    item = frame["item"].to_numpy()

    counts = pd.DataFrame({"item": item, "label": label}).groupby(["item", "label"]).size().rename("c").reset_index()
    counts["n"] = counts.groupby("item")["c"].transform("sum")
    rated_twice = counts[counts["n"] >= 2]
    candidates = rated_twice[["item", "label"]].merge(rated_twice.rename(columns={"label": "answer"}), on="item")
    others = candidates["c"] - (candidates["label"] == candidates["answer"])
    majority = candidates.loc[2 * others > candidates["n"] - 1, ["item", "label", "answer"]]
    joined = pd.DataFrame({"item": item, "label": label}).merge(majority, on=["item", "label"], how="left")
    majority_answer = joined["answer"].fillna(-1).to_numpy(dtype=np.int64)
    by_majority = np.where(
        np.asarray(_majority_ok(selected).to_numpy(zero_copy_only=False), dtype=bool), majority_answer, -1
    )
    answer: Any = np.where(reference >= 0, reference, by_majority)

    family_code = np.asarray([sorted(set(families)).index(f) for f in families], dtype=np.int64)
    family_names = sorted(set(families))
    stamp = frame["decided_at"].to_numpy(dtype="datetime64[us]").astype(np.int64)
    day = stamp // _DAY_US
    daily = len(stamp) == 0 or int(stamp.max() - stamp.min()) < 14 * _DAY_US
    scored = answer >= 0
    overturned = frame["overturned"]
    rows = pd.DataFrame(
        {
            "rater": frame["rater"],
            "vendor": frame["vendor"],
            "queue": frame["queue"],
            "label_policy": np.asarray(family_names, dtype=object)[family_code[label]],
            "answer_policy": np.where(
                scored, np.asarray([*family_names, ""], dtype=object)[family_code[np.maximum(answer, 0)]], None
            ),
            "d": 1,
            "s": scored.astype(np.int64),
            "c": (answer == label).astype(np.int64),
            "a": overturned.notna().to_numpy().astype(np.int64),
            "o": overturned.fillna(False).to_numpy(dtype=bool).astype(np.int64),
            "period": day if daily else (day + 3) // 7 * 7 - 3,
        }
    )
    judged = rows[rows["s"] == 1]
    parts = [
        _sums(rows, "rater", ["rater"]),
        _sums(rows.dropna(subset=["vendor"]), "vendor", ["vendor"]),
        _sums(rows.dropna(subset=["queue"]), "queue", ["queue"]),
        _sums(rows, "policy", ["label_policy"], decided=True),
        _sums(judged, "policy", ["answer_policy"], decided=False),
        _sums(rows, "rater_policy", ["rater", "label_policy"], decided=True),
        _sums(judged, "rater_policy", ["rater", "answer_policy"], decided=False),
        _sums(rows.assign(period=rows["period"].astype(str)), "period", ["period"], appeals=False),
    ]
    tallies = pd.concat(parts, ignore_index=True)

    names = np.asarray(domain, dtype=object)
    wrong = scored & (answer != label)
    disagreements = pd.DataFrame(
        {
            "rater": frame["rater"][wrong],
            "decision_pk": frame["decision_pk"][wrong],
            "item": item[wrong],
            "label": names[label[wrong]],
            "answer": names[answer[wrong]],
            "decided_at": frame["decided_at"][wrong],
            "source": frame["source"][wrong],
        }
    )
    disagreements = (
        disagreements.assign(_pk=disagreements["decision_pk"].fillna(-1))
        .sort_values(
            ["rater", "decided_at", "item", "label", "source", "_pk"], ascending=[True, False, False, True, True, False]
        )
        .groupby("rater")
        .head(EVIDENCE)
        .drop(columns="_pk")
    )
    confusion = (
        pd.DataFrame({"answer": names[answer[scored]], "label": names[label[scored]]})
        .groupby(["answer", "label"])
        .size()
        .rename("n")
        .reset_index()
    )

    matrix_items, item_rows = np.unique(rated_twice["item"].to_numpy(), return_inverse=True)
    full = np.zeros((len(matrix_items), len(domain)), dtype=np.int64)
    full[item_rows, rated_twice["label"].to_numpy()] = rated_twice["c"].to_numpy()
    present = sorted(set(frame["label"].unique()))
    full = full[:, [code[p] for p in present]]
    if len(full):
        patterns, pattern_items = np.unique(full, axis=0, return_counts=True)
    else:
        patterns, pattern_items = full, np.zeros(0, dtype=np.int64)

    raters = pd.DataFrame({"item": item, "rater": frame["rater"]}).drop_duplicates()
    raters = raters[raters["item"].isin(matrix_items)]
    shared = raters.merge(raters, on="item")
    shared = shared[shared["rater_x"] < shared["rater_y"]].groupby(["rater_x", "rater_y"]).size().rename("n")
    shared = shared[shared >= PAIR_MIN_ITEMS].reset_index()
    shared = shared.sort_values(["n", "rater_x", "rater_y"], ascending=[False, True, True]).head(PAIRS)
    top = list(zip(shared["rater_x"], shared["rater_y"], strict=True))
    chosen = {r for pair in top for r in pair}
    newest = (
        frame.loc[frame["rater"].isin(chosen), ["item", "rater", "decided_at", "label"]]
        .sort_values(["decided_at", "label"])
        .groupby(["item", "rater"])
        .tail(1)
    )
    vendors = {str(k): (None if pd.isna(v) else str(v)) for k, v in frame.groupby("rater")["vendor"].max().items()}
    return Aggregates(
        labels=tuple(present),
        patterns=patterns.astype(np.int64),
        pattern_items=pattern_items.astype(np.int64),
        tallies=tallies,
        vendors=vendors,
        confusion=confusion,
        disagreements=disagreements,
        pairs=_pair_labels(top, newest),
        daily=daily,
    )


def _sums(
    rows: pd.DataFrame, dim: str, by: list[str], *, decided: bool | None = None, appeals: bool = True
) -> pd.DataFrame:
    """One dimension's counts; `decided`: only the decisions and appeals (True) or only the scores (False)."""
    sums = rows.groupby(by, dropna=True)[["d", "s", "c", "a", "o"]].sum().reset_index()
    out = pd.DataFrame(
        {
            "dim": dim,
            "key": sums[by[0]].astype(str),
            "sub": sums[by[1]].astype(str) if len(by) > 1 else "",
            "decisions": sums["d"] if decided is not False else 0,
            "scored": sums["s"] if decided is not True else 0,
            "correct": sums["c"] if decided is not True else 0,
            "appeals": sums["a"] if decided is not False and appeals else 0,
            "overturned": sums["o"] if decided is not False and appeals else 0,
        }
    )
    return out


# --- the report -------------------------------------------------------------------------------------


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
