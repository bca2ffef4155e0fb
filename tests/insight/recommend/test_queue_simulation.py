"""The queue run job by job agrees with Erlang C when it makes Erlang C's assumptions."""

from __future__ import annotations

import random

import pytest

from bastion.errors import InvalidInput
from bastion.insight.recommend.erlang import staffing
from bastion.insight.recommend.queue_simulation import exponential, observed, simulate_queue


@pytest.mark.parametrize(
    ("reviewers", "arrivals_per_hour", "handle_seconds", "target_seconds"),
    [(1, 40, 60, 30), (3, 150, 60, 20), (14, 200, 180, 20), (8, 20, 1200, 600)],
)
def test_simulated_service_level_agrees_with_erlang_c(
    reviewers: int, arrivals_per_hour: float, handle_seconds: float, target_seconds: float
) -> None:
    expected = staffing(reviewers, arrivals_per_hour, handle_seconds, target_seconds)
    found = simulate_queue(
        reviewers,
        arrivals_per_hour,
        exponential(handle_seconds),
        target_seconds,
        rng=random.Random(7),
        jobs=100_000,
    )
    assert found.service_level == pytest.approx(expected.service_level, abs=0.02)
    assert found.mean_wait_seconds == pytest.approx(expected.mean_wait_seconds, rel=0.15, abs=1.0)


def test_an_understaffed_queue_is_seen_failing() -> None:
    # 12 Erlangs on 10 reviewers: the queue grows without end, and almost nobody starts within a minute.
    found = simulate_queue(10, 240, exponential(180), 60, rng=random.Random(1), jobs=20_000)
    assert found.service_level < 0.05


def test_observed_handle_times_are_drawn_from() -> None:
    # Every job takes exactly 60 s: one reviewer, one job a minute on average, some wait.
    found = simulate_queue(1, 30, observed([60.0]), 0, rng=random.Random(3), jobs=20_000)
    # M/D/1 at 50 %: a job waits with the chance the reviewer is busy, 0.5.
    assert found.service_level == pytest.approx(0.5, abs=0.02)


def test_bad_input_names_the_field() -> None:
    with pytest.raises(InvalidInput, match="reviewers"):
        simulate_queue(0, 10, exponential(60), 30, rng=random.Random(1))
    with pytest.raises(InvalidInput, match="arrivals_per_hour"):
        simulate_queue(1, 0, exponential(60), 30, rng=random.Random(1))
    with pytest.raises(InvalidInput, match="handle_seconds"):
        observed([])
