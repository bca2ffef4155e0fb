"""The DuckDB quality engine (the default): the ratings aggregated into `Aggregates` by SQL over the Arrow
table, in-process and without a copy; rater pairs counted by numpy and scipy beside it.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from bastion.domain.quality import RatingSource
from bastion.quality.aggregates import DAY_US, EVIDENCE, PAIR_MIN_ITEMS, PAIRS, Aggregates, pair_labels
from bastion.quality.statistics import IntArray

_THREADS = os.cpu_count() or 1

# No join of ratings with ratings. The item x label counts are aggregated once; from them each item keeps
# its number of ratings, its most given label with its count, the answer of its ratings of that label and
# of the others (the others' strict majority can only be the most given label or, for a rating of it, a
# label that ties with it), and its label counts packed as the digits of a few integers (its pattern, for
# alpha). A rating's answer is then its reference or one of its item's two. Every rating is joined with its
# item once for the counts (one pass, two grouping sets) and once more, on the disputed items only, for the
# evidence; rater pairs are counted by numpy beside DuckDB.

_DUCKDB_ITEM_LABELS = """
CREATE TEMP TABLE item_labels AS SELECT item, label_code AS code, count(*) AS c FROM coded GROUP BY item, label_code
"""

# every item once: `n` ratings, `most` of them gave `top` (the highest code among ties; `tied` the lowest),
# the answer of its ratings whose label is not `top` (`other`: the others' majority can only be `top`) and of
# those whose label is `top` (`same`: `tied` when it ties with `top`, else `top` if still a majority without
# the rating's own), and its label counts as the digits, base `max(c) + 1`, of a few BIGINTs (`p0`, ...)
_DUCKDB_ITEMS = """
CREATE TEMP TABLE items AS
SELECT item, n, most, top,
       CASE WHEN 2 * most > n - 1 THEN top END AS other,
       CASE WHEN tied <> top THEN CASE WHEN 2 * most > n - 1 THEN tied END
            WHEN 2 * (most - 1) > n - 1 THEN top END AS same{columns}
FROM (
    SELECT item, sum(c)::BIGINT AS n, max(c * $k + code) // $k AS most, max(c * $k + code) % $k AS top,
           $k - 1 - max(c * $k + ($k - 1 - code)) % $k AS tied{patterns}
    FROM item_labels GROUP BY item
)
"""

# the answer of rating `r` of item `i`: its reference, else (unless a QA re-review) the others' majority
_DUCKDB_ANSWER = """coalesce(r.reference_code, CASE WHEN r.source_code IS DISTINCT FROM $qa
    THEN CASE WHEN r.label_code = i.top THEN i.same ELSE i.other END END)"""

_DAY = "epoch_us(r.decided_at) // 86400000000"
_WEEK = f"({_DAY} + 3) // 7 * 7 - 3"  # the Monday on or before (day 0, 1970-01-01, was a Thursday)

# grouping(rater, queue): 1 for (rater, vendor, label, answer), 2 for (queue, period)
_DUCKDB_CELLS = """
CREATE TEMP TABLE cells AS
SELECT grouping(rater, queue) AS grouped, rater, vendor, label, answer, queue, period,
       count(*) AS decisions, count(answer) AS scored, count(*) FILTER (WHERE answer = label) AS correct,
       count(overturned) AS appeals, count(*) FILTER (WHERE overturned) AS overturned
FROM (
    SELECT r.rater_code AS rater, r.vendor_code AS vendor, r.label_code AS label, {answer} AS answer,
           r.queue_code AS queue, {period} AS period, r.overturned
    FROM coded r JOIN items i ON i.item = r.item
)
GROUP BY GROUPING SETS ((rater, vendor, label, answer), (queue, period))
"""

_DUCKDB_TALLIES = """
WITH c AS (
    SELECT cells.*, lf.family AS label_family, af.family AS answer_family
    FROM cells LEFT JOIN families lf ON lf.code = cells.label LEFT JOIN families af ON af.code = cells.answer
    WHERE grouped = 1
)
SELECT 'rater' AS dim, rater AS key, NULL::INTEGER AS sub, sum(decisions) AS decisions, sum(scored) AS scored,
       sum(correct) AS correct, sum(appeals) AS appeals, sum(overturned) AS overturned FROM c GROUP BY rater
