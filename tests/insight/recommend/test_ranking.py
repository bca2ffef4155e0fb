"""Ranking across kinds by impact, with a fixed order for ties and one recommendation per key."""

from __future__ import annotations

from bastion.insight.recommend.model import (
    ActedOn,
    Candidate,
    Evidence,
    RecommendationKind,
    recommendation_key,
)
from bastion.insight.recommend.ranking import rank


def _candidate(kind: RecommendationKind, subject: str, impact: float) -> Candidate:
    return Candidate(kind, subject, f"{kind} {subject}", impact, "", Evidence({}))


def test_the_largest_impact_ranks_first_across_kinds() -> None:
    ranked = rank(
        [
            _candidate(RecommendationKind.CLARIFY_POLICY, "a / b", 10.0),
            _candidate(RecommendationKind.STAFF_QUEUE, "language:tr", 40.0),
            _candidate(RecommendationKind.CALIBRATE_REVIEWER, "rev-1", 25.0),
        ]
    )
    assert [(r.rank, r.kind) for r in ranked] == [
        (1, RecommendationKind.STAFF_QUEUE),
        (2, RecommendationKind.CALIBRATE_REVIEWER),
        (3, RecommendationKind.CLARIFY_POLICY),
    ]
    assert all(r.impact_unit == "items per week" for r in ranked)


def test_ties_keep_a_fixed_order_and_a_key_counts_once() -> None:
    first = rank(
        [
            _candidate(RecommendationKind.STAFF_QUEUE, "language:tr", 5.01),
            _candidate(RecommendationKind.CALIBRATE_REVIEWER, "rev-2", 5.0),
            _candidate(RecommendationKind.CALIBRATE_REVIEWER, "rev-2", 3.0),
        ]
    )
    assert [(r.kind, r.subject, r.impact) for r in first] == [
        (RecommendationKind.CALIBRATE_REVIEWER, "rev-2", 5.0),
        (RecommendationKind.STAFF_QUEUE, "language:tr", 5.0),
    ]


def test_keys_are_stable_and_url_safe_and_acting_is_marked() -> None:
    key = recommendation_key(RecommendationKind.ADD_TERM, "en:<Script> x/y")
    assert key == "add_term--en:-script-x-y"
    assert key == recommendation_key(RecommendationKind.ADD_TERM, "en:<Script> x/y")
    done = ActedOn("ana", "2026-11-02T09:00:00+00:00", {"bank": "emerging_terms"})
    (ranked,) = rank([_candidate(RecommendationKind.ADD_TERM, "en:<Script> x/y", 1.0)], {key: done})
    assert ranked.key == key
    assert ranked.acted == done
