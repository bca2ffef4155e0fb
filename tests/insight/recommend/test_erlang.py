"""Erlang B and C against the standard traffic tables, closed forms and the formula written out in full."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.errors import InvalidInput
from bastion.insight.recommend.erlang import erlang_b, erlang_c, offered_load, reviewers_needed, staffing


@pytest.mark.parametrize(
    ("servers", "load"),
    [(1, 0.0101), (2, 0.153), (5, 1.361), (10, 4.461), (20, 12.031), (50, 37.901), (100, 84.064)],
)
def test_erlang_b_matches_the_one_percent_column_of_the_erlang_b_table(servers: int, load: float) -> None:
    # The published Erlang B table: the traffic (Erlangs) N servers carry at 1 % blocking.
    assert erlang_b(servers, load) == pytest.approx(0.01, abs=0.0002)


def test_erlang_c_closed_forms() -> None:
    # M/M/1: a job waits with the chance the server is busy, its utilisation.
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    assert erlang_c(1, 0.9) == pytest.approx(0.9)
    # M/M/2 at one Erlang: (1/2 · 2) / (1 + 1 + 1) = 1/3.
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(3, 0.0) == 0.0
    assert erlang_c(3, 3.0) == 1.0  # unstable: every job waits


def _erlang_c_in_full(n: int, a: float) -> float:
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


@given(st.integers(min_value=1, max_value=60), st.floats(min_value=0.01, max_value=0.99))
def test_erlang_c_equals_the_formula_written_with_factorials(servers: int, occupancy: float) -> None:
    load = servers * occupancy
    assert erlang_c(servers, load) == pytest.approx(_erlang_c_in_full(servers, load), rel=1e-9)


def test_service_level_and_mean_wait_of_a_worked_example() -> None:
    # 200 jobs an hour of 180 s each: 10 Erlangs. With 14 reviewers, C = 0.1741, so
    # 1 - 0.1741·e^(-4·20/180) = 88.8 % start within 20 s, and the mean wait is 0.1741·180/4 = 7.8 s.
    found = staffing(14, 200, 180, 20)
    assert found.load_erlangs == pytest.approx(10.0)
    assert found.wait_probability == pytest.approx(0.1741, abs=1e-4)
    assert found.service_level == pytest.approx(0.8884, abs=1e-4)
    assert found.mean_wait_seconds == pytest.approx(7.84, abs=0.01)
    assert found.occupancy == pytest.approx(10 / 14)


def test_reviewers_needed_is_the_fewest_that_reach_the_service_level() -> None:
    found = reviewers_needed(200, 180, 20, 0.8)
    assert found.reviewers == 14
    assert staffing(13, 200, 180, 20).service_level < 0.8 <= found.service_level
    assert reviewers_needed(0.5, 60, 3600, 0.9).reviewers == 1


def test_an_unstable_queue_meets_no_target() -> None:
    found = staffing(5, 200, 180, 20)  # 10 Erlangs on 5 reviewers
    assert found.service_level == 0.0
    assert math.isinf(found.mean_wait_seconds)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: offered_load(-1, 60), "arrivals_per_hour"),
        (lambda: offered_load(10, 0), "handle_seconds"),
        (lambda: erlang_c(0, 1.0), "reviewers"),
        (lambda: staffing(3, 10, 60, -5), "target_seconds"),
        (lambda: reviewers_needed(10, 60, 30, 1.0), "service_level"),
    ],
)
def test_bad_input_names_the_field(call: object, field: str) -> None:
    with pytest.raises(InvalidInput, match=field):
        call()  # type: ignore[operator]