UNION ALL SELECT 'vendor', vendor, NULL, sum(decisions), sum(scored), sum(correct), sum(appeals), sum(overturned)
    FROM c WHERE vendor IS NOT NULL GROUP BY vendor
UNION ALL SELECT 'queue', queue, NULL, sum(decisions), sum(scored), sum(correct), sum(appeals), sum(overturned)
    FROM cells WHERE grouped = 2 AND queue IS NOT NULL GROUP BY queue
UNION ALL SELECT 'policy', label_family, NULL, sum(decisions), 0, 0, sum(appeals), sum(overturned)
    FROM c GROUP BY label_family
UNION ALL SELECT 'policy', answer_family, NULL, 0, sum(scored), sum(correct), 0, 0
    FROM c WHERE answer IS NOT NULL GROUP BY answer_family
UNION ALL SELECT 'rater_policy', rater, label_family, sum(decisions), 0, 0, sum(appeals), sum(overturned)
    FROM c GROUP BY rater, label_family
UNION ALL SELECT 'rater_policy', rater, answer_family, 0, sum(scored), sum(correct), 0, 0
    FROM c WHERE answer IS NOT NULL GROUP BY rater, answer_family
UNION ALL SELECT 'period', period, NULL, sum(decisions), sum(scored), sum(correct), 0, 0
    FROM cells WHERE grouped = 2 GROUP BY period
"""

# each rater's newest disagreements: decided_at, item, decision_pk newest first, then label and source A-Z
_DUCKDB_DISAGREEMENTS = """
SELECT rater, unnest(newest, recursive := true) FROM (
    SELECT rater, max_by(
        struct_pack(decision_pk := decision_pk, item := item, label := label, answer := answer,
                    decided_at := decided_at, source := source),
        struct_pack(t := decided_at, i := item, l := -$label_rank[label + 1],
                    s := coalesce(-$source_rank[source + 1], -2147483648), p := coalesce(decision_pk, -1)),
        $evidence
    ) AS newest
    FROM (
        SELECT rater_code AS rater, decision_pk, item, label_code AS label, reference_code AS answer, decided_at,
               source_code AS source
        FROM coded WHERE reference_code <> label_code
        UNION ALL
        SELECT r.rater_code, r.decision_pk, r.item, r.label_code, {answer}, r.decided_at, r.source_code
        FROM coded r JOIN items i ON i.item = r.item
        WHERE r.reference_code IS NULL AND i.n > i.most
    )
    WHERE answer <> label
    GROUP BY rater
)
"""

_DUCKDB_PATTERNS = "SELECT {columns}, count(*) AS items FROM items WHERE n >= 2 GROUP BY ALL"

_DUCKDB_NEWEST = """
SELECT item, rater_code AS rater,
       arg_max(label_code, struct_pack(at := decided_at, label := $label_rank[label_code + 1])) AS label
FROM coded WHERE rater_code IN (SELECT code FROM chosen) GROUP BY item, rater_code
"""

_CODED = ("rater", "vendor", "queue", "source")


def _dictionary(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, list[str]]:
    """The column dictionary-encoded (one dictionary for all its chunks), and that dictionary's values."""
    encoded = pa.table({"x": pc.dictionary_encode(column)}).unify_dictionaries()["x"]
    if encoded.num_chunks == 0:
        return encoded, []
    return encoded, [str(x) for x in encoded.chunk(0).dictionary.to_pylist()]


def _indices(chunks: list[pa.DictionaryArray]) -> pa.ChunkedArray:
    return pa.chunked_array([chunk.indices for chunk in chunks], pa.int32())


