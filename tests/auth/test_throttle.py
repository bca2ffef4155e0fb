"""The throttle's arithmetic: a sliding window over failure times, with no store and no clock of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.auth.throttle import (
    LIMITS,
    Limit,
    Scope,
    ThrottleKey,
    retry_after_seconds,
    wait_before_next_attempt,
    wait_in_words,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
THREE_A_MINUTE = Limit(failures=3, window=timedelta(minutes=1))


def _ago(*seconds: float) -> list[datetime]:
    return [NOW - timedelta(seconds=s) for s in seconds]


@pytest.mark.parametrize(
    ("failures", "wait"),
    [
        ([], timedelta(0)),
        (_ago(10, 20), timedelta(0)),  # under the limit
        (_ago(10, 20, 30), timedelta(seconds=30)),  # the oldest of three leaves the window in 30 s
        (_ago(10, 20, 30, 40, 50), timedelta(seconds=30)),  # the newest three decide: older ones leave first
        (_ago(10, 20, 60), timedelta(0)),  # exactly a window ago: out
        (_ago(10, 20, 59.5), timedelta(seconds=0.5)),
        (_ago(10, 20, 90, 120, 300), timedelta(0)),  # old failures do not count
        (_ago(-5, 10, 20), timedelta(seconds=40)),  # a failure stamped a little ahead still counts
    ],
)
def test_the_wait_ends_when_the_oldest_counted_failure_leaves_the_window(
    failures: list[datetime], wait: timedelta
) -> None:
    assert wait_before_next_attempt(failures, THREE_A_MINUTE, NOW) == wait


@pytest.mark.parametrize(
    ("wait", "seconds"),
    [(timedelta(seconds=30), 30), (timedelta(seconds=0.2), 1), (timedelta(seconds=29.01), 30), (timedelta(0), 1)],
)
def test_retry_after_rounds_up_to_whole_seconds(wait: timedelta, seconds: int) -> None:
    assert retry_after_seconds(wait) == seconds


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "1 second"), (45, "45 seconds"), (89, "89 seconds"), (90, "2 minutes"), (900, "15 minutes")],
)
def test_the_wait_in_words(seconds: int, words: str) -> None:
    assert wait_in_words(seconds) == words


def test_a_limit_needs_a_failure_and_a_window() -> None:
    with pytest.raises(ValueError, match="at least one failure"):
        Limit(failures=0, window=timedelta(minutes=1))
    with pytest.raises(ValueError, match="positive window"):
        Limit(failures=1, window=timedelta(0))


def test_an_account_gets_fewer_guesses_than_an_address() -> None:
    assert LIMITS[Scope.LOGIN_ACCOUNT].failures < LIMITS[Scope.LOGIN_ADDRESS].failures


def test_keys_keep_no_name_and_differ_by_scope() -> None:
    account, address = ThrottleKey(Scope.LOGIN_ACCOUNT, "ana"), ThrottleKey(Scope.LOGIN_ADDRESS, "ana")
    assert account.digest != address.digest
    assert "ana" not in account.digest and len(account.digest) == 64
    assert account.digest == ThrottleKey(Scope.LOGIN_ACCOUNT, "ana").digest


OFFSETS = st.lists(st.floats(min_value=-5, max_value=600, allow_nan=False), max_size=12)
LIMITS_GIVEN = st.builds(
    Limit,
    failures=st.integers(min_value=1, max_value=6),
    window=st.integers(1, 300).map(lambda s: timedelta(seconds=s)),
)


@given(OFFSETS, LIMITS_GIVEN)
def test_after_the_wait_one_more_attempt_is_allowed_and_not_a_moment_before(offsets: list[float], limit: Limit) -> None:
    failures = _ago(*offsets)
    wait = wait_before_next_attempt(failures, limit, NOW)
    assert timedelta(0) <= wait <= limit.window + timedelta(seconds=5)
    in_window = [at for at in failures if at > NOW - limit.window]
    assert (wait > timedelta(0)) == (len(in_window) >= limit.failures)
    if wait > timedelta(0):
        assert wait_before_next_attempt(failures, limit, NOW + wait) == timedelta(0)
        assert wait_before_next_attempt(failures, limit, NOW + wait / 2) > timedelta(0)


@given(OFFSETS, LIMITS_GIVEN, st.floats(min_value=0, max_value=600, allow_nan=False))
def test_one_more_failure_never_shortens_the_wait(offsets: list[float], limit: Limit, extra: float) -> None:
    failures = _ago(*offsets)
    assert wait_before_next_attempt([*failures, *_ago(extra)], limit, NOW) >= wait_before_next_attempt(
        failures, limit, NOW
    )
