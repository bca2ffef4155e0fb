"""The pandas quality engine: the baseline the benchmark compares the DuckDB engine with, written the
plain way in pandas (merges and group-bys over the ratings); its report must equal the DuckDB engine's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bastion.domain.quality import RatingSource
from bastion.quality.aggregates import DAY_US, EVIDENCE, PAIR_MIN_ITEMS, PAIRS, Aggregates, pair_labels


def aggregate(selected: pa.Table) -> Aggregates:
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
    day = stamp // DAY_US
    daily = len(stamp) == 0 or int(stamp.max() - stamp.min()) < 14 * DAY_US
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
        pairs=pair_labels(top, newest),
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


def _majority_ok(selected: pa.Table) -> pa.ChunkedArray:
    """Whether a rating without a reference may be scored against the others' majority: not a QA
    re-review, which is the reference of the decision it checks and never judged by it."""
    return pc.fill_null(pc.not_equal(selected["source"], RatingSource.QA.value), True)