def _coded(selected: pa.Table, pool: ThreadPoolExecutor) -> tuple[pa.Table, dict[str, list[str]]]:
    """The columns the engine reads, strings replaced by integer codes: each string column's Arrow
    dictionary encoding (one hashing pass, the columns side by side on `pool`: Arrow releases the GIL),
    whose indices are the codes, without a copy; `values` holds each column's dictionary, in code order
    (first seen first, not sorted: where order matters, the queries take each code's rank by name). Labels
    and references are encoded together, so that they share their codes. Joins and groupings run on
    integers, and the strings come back only in the small results."""
    labels = pa.chunked_array([*selected["label"].chunks, *selected["reference"].chunks], pa.string())
    jobs = {"label": labels} | {name: selected[name] for name in _CODED}
    encoded = dict(zip(jobs, pool.map(_dictionary, jobs.values()), strict=True))
    values = {name: found for name, (_, found) in encoded.items()}
    chunks = encoded["label"][0].chunks
    split = selected["label"].num_chunks
    columns = {"item": selected["item"], "label_code": _indices(chunks[:split])}
    columns["reference_code"] = _indices(chunks[split:])
    for name in _CODED:
        columns[f"{name}_code"] = _indices(encoded[name][0].chunks)
    for name in ("decided_at", "decision_pk", "overturned"):
        columns[name] = selected[name]
    values["family"] = sorted({label.split(".", 1)[0] for label in values["label"]})
    return pa.table(columns), values


