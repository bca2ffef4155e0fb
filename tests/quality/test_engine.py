"""The quality report's figures, each checked against krippendorff, statsmodels or scikit-learn computed
here directly on the same labels; and the DuckDB and pandas engines held to the same report."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import krippendorff
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score, confusion_matrix
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
from statsmodels.stats.proportion import proportion_confint

from bastion.errors import InvalidInput
from bastion.quality.engine import ENGINES, compute_report
from bastion.quality.ratings import RATINGS_SCHEMA
from bastion.quality.report import QualityReport, Thresholds

START = datetime(2026, 10, 5, 9, tzinfo=UTC)  # a Monday
AS_OF = START + timedelta(days=120)
LABELS = ["none", "hate_speech.slur", "hate_speech.dehumanization", "spam.scam", "violence.threat"]


@dataclass
class Rating:
    item: int
    rater: str
    label: str
    at: datetime = START
    reference: str | None = None
    vendor: str | None = None
    queue: str | None = "general"
    overturned: bool | None = None
    source: str = "review"
    decision_pk: int | None = None


def table(ratings: list[Rating]) -> pa.Table:
    return pa.table(
        {
            "item": [r.item for r in ratings],
            "rater": [r.rater for r in ratings],
            "vendor": [r.vendor for r in ratings],
            "queue": [r.queue for r in ratings],
            "label": [r.label for r in ratings],
            "decided_at": [r.at for r in ratings],
            "source": [r.source for r in ratings],
            "reference": [r.reference for r in ratings],
            "decision_pk": [r.decision_pk if r.decision_pk is not None else n for n, r in enumerate(ratings)],
            "overturned": [r.overturned for r in ratings],
        },
        schema=RATINGS_SCHEMA,
    )


def simulated(seed: int, items: int = 400, raters: int = 8, sizes: tuple[int, ...] = (1, 2, 3, 4)) -> list[Rating]:
    """Items rated by distinct raters of planted accuracies, some with a reference, over 10 weeks."""
    rng = np.random.default_rng(seed)
    accuracy = rng.uniform(0.5, 0.95, size=raters)
    found = []
    for item in range(items):
        truth = LABELS[0] if rng.random() < 0.5 else LABELS[rng.integers(1, len(LABELS))]
        for rater in rng.choice(raters, size=int(rng.choice(sizes)), replace=False):
            label = truth if rng.random() < accuracy[rater] else LABELS[rng.integers(0, len(LABELS))]
            found.append(
                Rating(
                    item=item,
                    rater=f"r{rater}",
                    label=label,
                    at=START + timedelta(hours=int(rng.integers(0, 24 * 70))),
                    reference=truth if rng.random() < 0.2 else None,
                    vendor=f"v{rater % 3}" if rater % 3 else None,
                    queue=["general", "hate", None][int(rng.integers(0, 3))],
                    overturned=None if rng.random() < 0.8 else bool(rng.random() < 0.4),
                )
            )
    return found


def report(ratings: list[Rating], engine: str = "duckdb", **options: object) -> QualityReport:
    return compute_report(table(ratings), as_of=AS_OF, engine=engine, **options)  # type: ignore[arg-type]


def answers(ratings: list[Rating]) -> list[str | None]:
    """Each rating's answer, by hand: its reference, else the strict majority of the item's other ratings."""
    by_item: dict[int, list[str]] = {}
    for r in ratings:
        by_item.setdefault(r.item, []).append(r.label)
    found: list[str | None] = []
    for r in ratings:
        if r.reference is not None:
            found.append(r.reference)
            continue
        others = Counter(by_item[r.item])
        others[r.label] -= 1
        total = sum(others.values())
        top = [label for label, n in others.items() if 2 * n > total]
        found.append(top[0] if total and top else None)
    return found


@pytest.mark.parametrize("engine", ENGINES)
def test_agreement_is_what_the_libraries_compute_on_the_same_labels(engine: str) -> None:
    ratings = simulated(1)
    found = report(ratings, engine).agreement
    raters = sorted({r.rater for r in ratings})
    items = sorted({r.item for r in ratings})
    codes = {label: n for n, label in enumerate(LABELS)}
    data = np.full((len(raters), len(items)), np.nan)
    for r in ratings:
        data[raters.index(r.rater), items.index(r.item)] = codes[r.label]
    expected_alpha = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert found.krippendorff_alpha == pytest.approx(expected_alpha, abs=1e-12)

    per_item: dict[int, list[str]] = {}
    for r in ratings:
        per_item.setdefault(r.item, []).append(r.label)
    rated_twice = {item: labels for item, labels in per_item.items() if len(labels) >= 2}
    assert found.items == len(rated_twice)
    assert found.ratings == sum(len(labels) for labels in rated_twice.values())

    kappas = []
    for size in sorted({len(labels) for labels in rated_twice.values()}):
        group = [[codes[x] for x in labels] for labels in rated_twice.values() if len(labels) == size]
        counts, _ = aggregate_raters(np.asarray(group), n_cat=len(LABELS))
        kappas.append((fleiss_kappa(counts, method="fleiss"), len(group)))
    expected_fleiss = sum(k * n for k, n in kappas) / sum(n for _, n in kappas)
    assert found.fleiss_kappa == pytest.approx(expected_fleiss, abs=1e-12)

    shares = [
        sum(a == b for a, b in itertools.combinations(labels, 2)) / math.comb(len(labels), 2)
        for labels in rated_twice.values()
    ]
    assert found.percent_agreement == pytest.approx(sum(shares) / len(shares), abs=1e-12)


def test_fleiss_kappa_on_equal_ratings_per_item_is_statsmodels_on_the_whole_table() -> None:
    ratings = simulated(2, sizes=(3,))
    per_item: dict[int, list[int]] = {}
    for r in ratings:
        per_item.setdefault(r.item, []).append(LABELS.index(r.label))
    counts, _ = aggregate_raters(np.asarray(list(per_item.values())), n_cat=len(LABELS))
    assert report(ratings).agreement.fleiss_kappa == pytest.approx(fleiss_kappa(counts), abs=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_accuracy_per_reviewer_vendor_queue_and_policy_with_wilson_intervals(engine: str) -> None:
    ratings = simulated(3)
    found = report(ratings, engine)
    truth = answers(ratings)

    def check(scores: dict[str, object], key_of: object) -> None:
        groups: dict[str, list[tuple[Rating, str | None]]] = {}
        for r, answer in zip(ratings, truth, strict=True):
            key = key_of(r, answer)  # type: ignore[operator]
            if key is not None:
                groups.setdefault(key, []).append((r, answer))
        assert set(scores) == set(groups)
        for key, rows in groups.items():
            score = scores[key]
            judged = [(r, a) for r, a in rows if a is not None]
            correct = sum(r.label == a for r, a in judged)
            assert (score.scored, score.correct) == (len(judged), correct), key  # type: ignore[attr-defined]
            low, high = proportion_confint(correct, len(judged), alpha=0.05, method="wilson")
            assert score.accuracy == pytest.approx(correct / len(judged))  # type: ignore[attr-defined]
            assert (score.accuracy_low, score.accuracy_high) == pytest.approx((low, high))  # type: ignore[attr-defined]

    check({s.key: s for s in found.reviewers}, lambda r, a: r.rater)
    check({s.key: s for s in found.vendors}, lambda r, a: r.vendor)
    check({s.key: s for s in found.queues}, lambda r, a: r.queue)
    scored_policies = {s.key: s for s in found.policies if s.scored}
    check(scored_policies, lambda r, a: a.split(".")[0] if a is not None else None)
    for reviewer in found.reviewers:
        assert reviewer.decisions == sum(r.rater == reviewer.key for r in ratings)


def test_overturn_rates_per_reviewer_and_policy_of_the_decision() -> None:
    ratings = simulated(4)
    found = report(ratings)
    for reviewer in found.reviewers:
        appealed = [r for r in ratings if r.rater == reviewer.key and r.overturned is not None]
        overturned = sum(bool(r.overturned) for r in appealed)
        assert (reviewer.appeals, reviewer.overturned) == (len(appealed), overturned)
        assert reviewer.overturn_rate == (overturned / len(appealed) if appealed else None)
    for policy in found.policies:
        decided = [r for r in ratings if r.label.split(".")[0] == policy.key]
        assert policy.decisions == len(decided)
        assert policy.appeals == sum(r.overturned is not None for r in decided)
        assert policy.overturned == sum(bool(r.overturned) for r in decided)


@pytest.mark.parametrize("engine", ENGINES)
def test_confusion_matrix_is_scikit_learns_and_pairs_are_ranked(engine: str) -> None:
    ratings = simulated(5)
    truth = answers(ratings)
    found = report(ratings, engine)
    scored = [(a, r.label) for r, a in zip(ratings, truth, strict=True) if a is not None]
    labels = sorted({x for pair in scored for x in pair})
    expected = confusion_matrix([a for a, _ in scored], [b for _, b in scored], labels=labels)
    assert found.confusion.labels == tuple(labels)
    assert np.array_equal(np.asarray(found.confusion.matrix), expected)
    off = {(a, b): 0 for a, b in itertools.combinations(labels, 2)}
    for a, b in scored:
        if a != b:
            off[tuple(sorted((a, b)))] += 1  # type: ignore[index]
    total = sum(off.values())
    ranked = sorted(((n, a, b) for (a, b), n in off.items() if n), key=lambda t: (-t[0], t[1], t[2]))
    assert [(p.a, p.b, p.count) for p in found.confused_pairs] == [(a, b, n) for n, a, b in ranked]
    assert found.confused_pairs[0].share == pytest.approx(ranked[0][0] / total)


def test_cohen_kappa_for_the_pairs_sharing_most_items() -> None:
    ratings = simulated(6, items=600, raters=5, sizes=(2, 3))
    found = report(ratings)
    assert found.pairs, "five raters over 600 items share plenty"
    by_rater: dict[str, dict[int, str]] = {}
    for r in ratings:
        by_rater.setdefault(r.rater, {})[r.item] = r.label
    shared = {
        (a, b): sorted(by_rater[a].keys() & by_rater[b].keys()) for a, b in itertools.combinations(sorted(by_rater), 2)
    }
    most = max(len(items) for items in shared.values())
    assert found.pairs[0].items == most
    for pair in found.pairs:
        items = shared[(pair.a, pair.b)]
        assert pair.items == len(items)
        kappa = cohen_kappa_score([by_rater[pair.a][i] for i in items], [by_rater[pair.b][i] for i in items])
        assert pair.kappa == pytest.approx(kappa, abs=1e-12)
    assert [p.items for p in found.pairs] == sorted((p.items for p in found.pairs), reverse=True)


def golden(rater: str, right: int, wrong: int, policy: str = "spam.scam", start: int = 0) -> list[Rating]:
    """`right + wrong` ratings of items with a known answer `policy`, `wrong` of them said "none"."""
    return [
        Rating(item=start + n, rater=rater, label=policy if n < right else "none", reference=policy, source="golden")
        for n in range(right + wrong)
    ]


def test_flags_need_enough_decisions_and_an_upper_bound_below_the_threshold() -> None:
    thresholds = Thresholds(accuracy=0.7, confidence=0.95, min_decisions=20)
    ratings = (
        golden("weak", right=50, wrong=50)
        + golden("thin", right=5, wrong=5, start=1000)
        + golden("good", right=90, wrong=10, start=2000)
        + golden("borderline", right=13, wrong=7, start=3000)
    )
    found = {s.key: s for s in report(ratings, thresholds=thresholds).reviewers}
    assert found["weak"].flagged and found["weak"].needed is None
    assert found["good"].flagged is False and found["good"].needed is None  # above the threshold
    for name in ("thin", "borderline"):
        score = found[name]
        assert not score.flagged and score.needed is not None
        acc = score.accuracy
        assert acc is not None

        def high(n: int, acc: float = acc) -> float:
            return float(proportion_confint(acc * n, n, alpha=0.10, method="wilson")[1])  # one-sided 95 %

        assert score.needed >= 20 and high(score.needed) < 0.7
        assert score.needed == 20 or high(score.needed - 1) >= 0.7
    assert found["thin"].needed == 20  # 0.5 over 20: the one-sided bound is 0.673, but 10 are too few


def test_a_reviewer_weak_on_one_policy_is_flagged_on_that_policy_with_a_one_sided_bound() -> None:
    thresholds = Thresholds(accuracy=0.7, confidence=0.95, min_decisions=20)
    ratings = golden("r", right=190, wrong=10, policy="spam.scam") + golden(
        "r", right=30, wrong=30, policy="hate_speech.slur", start=1000
    )
    reviewer = report(ratings, thresholds=thresholds).reviewers[0]
    policies = {p.key: p for p in reviewer.policies}
    weak = policies["hate_speech"]
    assert weak.flagged and reviewer.flagged
    # the interval shown is two-sided at 95 %; the flag's bound is one-sided at 95 % (the 90 % interval's top)
    low, high = proportion_confint(30, 60, alpha=0.05, method="wilson")
    assert (weak.accuracy_low, weak.accuracy_high) == pytest.approx((low, high))
    assert proportion_confint(30, 60, alpha=0.10, method="wilson")[1] < thresholds.accuracy
    assert reviewer.accuracy == pytest.approx(220 / 260) and not policies["spam"].flagged


def test_disagreements_are_the_newest_five_with_their_answer() -> None:
    ratings = [
        Rating(
            item=n, rater="r", label="none", reference="spam.scam", at=START + timedelta(hours=n), decision_pk=100 + n
        )
        for n in range(8)
    ] + [Rating(item=50, rater="r", label="spam.scam", reference="spam.scam", at=START + timedelta(days=9))]
    reviewer = report(ratings).reviewers[0]
    assert [d.item for d in reviewer.disagreements] == [7, 6, 5, 4, 3]
    first = reviewer.disagreements[0]
    assert (first.label, first.reference, first.decision_pk, first.source) == ("none", "spam.scam", 107, "review")
    assert first.decided_at == START + timedelta(hours=7)


def test_ties_and_lone_ratings_are_not_scored() -> None:
    ratings = [
        Rating(item=1, rater="a", label="none"),
        Rating(item=2, rater="a", label="none"),
        Rating(item=2, rater="b", label="spam.scam"),
        Rating(item=3, rater="a", label="none"),
        Rating(item=3, rater="b", label="none"),
        Rating(item=3, rater="c", label="spam.scam"),
    ]
    found = {s.key: s for s in report(ratings).reviewers}
    # item 1: alone; item 2: each has one other rating, which disagrees; item 3: a's others (none, spam)
    # and b's tie, c's others say none twice
    assert (found["a"].scored, found["a"].correct) == (1, 0)
    assert (found["b"].scored, found["b"].correct) == (1, 0)
    assert (found["c"].scored, found["c"].correct) == (1, 0)
    said = ["none", "none", "spam.scam", "x.y"]
    tie = [Rating(item=9, rater=x, label=label) for x, label in zip("abcd", said, strict=True)]
    found = {s.key: s for s in report(tie).reviewers}
    assert found["c"].scored == found["d"].scored == 1  # others: none twice out of three, a majority
    assert found["a"].scored == found["b"].scored == 0  # others: none, spam.scam, x.y: no majority


def test_drift_is_weekly_from_monday_or_daily_under_two_weeks() -> None:
    ratings = simulated(7)
    weekly = report(ratings).drift
    weeks = Counter((r.at - timedelta(days=r.at.weekday())).replace(hour=0, minute=0) for r in ratings)
    assert [(p.period_start, p.decisions) for p in weekly] == sorted(weeks.items())
    truth = answers(ratings)
    for point in weekly:
        week = [
            (r, a)
            for r, a in zip(ratings, truth, strict=True)
            if a is not None and timedelta(0) <= r.at - point.period_start < timedelta(days=7)
        ]
        correct = sum(r.label == a for r, a in week)
        assert (point.scored, point.accuracy) == (len(week), pytest.approx(correct / len(week)))
        interval = proportion_confint(correct, len(week), alpha=0.05, method="wilson")
        assert (point.accuracy_low, point.accuracy_high) == pytest.approx(interval)
    short = [
        Rating(item=n, rater="a", label="none", reference="none", at=START + timedelta(days=n % 3, hours=5))
        for n in range(9)
    ]
    daily = report(short).drift
    assert [p.period_start for p in daily] == [START.replace(hour=0) + timedelta(days=d) for d in range(3)]
    assert [(p.decisions, p.scored, p.accuracy) for p in daily] == [(3, 3, 1.0)] * 3


def test_since_queue_and_as_of_select_the_ratings() -> None:
    ratings = simulated(8)
    since = START + timedelta(days=30)
    found = compute_report(table(ratings), as_of=START + timedelta(days=50), since=since, queue="hate")
    chosen = [r for r in ratings if r.queue == "hate" and since <= r.at <= START + timedelta(days=50)]
    assert sum(s.decisions for s in found.reviewers) == len(chosen)
    assert [q.key for q in found.queues] == ["hate"]
    assert (found.since, found.queue) == (since, "hate")


def test_no_ratings_give_an_empty_report() -> None:
    found = report([])
    assert found.reviewers == () and found.agreement.items == 0 and found.agreement.krippendorff_alpha is None
    assert found.confusion.labels == () and found.drift == ()
    assert found.as_json()["agreement"]["ratings"] == 0


def test_bad_input_is_refused_in_bastions_words() -> None:
    with pytest.raises(InvalidInput, match="missing column"):
        compute_report(table([]).drop_columns(["rater"]), as_of=AS_OF)
    with pytest.raises(InvalidInput, match="as_of: a time with its time zone"):
        compute_report(table([]), as_of=datetime(2026, 1, 1))
    with pytest.raises(InvalidInput, match="engine"):
        compute_report(table([]), as_of=AS_OF, engine="spark")  # type: ignore[arg-type]


def test_item_ids_far_apart_and_many_labels_give_the_libraries_figures_on_both_engines() -> None:
    """Item ids far apart (numbered for the pairs, not used as rows) and 30 labels with an item rated six
    times alike (alpha's count patterns take two packed integers)."""
    rng = np.random.default_rng(9)
    labels = [f"policy{n:02d}.kind" for n in range(30)]
    ratings = [Rating(item=7 * 10**12, rater=f"x{n}", label=labels[0]) for n in range(6)]
    for item in range(400):
        truth = labels[int(rng.integers(0, 30))]
        for rater in rng.choice(6, size=int(rng.integers(1, 5)), replace=False):
            label = truth if rng.random() < 0.7 else labels[int(rng.integers(0, 30))]
            ratings.append(Rating(item=item * 10**12 + 3, rater=f"r{rater}", label=label))
    duck, panda = report(ratings, "duckdb"), report(ratings, "pandas")
    assert _same(duck.as_json(), panda.as_json())
    raters = sorted({r.rater for r in ratings})
    items = sorted({r.item for r in ratings})
    data = np.full((len(raters), len(items)), np.nan)
    for r in ratings:
        data[raters.index(r.rater), items.index(r.item)] = labels.index(r.label)
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert duck.agreement.krippendorff_alpha == pytest.approx(expected, abs=1e-12)
    assert duck.pairs and duck.pairs[0].items == max(p.items for p in duck.pairs) >= 20


rating_lists = st.lists(
    st.builds(
        Rating,
        item=st.integers(0, 12),
        rater=st.sampled_from(["a", "b", "c", "d", "e"]),
        label=st.sampled_from(LABELS[:4]),
        at=st.integers(0, 40 * 24).map(lambda h: START + timedelta(hours=h)),
        reference=st.none() | st.sampled_from(LABELS[:4]),
        vendor=st.none() | st.sampled_from(["v1", "v2"]),
        queue=st.none() | st.sampled_from(["general", "hate"]),
        overturned=st.none() | st.booleans(),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(rating_lists)
def test_duckdb_and_pandas_give_the_same_report(ratings: list[Rating]) -> None:
    thresholds = Thresholds(accuracy=0.7, confidence=0.9, min_decisions=2)
    duck = report(ratings, "duckdb", thresholds=thresholds).as_json()
    panda = report(ratings, "pandas", thresholds=thresholds).as_json()
    assert _same(duck, panda)


def _same(a: object, b: object) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys()
        return all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), (a, b)
        return all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12)
        return True
    assert a == b
    return True
