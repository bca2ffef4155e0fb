"""Pure parts of review: priority terms, the claim rank, routing, the configuration's errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.errors import InvalidInput
from bastion.review.config import PriorityWeights, default_review_config, parse_review_config
from bastion.review.priority import (
    PriorityInputs,
    age_term,
    base_priority,
    claim_rank,
    priority_terms,
    reporter_trust,
)
from bastion.review.routing import JobFacts, route

WEIGHTS = PriorityWeights()
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_each_term_grows_with_its_input() -> None:
    low = priority_terms(PriorityInputs(1, 0.0, 0, 0, 0.0), WEIGHTS)
    high = priority_terms(PriorityInputs(4, 0.9, 1_000_000, 50_000, 6.0), WEIGHTS)
    for term in ("severity", "confidence", "reach", "reports"):
        assert high[term] > low[term], term
    assert low["confidence"] == 0 and low["reach"] == 0 and low["reports"] == 0
    assert base_priority(high) == pytest.approx(sum(high.values()), abs=1e-3)


@given(
    st.floats(0, 10),
    st.integers(1, 48),
    st.lists(st.tuples(st.floats(0, 3), st.integers(0, 72 * 3600)), min_size=2, max_size=8),
)
def test_claim_rank_orders_exactly_like_the_full_score(w_age: float, sla: int, jobs: list[tuple[float, int]]) -> None:
    """Sorting by the stored rank equals sorting by base + age term at any later moment."""
    weights = PriorityWeights(age=w_age)
    now = T0 + timedelta(days=5)
    created = [(base, T0 + timedelta(seconds=offset)) for base, offset in jobs]
    by_rank = sorted(range(len(created)), key=lambda i: -claim_rank(created[i][0], created[i][1], sla, weights))
    by_score = sorted(range(len(created)), key=lambda i: -(created[i][0] + age_term(created[i][1], now, sla, weights)))
    scores = [created[i][0] + age_term(created[i][1], now, sla, weights) for i in range(len(created))]
    assert [round(scores[i], 2) for i in by_rank] == [round(scores[i], 2) for i in by_score]


def test_age_term_is_the_weighted_share_of_the_sla_used() -> None:
    assert age_term(T0, T0 + timedelta(hours=12), 24, PriorityWeights(age=2.0)) == 1.0
    assert age_term(T0, T0 + timedelta(hours=48), 24, PriorityWeights(age=1.0)) == 2.0  # past the SLA it keeps growing
    assert age_term(T0, T0 - timedelta(hours=1), 24, WEIGHTS) == 0.0


@pytest.mark.parametrize(("upheld", "decided", "trust"), [(0, 0, 0.5), (9, 10, 10 / 12), (0, 10, 1 / 12), (5, 10, 0.5)])
def test_reporter_trust_has_a_uniform_prior(upheld: int, decided: int, trust: float) -> None:
    assert reporter_trust(upheld, decided) == pytest.approx(trust)


ROUTES = [
    (JobFacts("child_safety.grooming", "en", "US", "feed", 4), "child-safety"),
    (JobFacts("hate_speech.slurs", "pt", "BR", "feed", 2), "hate-latam"),
    (JobFacts("hate_speech", "en", "GB", "feed", 3), "hate-harassment"),
    (JobFacts("harassment_and_bullying.doxxing", "es", "MX", "comments", 3), "hate-latam"),
    (JobFacts("spam.commercial_spam", None, None, None, 1), "scams-spam"),
    (JobFacts(None, "en", "US", "feed", 1), "general"),
    (JobFacts("intellectual_property", "de", "DE", "feed", 2), "general"),
]


@pytest.mark.parametrize(("facts", "queue"), ROUTES)
def test_the_first_matching_rule_wins_else_the_default_queue(facts: JobFacts, queue: str) -> None:
    assert route(default_review_config(), facts) == queue


BAD_CONFIGS = [
    ("queues: []\ndefault_queue: a\nescalation_queue: a\nappeals_queue: a\n", "queues", "at least one queue"),
    (
        "queues:\n  - {name: a, title: A}\ndefault_queue: b\nescalation_queue: a\nappeals_queue: a\n",
        "default_queue",
        "no queue named 'b'",
    ),
    (
        "queues:\n  - {name: a, title: A, sla_hours: -2}\ndefault_queue: a\nescalation_queue: a\nappeals_queue: a\n",
        "queues[0].sla_hours",
        "must be greater than 0",
    ),
    (
        "queues:\n  - {name: a, title: A}\n  - {name: a, title: B}\n"
        "default_queue: a\nescalation_queue: a\nappeals_queue: a\n",
        "queues[1].name",
        "queue 'a' is defined already, as queues[0]",
    ),
    (
        "queues:\n  - {name: a, title: A, colour: red}\ndefault_queue: a\nescalation_queue: a\nappeals_queue: a\n",
        "queues[0].colour",
        "unknown field",
    ),
    ("queues: [\n", "", "invalid YAML"),
]


@pytest.mark.parametrize(("text", "path", "message"), BAD_CONFIGS)
def test_bad_configurations_name_the_field_and_line(text: str, path: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_review_config(text, "review.yaml")
    errors = caught.value.errors
    assert any(e.path == path and message in e.message for e in errors), errors
    assert all(e.line is not None for e in errors)


def test_strike_weights_take_the_most_specific_entry() -> None:
    strikes = default_review_config().strikes
    assert strikes.weight_for("child_safety.grooming") == 6
    assert strikes.weight_for("hate_speech.slurs") == 2
    assert strikes.weight_for("scams_and_fraud") == 1