def _ranks(values: list[str]) -> list[int]:
    """Each code's rank in the sorted values."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0] * len(values)
    for rank, code in enumerate(order):
        ranks[code] = rank
    return ranks


def _digits(base: int) -> int:
    """How many digits of `base` a BIGINT holds (their sum below 2**62)."""
    per = 1
    while base ** (per + 1) <= 2**62:
        per += 1
    return per


def _powers(k: int, base: int) -> list[list[int]]:
    """Where each label's count goes in an item's packed pattern: for each BIGINT of the pattern, each
    label's place (a power of `base`; 0 when the label's digit is in another BIGINT)."""
    per = _digits(base)
    chunks = -(-k // per)
    return [[base ** (code % per) if code // per == chunk else 0 for code in range(k)] for chunk in range(chunks)]


def _unpacked(found: list[tuple[Any, ...]], k: int, base: int) -> tuple[IntArray, IntArray]:
    """The label counts (patterns x k) of each packed pattern row (its BIGINTs, then its items)."""
    per = _digits(base)
    patterns = np.zeros((len(found), k), dtype=np.int64)
    for row, packed in enumerate(found):
        for chunk, number in enumerate(packed[:-1]):
            number = int(number)
            for code in range(chunk * per, min(k, (chunk + 1) * per)):
                number, patterns[row, code] = divmod(number, base)
    return patterns, np.asarray([int(row[-1]) for row in found], dtype=np.int64)


def _top_pairs(item: IntArray, rater: IntArray, ranks: list[int]) -> list[tuple[int, int, int]]:
    """The `PAIRS` rater pairs (codes a, b, a's name before b's) sharing the most items (at least
    `PAIR_MIN_ITEMS`), most first, then by names (`ranks`: each rater code's). A compressed sparse row
    matrix items x raters (scipy: a counting sort; a rater who rated an item twice is there once), then,
    for the items of each size, every pair of their raters, counted."""
    raters = len(ranks)
    if len(item) == 0:
        return []
    low = int(item.min())
    dense = int(item.max()) - low < 4 * len(item)  # store ids are: use them as rows, else number them
    rows = item - low if dense else np.unique(item, return_inverse=True)[1]
    matrix = sparse.csr_matrix(
        (np.ones(len(item), dtype=np.int32), (rows, rater)), shape=(int(rows.max()) + 1, max(raters, 1))
    )
    matrix.sum_duplicates()
    starts, indices = matrix.indptr[:-1], matrix.indices.astype(np.int64)
    sizes = np.diff(matrix.indptr)
    codes = []
    for size in np.unique(sizes[sizes >= 2]):
        block = indices[starts[sizes == size][:, np.newaxis] + np.arange(size)]
        first, second = np.triu_indices(int(size), 1)
        codes.append((block[:, first] * raters + block[:, second]).ravel())
    if not codes:
        return []
    every = np.concatenate(codes)
    if raters * raters <= 1 << 24:
        counts = np.bincount(every, minlength=raters * raters)
        pair_codes = np.flatnonzero(counts >= PAIR_MIN_ITEMS)
        shared = counts[pair_codes]
    else:
        pair_codes, shared = np.unique(every, return_counts=True)
        kept = shared >= PAIR_MIN_ITEMS
        pair_codes, shared = pair_codes[kept], shared[kept]
    rank = np.asarray(ranks, dtype=np.int64)
    x, y = pair_codes // raters, pair_codes % raters
    a, b = np.where(rank[x] < rank[y], x, y), np.where(rank[x] < rank[y], y, x)
    order = np.lexsort((rank[b], rank[a], -shared))[:PAIRS]
    return [(int(a[n]), int(b[n]), int(shared[n])) for n in order]


def aggregate(selected: pa.Table) -> Aggregates:
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        return _aggregate_on(selected, pool)


def _aggregate_on(selected: pa.Table, pool: ThreadPoolExecutor) -> Aggregates:
    """The DuckDB engine, with `pool` for the work done beside DuckDB's own threads: encoding the strings,
    and counting rater pairs (numpy) while DuckDB aggregates."""
    coded, values = _coded(selected, pool)
    domain, families = values["label"], values["family"]
    k = len(domain)
    stamps = pc.min_max(coded["decided_at"])
    low, high = stamps["min"].value, stamps["max"].value
    daily = low is None or high is None or high - low < 14 * DAY_US  # microseconds
    family_table = pa.table(
        {
            "code": pa.array(range(k), pa.int32()),
            "family": pa.array([families.index(x.split(".", 1)[0]) for x in domain], pa.int32()),
        }
    )
    qa = values["source"].index(RatingSource.QA.value) if RatingSource.QA.value in values["source"] else -1
    answer = _DUCKDB_ANSWER
    label_rank = _ranks(domain)
    evidence = {"qa": qa, "evidence": EVIDENCE, "label_rank": label_rank, "source_rank": _ranks(values["source"])}
    item = coded["item"].combine_chunks().to_numpy()
    rater_codes = coded["rater_code"].combine_chunks().to_numpy()
    pairs_counted = pool.submit(_top_pairs, item, rater_codes, _ranks(values["rater"]))
    with duckdb.connect(":memory:", config={"threads": _THREADS}) as con:
        con.execute("SET enable_progress_bar = false")
        # the ratings (the larger side) probe the items' hash table, never the reverse
        con.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
        con.register("coded", coded)
        con.register("families", family_table)
        con.execute(_DUCKDB_ITEM_LABELS)
        most = con.sql("SELECT max(c) FROM item_labels").fetchone()
        base = int(most[0]) + 1 if most is not None and most[0] is not None else 2
        powers = _powers(k, base)
        chunks = len(powers)
        # the columns are numbered, never named after data: the labels stay out of the statement
        sums = "".join(f", sum(c * $p{chunk}[code + 1]) AS p{chunk}" for chunk in range(chunks))
        columns = ", ".join(f"p{chunk}" for chunk in range(chunks))
        parameters: dict[str, object] = {"k": max(k, 1)} | {f"p{chunk}": power for chunk, power in enumerate(powers)}
        con.execute(_DUCKDB_ITEMS.format(patterns=sums, columns=f", {columns}" if chunks else ""), parameters)
        found = con.sql(_DUCKDB_PATTERNS.format(columns=columns)).fetchall() if chunks else []
        con.execute(_DUCKDB_CELLS.format(answer=answer, period=_DAY if daily else _WEEK), {"qa": qa})
        tallies = con.sql(_DUCKDB_TALLIES).to_arrow_table().to_pandas()
        vendors_found = con.sql("SELECT DISTINCT rater, vendor FROM cells WHERE grouped = 1").fetchall()
        confusion = (
            con.sql(
                "SELECT answer, label, sum(decisions) AS n FROM cells WHERE grouped = 1 AND answer IS NOT NULL "
                "GROUP BY answer, label"
            )
            .to_arrow_table()
            .to_pandas()
        )
        disagreements = (
            con.execute(
                _DUCKDB_DISAGREEMENTS.format(answer=answer),
                evidence,
            )
            .to_arrow_table()
            .to_pandas()
        )
        top = pairs_counted.result()
        chosen = sorted({code for a, b, _ in top for code in (a, b)})
        newest = pd.DataFrame(columns=["item", "rater", "label"])
        if chosen:
            con.register("chosen", pa.table({"code": pa.array(chosen, pa.int32())}))
            newest = con.execute(_DUCKDB_NEWEST, {"label_rank": label_rank}).to_arrow_table().to_pandas()

    raters = np.asarray(values["rater"], dtype=object)
    labels = np.asarray(domain, dtype=object)
    names = {"rater": raters, "vendor": np.asarray(values["vendor"], dtype=object)}
    names |= {"queue": np.asarray(values["queue"], dtype=object), "policy": np.asarray(families, dtype=object)}
    names["rater_policy"] = raters
    keys = np.full(len(tallies), "", dtype=object)
    subs = np.full(len(tallies), "", dtype=object)
    for dim, named in names.items():
        chosen_rows = (tallies["dim"] == dim).to_numpy()
        keys[chosen_rows] = named[tallies.loc[chosen_rows, "key"].to_numpy(dtype=np.int64)]
    rater_policy = (tallies["dim"] == "rater_policy").to_numpy()
    subs[rater_policy] = names["policy"][tallies.loc[rater_policy, "sub"].to_numpy(dtype=np.int64)]
    period = (tallies["dim"] == "period").to_numpy()
    keys[period] = tallies.loc[period, "key"].astype(np.int64).astype(str).to_numpy()
    tallies = tallies.assign(key=keys, sub=subs)
    for column in ("decisions", "scored", "correct", "appeals", "overturned"):
        tallies[column] = tallies[column].astype(np.int64)
    for frame in (confusion, disagreements):
        for column in ("answer", "label"):
            frame[column] = labels[frame[column].to_numpy(dtype=np.int64)]
    confusion["n"] = confusion["n"].astype(np.int64)
    disagreements["rater"] = raters[disagreements["rater"].to_numpy(dtype=np.int64)]
    sources = np.asarray(values["source"], dtype=object)
    disagreements["source"] = sources[disagreements["source"].to_numpy(dtype=np.int64)]
    newest["rater"] = raters[newest["rater"].to_numpy(dtype=np.int64)]
    newest["label"] = labels[newest["label"].to_numpy(dtype=np.int64)]
    vendor_names = values["vendor"]
    seen: dict[str, list[str]] = {}
    for r, v in vendors_found:  # each rater's greatest vendor by name, as the pandas engine's max
        seen.setdefault(str(raters[r]), []).extend([] if v is None else [vendor_names[v]])
    vendors = {rater: max(found) if found else None for rater, found in seen.items()}
    patterns, pattern_items = _unpacked(found, k, base)
    by_name = sorted(range(k), key=domain.__getitem__)  # the columns in the labels' order, as pandas'
    return Aggregates(
        labels=tuple(domain[code] for code in by_name),
        patterns=patterns[:, by_name],
        pattern_items=pattern_items,
        tallies=tallies,
        vendors=vendors,
        confusion=confusion,
        disagreements=disagreements,
        pairs=pair_labels([(str(raters[a]), str(raters[b])) for a, b, _ in top], newest),
        daily=daily,
    )
